/* mutex_pingpong.c - an ordinary pthread program: two threads take turns through one pthread
 * mutex and one condition variable, ROUNDS round trips, while main waits in pthread_join.
 *
 * usage: mutex_pingpong [ROUNDS]   (default 100000)
 * A round trip: the pinger, holding the mutex, gives the turn to the other
 * thread (turn = 1, pthread_cond_signal) and waits on the condition variable
 * until the turn comes back; the other thread, woken, takes it, gives it back
 * (turn = 0, pthread_cond_signal) and waits for the next. WARMUP round trips
 * run untimed first; the pinger times the ROUNDS after them and main prints:
 *   mutex_pingpong rounds=N ns_per_round_trip=NS same_os_thread=0|1 os_threads=T
 * same_os_thread says whether the two threads ever ran their timed turns on
 * the same OS thread (the kernel's gettid(), which sprig does not interpose:
 * with LD_PRELOAD=libsprig.so and SPRIG_WORKERS=2, the pinger stays on
 * main's worker and the other thread, made next, goes to the other worker,
 * so 0 is expected; with one worker it is 1; natively always 0). os_threads
 * is the process's "Threads:" of /proc/self/status read by the pinger during
 * the timed round trips. Natively each hand-over is a futex wake of a thread
 * sleeping on the other core. Exit status 0, 2 on bad usage or a failed
 * pthread_create. Knows nothing of sprig: bench.py runs it natively and
 * under LD_PRELOAD (bench_micro.py). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 1000

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turned = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: main's, 1: the other thread's */
static long total_rounds;
/* The kernel thread ids each side had in its first and last timed turn. */
static pid_t pinger_tids[2];
static pid_t other_tids[2];

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int os_threads(void) {
  FILE *status = fopen("/proc/self/status", "r");
  if (status == NULL) {
    return -1;
  }
  char line[256];
  int threads = -1;
  while (fgets(line, sizeof line, status) != NULL) {
    if (strncmp(line, "Threads:", 8) == 0) {
      threads = atoi(line + 8);
      break;
    }
  }
  fclose(status);
  return threads;
}

static void *other(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mutex);
  for (long i = 0; i < total_rounds; i++) {
    while (turn != 1) {
      pthread_cond_wait(&turned, &mutex);
    }
    if (i == WARMUP) {
      other_tids[0] = gettid();
    }
    if (i == total_rounds - 1) {
      other_tids[1] = gettid();
    }
    turn = 0;
    pthread_cond_signal(&turned);
  }
  pthread_mutex_unlock(&mutex);
  return NULL;
}

/* One round trip from main's side: give the turn, wait until it comes back. */
static void round_trip(void) {
  pthread_mutex_lock(&mutex);
  turn = 1;
  pthread_cond_signal(&turned);
  while (turn != 0) {
    pthread_cond_wait(&turned, &mutex);
  }
  pthread_mutex_unlock(&mutex);
}

static long timed_rounds;
static double elapsed_seconds;
static int threads_seen;

/* The first side: WARMUP round trips, then timed_rounds timed ones. */
static void *pinger(void *arg) {
  (void)arg;
  for (long i = 0; i < WARMUP; i++) {
    round_trip();
  }
  pinger_tids[0] = gettid();
  double started = seconds_now();
  for (long i = 0; i < timed_rounds; i++) {
    round_trip();
    if (i == timed_rounds / 2) {
      threads_seen = os_threads(); /* once, mid-way: a file read, outside the other's turn */
    }
  }
  elapsed_seconds = seconds_now() - started;
  pinger_tids[1] = gettid();
  return NULL;
}

int main(int argc, char **argv) {
  long rounds = 100000;
  if (argc > 2 || (argc == 2 && (rounds = strtol(argv[1], NULL, 10)) <= 0)) {
    fprintf(stderr, "usage: %s [ROUNDS]\n", argv[0]);
    return 2;
  }
  alarm(120); /* never outlives a hung run */
  timed_rounds = rounds;
  total_rounds = WARMUP + rounds;
  pthread_t threads[2];
  void *(*sides[2])(void *) = {pinger, other};
  for (int side = 0; side < 2; side++) {
    int error = pthread_create(&threads[side], NULL, sides[side], NULL);
    if (error != 0) {
      fprintf(stderr, "mutex_pingpong: pthread_create: %s\n", strerror(error));
      return 2;
    }
  }
  for (int side = 0; side < 2; side++) {
    pthread_join(threads[side], NULL);
  }
  int same = pinger_tids[0] == other_tids[0] || pinger_tids[0] == other_tids[1] ||
             pinger_tids[1] == other_tids[0] || pinger_tids[1] == other_tids[1];
  printf("mutex_pingpong rounds=%ld ns_per_round_trip=%.1f same_os_thread=%d os_threads=%d\n",
         rounds, elapsed_seconds / (double)rounds * 1e9, same, threads_seen);
  return 0;
}
