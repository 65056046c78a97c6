/* yield_many.c - 100 threads each yield 50 times: 5,000 switches and more, then a normal exit. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

enum { kThreads = 100, kYields = 50 };

static void *yield_often(void *arg) {
  for (int i = 0; i < kYields; i++) {
    sched_yield();
  }
  return arg;
}

int main(void) {
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, yield_often, NULL);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("yielded\n");
  return 0;
}
