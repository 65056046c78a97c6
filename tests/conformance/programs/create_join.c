/* create_join.c - 200 threads created and joined, each returning a value computed from its argument. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 200 };

static void *square(void *arg) {
  intptr_t n = (intptr_t)arg;
  usleep(100000); /* keep them all alive at once */
  return (void *)(n * n);
}

int main(void) {
  alarm(20);
  pthread_t threads[kThreads];
  for (intptr_t i = 0; i < kThreads; i++) {
    int rc = pthread_create(&threads[i], NULL, square, (void *)i);
    if (rc != 0) {
      printf("create %ld: %s\n", (long)i, strerror(rc));
      return 1;
    }
  }
  long sum = 0;
  int wrong = 0;
  for (intptr_t i = 0; i < kThreads; i++) {
    void *result = NULL;
    int rc = pthread_join(threads[i], &result);
    if (rc != 0) {
      printf("join %ld: %s\n", (long)i, strerror(rc));
      return 1;
    }
    if ((intptr_t)result != i * i) {
      wrong++;
    }
    sum += (long)(intptr_t)result;
  }
  printf("joined %d threads, sum of squares %ld, wrong results %d\n", kThreads, sum, wrong);
  return 0;
}
