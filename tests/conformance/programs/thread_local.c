/* thread_local.c - __thread variables: per thread natively, per OS thread under sprig (a divergence sprig(7) lists). */
/* sprig: green own-test */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

enum { kThreads = 4 };

static __thread int counter;
static __thread int initialised = 5;

static void *worker(void *arg) {
  int start = initialised;
  for (int i = 0; i < 10; i++) {
    counter++;
    usleep(10000 + 1000 * (useconds_t)(intptr_t)arg);
  }
  return (void *)(intptr_t)(counter * 100 + start);
}

int main(void) {
  alarm(20);
  initialised = 9; /* main's copy only */
  pthread_t threads[kThreads];
  for (intptr_t i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, worker, (void *)i);
  }
  for (int i = 0; i < kThreads; i++) {
    void *value = NULL;
    pthread_join(threads[i], &value);
    printf("thread %d: counter %ld, initial value %ld\n", i, (long)(intptr_t)value / 100,
           (long)(intptr_t)value % 100);
  }
  printf("main: counter %d, initialised %d\n", counter, initialised);
  return 0;
}
