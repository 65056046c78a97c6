/* spawn_green.c - cost of one sprig_spawn plus sprig_join of a green thread that returns at once.
 *
 * usage: spawn_green [PAIRS]   (default 200000)
 * Spawns and joins one thread at a time, PAIRS times, after a short warm-up
 * that fills the stack pool. Prints
 *   figure=green_spawn_join ns=NS_PER_PAIR pairs=N */
#include <sprig.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct config {
  long pairs;
  int failed;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *return_at_once(void *arg) { return arg; }

static int spawn_and_join(long pairs) {
  for (long i = 0; i < pairs; i++) {
    sprig_thread_t thread;
    int rc = sprig_spawn(&thread, NULL, return_at_once, NULL);
    if (rc < 0 || (rc = sprig_join(thread, NULL, SPRIG_FOREVER)) < 0) {
      return rc;
    }
  }
  return 0;
}

static void *run_figure(void *arg) {
  struct config *config = arg;
  int rc = spawn_and_join(1000); /* warm-up */
  int64_t start = now_ns();
  if (rc == 0) {
    rc = spawn_and_join(config->pairs);
  }
  int64_t elapsed = now_ns() - start;
  if (rc < 0) {
    fprintf(stderr, "spawn_green: %s\n", strerror(-rc));
    config->failed = 1;
    return NULL;
  }
  printf("figure=green_spawn_join ns=%.2f pairs=%ld\n", (double)elapsed / (double)config->pairs,
         config->pairs);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a benchmark run */
  struct config config = {.pairs = argc > 1 ? atol(argv[1]) : 200000};
  if (config.pairs < 1) {
    fprintf(stderr, "usage: %s [PAIRS] (PAIRS >= 1)\n", argv[0]);
    return 2;
  }
  int rc = sprig_run(run_figure, &config, NULL);
  if (rc < 0) {
    fprintf(stderr, "spawn_green: sprig_run: %s\n", strerror(-rc));
    return 1;
  }
  return config.failed;
}
