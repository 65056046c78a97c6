/* switch_green.c - cost of sprig_yield with N runnable green threads taking turns.
 *
 * usage: switch_green [YIELDS_PER_FIGURE [THREADS...]]
 *   defaults: 1000000 yields, THREADS = 2 1000 10000 100000.
 * For each N, N green threads each call sprig_yield K = YIELDS/N times (at
 * least 4). The clock starts once all N have started and stops when the last
 * one leaves its loop, so spawning and exiting are not counted. Prints
 *   figure=green_yield threads=N ns=NS_PER_YIELD yields=TOTAL
 * Before the yields, from a green thread, it times 10 x YIELDS_PER_FIGURE
 * writes of the thread pointer with wrfsbase, the instruction a switch
 * between green threads with their own glibc identity (SPRIG_TLS=thread)
 * adds; each writes back the fs base read once with rdfsbase, so nothing
 * changes. Only where the kernel allows the FSGSBASE instructions
 * (AT_HWCAP2 bit 1, HWCAP2_FSGSBASE) on x86-64; it prints
 *   figure=thread_pointer_write ns=NS_PER_WRITE writes=TOTAL */
#include <sprig.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#define STACK_BYTES (32 * 1024) /* a yield loop needs little; 100,000 stacks stay small */

struct figure {
  long threads;
  long yields_each;
  long started;
  long finished;
  long straggler_yields; /* yields of threads waiting for the last one, counted too */
  int64_t start_ns;
  int64_t end_ns;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *yielder(void *arg) {
  struct figure *fig = arg;
  if (++fig->started == fig->threads) {
    fig->start_ns = now_ns(); /* everyone is on the run queue now */
  } else {
    sprig_yield(); /* untimed: let the others start */
  }
  for (long k = 0; k < fig->yields_each; k++) {
    sprig_yield();
  }
  if (++fig->finished == fig->threads) {
    fig->end_ns = now_ns();
  }
  while (fig->finished < fig->threads) {
    sprig_yield();
    fig->straggler_yields++;
  }
  return NULL;
}

/* Runs one figure; returns 0 or a negative errno value. */
static int measure(struct figure *fig) {
  sprig_thread_t *threads = calloc((size_t)fig->threads, sizeof *threads);
  struct sprig_spawn_options options = {.stack_size = STACK_BYTES};
  long spawned = 0;
  int rc = 0;
  for (; spawned < fig->threads; spawned++) {
    if ((rc = sprig_spawn(&threads[spawned], &options, yielder, fig)) < 0) {
      fig->threads = spawned; /* the started ones can still finish */
      break;
    }
  }
  for (long i = 0; i < spawned; i++) {
    sprig_join(threads[i], NULL, SPRIG_FOREVER);
  }
  free(threads);
  return rc;
}

#define HWCAP2_FSGSBASE_BIT 2 /* <asm/hwcap2.h>: 1 << 1 */

/* Returns ns per write of the thread pointer, or -1 where wrfsbase cannot run. */
static double thread_pointer_write_ns(long writes) {
#if defined(__x86_64__)
  if ((getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE_BIT) == 0) {
    return -1;
  }
  uint64_t base;
  __asm__ volatile("rdfsbase %0" : "=r"(base));
  int64_t start = now_ns();
  for (long i = 0; i < writes; i++) {
    __asm__ volatile("wrfsbase %0" : : "r"(base) : "memory");
  }
  return (double)(now_ns() - start) / (double)writes;
#else
  (void)writes;
  return -1;
#endif
}

struct config {
  long yields_per_figure;
  int counts;
  long *thread_counts;
  int failed;
};

static void *run_figures(void *arg) {
  struct config *config = arg;
  long writes = 10 * config->yields_per_figure;
  double write_ns = thread_pointer_write_ns(writes);
  if (write_ns >= 0) {
    printf("figure=thread_pointer_write ns=%.2f writes=%ld\n", write_ns, writes);
    fflush(stdout);
  }
  for (int i = 0; i < config->counts; i++) {
    long n = config->thread_counts[i];
    long each = config->yields_per_figure / n;
    struct figure fig = {.threads = n, .yields_each = each < 4 ? 4 : each};
    int rc = measure(&fig);
    if (rc < 0) {
      fprintf(stderr, "switch_green: threads=%ld: spawn: %s\n", n, strerror(-rc));
      config->failed = 1;
      continue;
    }
    long total = fig.threads * fig.yields_each + fig.straggler_yields;
    printf("figure=green_yield threads=%ld ns=%.2f yields=%ld\n", n,
           (double)(fig.end_ns - fig.start_ns) / (double)total, total);
    fflush(stdout);
  }
  return NULL;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a benchmark run */
  static long default_counts[] = {2, 1000, 10000, 100000};
  struct config config = {
      .yields_per_figure = 1000000, .counts = 4, .thread_counts = default_counts};
  if (argc > 1) {
    config.yields_per_figure = atol(argv[1]);
  }
  if (argc > 2) {
    config.counts = argc - 2;
    config.thread_counts = calloc((size_t)config.counts, sizeof(long));
    for (int i = 0; i < config.counts; i++) {
      config.thread_counts[i] = atol(argv[i + 2]);
    }
  }
  for (int i = 0; i < config.counts; i++) {
    if (config.thread_counts[i] < 1 || config.yields_per_figure < 1) {
      fprintf(stderr, "usage: %s [YIELDS_PER_FIGURE [THREADS...]] (all >= 1)\n", argv[0]);
      return 2;
    }
  }
  int rc = sprig_run(run_figures, &config, NULL);
  if (rc < 0) {
    fprintf(stderr, "switch_green: sprig_run: %s\n", strerror(-rc));
    return 1;
  }
  return config.failed;
}
