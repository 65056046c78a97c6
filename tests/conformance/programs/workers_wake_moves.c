/* workers_wake_moves.c - a thread that waits on a condition variable is woken while another thread of the process computes: does it run before that computation ends? */
/* sprig: own-test */
/*
 * main starts a thread that computes for COMPUTE_MS without blocking, then
 * one that sleeps WAKE_AFTER_MS and signals main, and waits. Natively the
 * kernel runs main as soon as it is signalled (on another CPU, or in a time
 * slice of this one). Under sprig with two workers the computing thread is
 * placed beside main, on the first worker, and the waker on the second: main
 * runs at once only if it moves to the waker's worker, which is idle
 * (docs/design.md, "Threads move to their waker's worker"); without moves
 * (SPRIG_MOVE=0, SPRIG_TLS=shared, or one worker) it waits for the
 * computation to end. main also checks that its errno and a thread-local
 * value are the same before and after the wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define COMPUTE_MS 600
#define WAKE_AFTER_MS 50

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t signalled = PTHREAD_COND_INITIALIZER;
static int ready;
static atomic_int computing = 1;
static _Thread_local int marker = 7;

static long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

static void *compute(void *argument) {
  (void)argument;
  long start = now_ms();
  volatile unsigned long sink = 0;
  while (now_ms() - start < COMPUTE_MS) {
    for (int i = 0; i < 10000; ++i) {
      sink += (unsigned long)i * 2654435761UL;
    }
  }
  atomic_store(&computing, 0);
  return NULL;
}

static void *wake_main(void *argument) {
  (void)argument;
  usleep(WAKE_AFTER_MS * 1000);
  pthread_mutex_lock(&lock);
  ready = 1;
  pthread_cond_signal(&signalled);
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(void) {
  pthread_t computer;
  pthread_t waker;
  marker = 42;
  errno = 1234;
  int *errno_before = &errno;
  pthread_create(&computer, NULL, compute, NULL);
  pthread_create(&waker, NULL, wake_main, NULL);
  pthread_mutex_lock(&lock);
  while (!ready) {
    pthread_cond_wait(&signalled, &lock);
  }
  pthread_mutex_unlock(&lock);
  int still_computing = atomic_load(&computing);
  int own_state_kept = marker == 42 && &errno == errno_before && errno == 1234;
  pthread_join(waker, NULL);
  pthread_join(computer, NULL);
  printf("woke_while_computing=%s own_state_kept=%s\n", still_computing ? "yes" : "no",
         own_state_kept ? "yes" : "no");
  return 0;
}
