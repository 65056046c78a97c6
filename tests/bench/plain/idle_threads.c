/* idle_threads.c - an ordinary pthread program: N threads that touch one stack page and wait, all
 * alive at once; prints the process's memory while they wait.
 *
 * usage: idle_threads MAX_THREADS HOLD_S [RSS_CAP_MIB]
 * Creates threads one at a time until MAX_THREADS exist, pthread_create
 * fails or the process's VmRSS passes RSS_CAP_MIB (checked every
 * CAP_CHECK_EVERY threads; the cap keeps a runaway run from taking the
 * machine's memory). Each thread writes one page of its stack, counts itself as started
 * and waits on a condition variable until main releases it or HOLD_S seconds
 * pass (a thread whose wait times out leaves early and is not counted as
 * alive). Once every created thread has started, main reads VmRSS, VmPTE and
 * VmHWM from /proc/self/status and Rss from /proc/self/smaps_rollup, counts
 * the threads still waiting, releases them all and joins them. Prints
 *   idle_threads threads=CREATED wanted=MAX stop=limit|rss_cap|ERRNO_NAME alive=A
 *     create_ms=MS rss_before_kib=.. rss_kib=.. pte_before_kib=.. pte_kib=..
 *     smaps_rss_before_kib=.. smaps_rss_kib=.. hwm_kib=..
 * on one line. Exit status 0 if every created thread was alive at the
 * measurement, 1 if not, 2 on bad usage or an unreadable /proc. Knows
 * nothing of sprig: bench.py runs it natively and under LD_PRELOAD. */
#define _GNU_SOURCE /* strerrorname_np */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CAP_CHECK_EVERY 4096
#define TOUCHED_STACK_BYTES 2048 /* with the frames above it, within the top page */

struct gate {
  pthread_mutex_t lock;
  pthread_cond_t started_cond; /* main waits here for the last thread to start */
  pthread_cond_t release_cond; /* the threads wait here for main */
  long started;
  long timed_out;
  int released;
  struct timespec deadline; /* CLOCK_REALTIME, when a waiting thread gives up */
};

static struct gate g_gate = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .started_cond = PTHREAD_COND_INITIALIZER,
    .release_cond = PTHREAD_COND_INITIALIZER,
};

struct memory {
  long rss_kib;
  long pte_kib;
  long hwm_kib;
  long smaps_rss_kib;
};

static void *idle_thread(void *arg) {
  (void)arg;
  volatile char page[TOUCHED_STACK_BYTES];
  for (size_t i = 0; i < sizeof page; i += 64) {
    page[i] = (char)i;
  }
  pthread_mutex_lock(&g_gate.lock);
  g_gate.started++;
  pthread_cond_signal(&g_gate.started_cond);
  while (!g_gate.released) {
    if (pthread_cond_timedwait(&g_gate.release_cond, &g_gate.lock, &g_gate.deadline) == ETIMEDOUT) {
      g_gate.timed_out++;
      break;
    }
  }
  pthread_mutex_unlock(&g_gate.lock);
  return NULL;
}

/* The value in KiB of the line "KEY: VALUE kB" of a /proc file, or -1. */
static long proc_kib(const char *path, const char *key) {
  FILE *file = fopen(path, "r");
  if (file == NULL) {
    return -1;
  }
  char line[256];
  long value = -1;
  size_t key_len = strlen(key);
  while (fgets(line, sizeof line, file) != NULL) {
    if (strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
      value = strtol(line + key_len + 1, NULL, 10);
      break;
    }
  }
  fclose(file);
  return value;
}

static int read_memory(struct memory *memory) {
  memory->rss_kib = proc_kib("/proc/self/status", "VmRSS");
  memory->pte_kib = proc_kib("/proc/self/status", "VmPTE");
  memory->hwm_kib = proc_kib("/proc/self/status", "VmHWM");
  memory->smaps_rss_kib = proc_kib("/proc/self/smaps_rollup", "Rss");
  return memory->rss_kib < 0 || memory->pte_kib < 0 || memory->hwm_kib < 0 ||
                 memory->smaps_rss_kib < 0
             ? -1
             : 0;
}

static double elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

int main(int argc, char **argv) {
  long wanted = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
  long hold_s = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  long rss_cap_mib = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
  if (wanted < 1 || wanted > 10000000 || hold_s < 1 || hold_s > 600 || rss_cap_mib < 0) {
    fprintf(stderr, "usage: %s MAX_THREADS HOLD_S [RSS_CAP_MIB] (1..10000000, 1..600)\n", argv[0]);
    return 2;
  }
  alarm((unsigned)hold_s + 120); /* a safety net: never outlive the benchmark */
  pthread_t *threads = calloc((size_t)wanted, sizeof *threads);
  if (threads == NULL) {
    fprintf(stderr, "idle_threads: no memory for %ld handles\n", wanted);
    return 2;
  }
  memset(threads, 0xff, (size_t)wanted * sizeof *threads); /* counted in the baseline */

  struct memory before;
  if (read_memory(&before) < 0) {
    fprintf(stderr, "idle_threads: cannot read /proc/self/status or smaps_rollup\n");
    return 2;
  }
  clock_gettime(CLOCK_REALTIME, &g_gate.deadline);
  g_gate.deadline.tv_sec += hold_s;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long created = 0;
  int create_error = 0;
  int capped = 0;
  for (; created < wanted; created++) {
    if (rss_cap_mib > 0 && created % CAP_CHECK_EVERY == 0 &&
        proc_kib("/proc/self/status", "VmRSS") > rss_cap_mib * 1024) {
      capped = 1;
      break;
    }
    int rc = pthread_create(&threads[created], NULL, idle_thread, NULL);
    if (rc != 0) {
      create_error = rc;
      break;
    }
  }
  pthread_mutex_lock(&g_gate.lock);
  while (g_gate.started < created) {
    pthread_cond_wait(&g_gate.started_cond, &g_gate.lock);
  }
  pthread_mutex_unlock(&g_gate.lock);
  double create_ms = elapsed_ms(&start);

  struct memory during;
  int memory_rc = read_memory(&during);
  pthread_mutex_lock(&g_gate.lock);
  long alive = created - g_gate.timed_out;
  g_gate.released = 1;
  pthread_cond_broadcast(&g_gate.release_cond);
  pthread_mutex_unlock(&g_gate.lock);
  if (memory_rc < 0) {
    fprintf(stderr, "idle_threads: cannot read /proc/self/status or smaps_rollup\n");
    return 2;
  }

  for (long i = 0; i < created; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("idle_threads threads=%ld wanted=%ld stop=%s alive=%ld create_ms=%.1f rss_before_kib=%ld "
         "rss_kib=%ld pte_before_kib=%ld pte_kib=%ld smaps_rss_before_kib=%ld smaps_rss_kib=%ld "
         "hwm_kib=%ld\n",
         created, wanted,
         capped              ? "rss_cap"
         : create_error == 0 ? "limit"
                             : strerrorname_np(create_error),
         alive, create_ms, before.rss_kib, during.rss_kib, before.pte_kib, during.pte_kib,
         before.smaps_rss_kib, during.smaps_rss_kib, during.hwm_kib);
  free(threads);
  return alive == created ? 0 : 1;
}
