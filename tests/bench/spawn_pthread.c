/* spawn_pthread.c - cost of one pthread_create plus pthread_join of a thread that returns at once.
 *
 * usage: spawn_pthread [PAIRS]   (default 10000)
 * Creates and joins one thread at a time, PAIRS times, after a short warm-up
 * (glibc caches thread stacks, as sprig pools them). Prints
 *   figure=pthread_create_join ns=NS_PER_PAIR pairs=N */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *return_at_once(void *arg) { return arg; }

static int create_and_join(long pairs) {
  for (long i = 0; i < pairs; i++) {
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, return_at_once, NULL);
    if (rc != 0 || (rc = pthread_join(thread, NULL)) != 0) {
      return rc;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a benchmark run */
  long pairs = argc > 1 ? atol(argv[1]) : 10000;
  if (pairs < 1) {
    fprintf(stderr, "usage: %s [PAIRS] (PAIRS >= 1)\n", argv[0]);
    return 2;
  }
  int rc = create_and_join(100); /* warm-up */
  int64_t start = now_ns();
  if (rc == 0) {
    rc = create_and_join(pairs);
  }
  int64_t elapsed = now_ns() - start;
  if (rc != 0) {
    fprintf(stderr, "spawn_pthread: %s\n", strerror(rc));
    return 1;
  }
  printf("figure=pthread_create_join ns=%.2f pairs=%ld\n", (double)elapsed / (double)pairs, pairs);
  return 0;
}
