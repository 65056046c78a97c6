/* sleep_many.c - 1,000 threads each sleeping 200 ms all finish within 2 s: the sleeps overlap. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 1000 };

static void *sleeper(void *arg) {
  (void)arg;
  usleep(200000);
  return NULL;
}

int main(void) {
  alarm(20);
  static pthread_t threads[kThreads];
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = 0; i < kThreads; i++) {
    int rc = pthread_create(&threads[i], &attr, sleeper, NULL);
    if (rc != 0) {
      printf("create %d: %s\n", i, strerror(rc));
      return 1;
    }
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  printf("%d threads slept 200 ms each: %s\n", kThreads, seconds < 2.0 ? "ok" : "slow");
  printf("#nocompare elapsed %.3f s\n", seconds);
  return 0;
}
