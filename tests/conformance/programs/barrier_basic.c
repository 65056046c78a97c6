/* barrier_basic.c - pthread barriers: one PTHREAD_BARRIER_SERIAL_THREAD per round (the last to arrive), nobody leaves early, count 0 is EINVAL, and waiting parks only the waiter. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 6, kRounds = 4 };

static pthread_barrier_t barrier;
static atomic_int arrived[kRounds];
static atomic_int early_leavers;
static atomic_int serials[kRounds];
static atomic_int serial_was_last;
static atomic_int ticks;
static atomic_int stop;

static void *runner(void *arg) {
  int index = (int)(intptr_t)arg;
  for (int round = 0; round < kRounds; round++) {
    usleep((useconds_t)(3000 * ((index + round) % kThreads))); /* one arrival at a time */
    int position = atomic_fetch_add(&arrived[round], 1) + 1;
    int rc = pthread_barrier_wait(&barrier);
    if (atomic_load(&arrived[round]) != kThreads) {
      atomic_fetch_add(&early_leavers, 1);
    }
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
      atomic_fetch_add(&serials[round], 1);
      if (position == kThreads) {
        atomic_fetch_add(&serial_was_last, 1);
      }
    } else if (rc != 0) {
      printf("pthread_barrier_wait: %s\n", strerror(rc));
    }
  }
  return NULL;
}

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(10000);
  }
  return NULL;
}

static void *slow_arrival(void *arg) {
  usleep(300000);
  return (void *)(intptr_t)pthread_barrier_wait(arg);
}

int main(void) {
  alarm(20);
  printf("init with count 0: %s\n", strerror(pthread_barrier_init(&barrier, NULL, 0)));
  printf("init with count 2^31-1: %s\n", strerror(pthread_barrier_init(&barrier, NULL, 0x7fffffffU)));

  printf("init with count %d: %s\n", kThreads,
         strerror(pthread_barrier_init(&barrier, NULL, kThreads)));
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, runner, (void *)(intptr_t)i);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  for (int round = 0; round < kRounds; round++) {
    printf("round %d: %d serial thread(s)\n", round, atomic_load(&serials[round]));
  }
  printf("the serial thread was the last to arrive: %d of %d rounds\n",
         atomic_load(&serial_was_last), kRounds);
  printf("threads that left before everyone arrived: %d\n", atomic_load(&early_leavers));
  printf("destroy: %s\n", strerror(pthread_barrier_destroy(&barrier)));

  pthread_barrier_t single;
  pthread_barrier_init(&single, NULL, 1);
  int rc = pthread_barrier_wait(&single);
  printf("count 1: %s\n", rc == PTHREAD_BARRIER_SERIAL_THREAD ? "serial at once" : strerror(rc));
  rc = pthread_barrier_wait(&single);
  printf("count 1 again: %s\n", rc == PTHREAD_BARRIER_SERIAL_THREAD ? "serial at once" : strerror(rc));
  pthread_barrier_destroy(&single);

  /* waiting at the barrier parks only this thread: the witness keeps ticking */
  pthread_barrier_t pair;
  pthread_barrier_init(&pair, NULL, 2);
  pthread_t witness_thread, slow;
  pthread_create(&witness_thread, NULL, witness, NULL);
  usleep(20000);
  pthread_create(&slow, NULL, slow_arrival, &pair);
  int before = atomic_load(&ticks);
  int mine = pthread_barrier_wait(&pair);
  int during = atomic_load(&ticks) - before;
  void *theirs;
  pthread_join(slow, &theirs);
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  printf("serial: the late arrival %s, main %s\n",
         (intptr_t)theirs == PTHREAD_BARRIER_SERIAL_THREAD ? "yes" : "no",
         mine == PTHREAD_BARRIER_SERIAL_THREAD ? "yes" : "no");
  printf("witness ran while main waited at the barrier: %s\n", during >= 10 ? "yes" : "no");
  printf("#nocompare ticks during the wait: %d\n", during);
  pthread_barrier_destroy(&pair);
  return 0;
}
