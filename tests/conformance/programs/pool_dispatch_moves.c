/* pool_dispatch_moves.c - a dispatcher hands jobs to two compute threads through a mutex and condition variables, and collects their results; each thread's own state (thread-locals, errno, its pthread_t, its rounding mode, its heap blocks) survives every wait. */
/* sprig: green -lm */
/*
 * The shape of xz -T2 or zstd -T2: the main thread fills a queue, two
 * workers take jobs, compute a few milliseconds each and post a result, the
 * main thread waits for results (with and without a timeout). Under sprig
 * with two workers a thread woken by a thread of an idle worker while its
 * own worker computes moves to the waker's (docs/design.md, "Threads move to
 * their waker's worker"): everything it keeps per thread must move with it.
 * Each thread checks after every wait that its thread-local values, the
 * address and value of its errno, pthread_self(), its floating-point
 * rounding mode and a heap block it wrote are as before, and frees blocks
 * that another thread allocated. Prints the results' checksum and the
 * number of failed checks, which natively is 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOBS 200
#define STEPS 2000000L
#define QUEUE 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t result_ready = PTHREAD_COND_INITIALIZER;
static long queue[QUEUE];
static int queued, queue_head;
static int closed;
static uint64_t results[JOBS];
static void *handed_blocks[JOBS]; /* allocated by the thread that computed a job, freed by main */
static int results_in;
static int failures;

static _Thread_local long my_id = -1;
static _Thread_local char my_name[32];

struct self_check {
  long id;
  int *errno_address;
  pthread_t self;
  int rounding;
  unsigned char *block;
};

static void check_self(const struct self_check *check, const char *where) {
  int bad = 0;
  if (my_id != check->id || strcmp(my_name + 7, "thread") != 0) {
    bad = 1;
  }
  if (&errno != check->errno_address || errno != 1000 + (int)check->id) {
    bad = 1;
  }
  if (!pthread_equal(pthread_self(), check->self) || fegetround() != check->rounding) {
    bad = 1;
  }
  for (int i = 0; i < 256; ++i) {
    if (check->block[i] != (unsigned char)(check->id + i)) {
      bad = 1;
      break;
    }
  }
  if (bad) {
    pthread_mutex_lock(&lock);
    ++failures;
    pthread_mutex_unlock(&lock);
    printf("thread %ld: its own state changed after %s\n", check->id, where);
  }
}

static void start_check(struct self_check *check, long id, int rounding) {
  my_id = id;
  snprintf(my_name, sizeof my_name, "%06ld thread", id);
  check->id = id;
  check->errno_address = &errno;
  check->self = pthread_self();
  fesetround(rounding);
  check->rounding = rounding;
  check->block = malloc(256);
  for (int i = 0; i < 256; ++i) {
    check->block[i] = (unsigned char)(id + i);
  }
  errno = 1000 + (int)id;
}

static uint64_t compute(long job) {
  uint64_t value = (uint64_t)job * 0x9E3779B97F4A7C15ULL + 1;
  volatile double sink = 0;
  for (long step = 0; step < STEPS; ++step) {
    value ^= value << 13;
    value ^= value >> 7;
    value ^= value << 17;
  }
  sink += (double)value / 3.0; /* rounded by this thread's mode, not looked at */
  return value;
}

static void *worker(void *argument) {
  long id = (long)argument;
  struct self_check check;
  start_check(&check, id, id == 1 ? FE_DOWNWARD : FE_UPWARD);
  for (;;) {
    pthread_mutex_lock(&lock);
    while (queued == 0 && !closed) {
      pthread_cond_wait(&job_ready, &lock);
      check_self(&check, "waiting for a job");
    }
    if (queued == 0) {
      pthread_mutex_unlock(&lock);
      break;
    }
    long job = queue[queue_head];
    queue_head = (queue_head + 1) % QUEUE;
    --queued;
    pthread_cond_broadcast(&result_ready); /* room in the queue */
    pthread_mutex_unlock(&lock);
    check_self(&check, "taking a job");

    uint64_t value = compute(job);
    void *handed = malloc(64 + (size_t)(job % 200));
    memset(handed, (int)id, 64);

    pthread_mutex_lock(&lock);
    results[job] = value;
    handed_blocks[job] = handed;
    ++results_in;
    pthread_cond_broadcast(&result_ready);
    pthread_mutex_unlock(&lock);
    check_self(&check, "posting a result");
  }
  check_self(&check, "the last job");
  free(check.block);
  return NULL;
}

static void deadline_in(struct timespec *at, long ms) {
  clock_gettime(CLOCK_REALTIME, at);
  at->tv_nsec += ms * 1000000L;
  at->tv_sec += at->tv_nsec / 1000000000L;
  at->tv_nsec %= 1000000000L;
}

int main(void) {
  pthread_t workers[2];
  for (long id = 1; id <= 2; ++id) {
    pthread_create(&workers[id - 1], NULL, worker, (void *)id);
  }
  struct self_check check;
  start_check(&check, 0, FE_TONEAREST);
  int waits = 0;
  for (long job = 0; job < JOBS; ++job) {
    pthread_mutex_lock(&lock);
    while (queued == QUEUE) {
      if (waits++ % 2 == 0) {
        pthread_cond_wait(&result_ready, &lock);
      } else {
        struct timespec at;
        deadline_in(&at, 300); /* as xz's 300 ms flush timeout: it may time out, or not */
        int rc = pthread_cond_timedwait(&result_ready, &lock, &at);
        if (rc != 0 && rc != ETIMEDOUT) {
          printf("pthread_cond_timedwait: %s\n", strerror(rc));
        }
      }
      check_self(&check, "waiting for room");
    }
    queue[(queue_head + queued) % QUEUE] = job;
    ++queued;
    pthread_cond_signal(&job_ready);
    pthread_mutex_unlock(&lock);
  }
  pthread_mutex_lock(&lock);
  while (results_in < JOBS) {
    pthread_cond_wait(&result_ready, &lock);
    check_self(&check, "waiting for the results");
  }
  closed = 1;
  pthread_cond_broadcast(&job_ready);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < 2; ++i) {
    pthread_join(workers[i], NULL);
  }
  check_self(&check, "joining");
  uint64_t sum = 0;
  for (int job = 0; job < JOBS; ++job) {
    sum = sum * 31 + results[job];
    free(handed_blocks[job]); /* allocated by another thread */
  }
  free(check.block);
  printf("jobs=%d checksum=%016llx failed_checks=%d\n", JOBS, (unsigned long long)sum, failures);
  return failures == 0 ? 0 : 1;
}
