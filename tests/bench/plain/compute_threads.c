/* compute_threads.c - an ordinary pthread program: THREADS threads that each compute, with no
 * system call and no shared write, a hash chain of ITERATIONS steps; main joins them.
 *
 * usage: compute_threads THREADS ITERATIONS
 * Each thread starts from its own seed (its index) and runs ITERATIONS steps
 * of xorshift64 folded into an FNV-1a hash: every step depends on the one
 * before, so the compiler can neither skip nor vectorise the chain, and the
 * work is pure CPU. A thread writes its result once, at its end, into its own
 * cache line. main measures the wall time from before the first
 * pthread_create to after the last pthread_join and prints one line:
 *   compute_threads threads=T iterations=N checksum=0x... elapsed_ms=MS
 * The checksum (the results XORed) depends only on THREADS and ITERATIONS:
 * a run under sprig must print the native run's. With 2 cores, 2 threads take
 * as long as 1 natively; on a single OS thread they take twice as long.
 * Exit status 0, 2 on bad usage or a failed pthread_create. Knows nothing of
 * sprig: bench.py runs it natively and under LD_PRELOAD (bench_cpu.py). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 1024
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

struct slot {
  _Alignas(64) uint64_t seed;
  uint64_t iterations;
  uint64_t result;
  pthread_t thread;
};

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void *compute(void *arg) {
  struct slot *slot = arg;
  uint64_t state = slot->seed * 0x9e3779b97f4a7c15ULL + 1; /* never 0: xorshift's fixed point */
  uint64_t hash = FNV_OFFSET;
  for (uint64_t step = 0; step < slot->iterations; step++) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    hash = (hash ^ (state & 0xff)) * FNV_PRIME;
    hash = (hash ^ (state >> 56)) * FNV_PRIME;
  }
  slot->result = hash ^ state;
  return NULL;
}

static int parse(const char *text, unsigned long long max, unsigned long long *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value == 0 || value > max || text[0] == '-') {
    return -1;
  }
  *out = value;
  return 0;
}

int main(int argc, char **argv) {
  unsigned long long threads = 0;
  unsigned long long iterations = 0;
  if (argc != 3 || parse(argv[1], MAX_THREADS, &threads) != 0 ||
      parse(argv[2], UINT64_MAX, &iterations) != 0) {
    fprintf(stderr, "usage: %s THREADS(1-%d) ITERATIONS\n", argv[0], MAX_THREADS);
    return 2;
  }
  static struct slot slots[MAX_THREADS];
  double started = seconds_now();
  for (unsigned long long i = 0; i < threads; i++) {
    slots[i].seed = i + 1;
    slots[i].iterations = iterations;
    int error = pthread_create(&slots[i].thread, NULL, compute, &slots[i]);
    if (error != 0) {
      fprintf(stderr, "compute_threads: pthread_create: %s\n", strerror(error));
      return 2;
    }
  }
  uint64_t checksum = 0;
  for (unsigned long long i = 0; i < threads; i++) {
    pthread_join(slots[i].thread, NULL);
    checksum ^= slots[i].result;
  }
  double elapsed_ms = (seconds_now() - started) * 1e3;
  printf("compute_threads threads=%llu iterations=%llu checksum=0x%016llx elapsed_ms=%.1f\n",
         threads, iterations, (unsigned long long)checksum, elapsed_ms);
  return 0;
}
