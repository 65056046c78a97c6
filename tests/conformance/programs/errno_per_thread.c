/* errno_per_thread.c - errno belongs to each thread: a value set before a sleep is still there after it, whatever others did meanwhile. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 8 };

static void *worker(void *arg) {
  int mine = 1000 + (int)(intptr_t)arg;
  int intact = 0;
  for (int round = 0; round < 10; round++) {
    errno = mine;
    usleep(10000 + 1000 * (useconds_t)(intptr_t)arg);
    intact += errno == mine;
    /* a failing call sets this thread's errno only */
    struct timespec bad = {0, -1};
    nanosleep(&bad, NULL);
    intact += errno == EINVAL;
  }
  return (void *)(intptr_t)intact;
}

int main(void) {
  alarm(20);
  pthread_t threads[kThreads];
  for (intptr_t i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, worker, (void *)i);
  }
  errno = 4242;
  usleep(50000);
  printf("main's errno after its sleep: %d\n", errno);
  for (int i = 0; i < kThreads; i++) {
    void *intact = NULL;
    pthread_join(threads[i], &intact);
    printf("thread %d: errno intact %ld of 20\n", i, (long)(intptr_t)intact);
  }
  return 0;
}
