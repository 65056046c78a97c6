/* div_cancel_async_and_kill.c - a divergence sprig(7) lists: an asynchronous cancel does not stop a thread that is computing, it acts at the thread's next cancellation point; and, as natively, pthread_kill on another thread runs the handler on that thread. */
/* sprig: own-test */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile long spins;
static volatile int loop_finished;
static pthread_t target;
static volatile int handler_ran_on_target = -1;

static void *computing(void *arg) {
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  /* 300 ms with no cancellation point; sched_yield lets main run under sprig. */
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    sched_yield();
    spins++;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 300);
  loop_finished = 1;
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
  pthread_testcancel();
  return arg;
}

static void on_signal(int signal_number) {
  (void)signal_number;
  handler_ran_on_target = pthread_equal(pthread_self(), target);
}

static void *waiting(void *arg) {
  usleep(200000);
  return arg;
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, computing, NULL);
  usleep(1000);
  pthread_cancel(thread);
  void *result = NULL;
  pthread_join(thread, &result);
  printf("async cancel: canceled %s, loop finished %s\n", result == PTHREAD_CANCELED ? "yes" : "no",
         loop_finished ? "yes" : "no");

  signal(SIGUSR1, on_signal);
  pthread_create(&target, NULL, waiting, NULL);
  usleep(20000);
  pthread_kill(target, SIGUSR1);
  pthread_join(target, NULL);
  printf("pthread_kill: handler ran on the target: %d\n", handler_ran_on_target);
  return 0;
}
