/* detach.c - pthread_detach on running threads; detached threads still run to the end; join/detach of a detached thread give EINVAL. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 50 };

static atomic_int finished;

static void *worker(void *arg) {
  (void)arg;
  usleep(150000);
  atomic_fetch_add(&finished, 1);
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    if (pthread_create(&threads[i], NULL, worker, NULL) != 0) {
      printf("create failed\n");
      return 1;
    }
  }
  int detach_errors = 0;
  for (int i = 0; i < kThreads; i++) {
    detach_errors += pthread_detach(threads[i]) != 0;
  }
  printf("detach errors: %d\n", detach_errors);
  /* Still running (they sleep 150 ms): the handles are valid. */
  printf("join of a detached thread: %s\n", strerror(pthread_join(threads[0], NULL)));
  printf("detach of a detached thread: %s\n", strerror(pthread_detach(threads[1])));
  for (int i = 0; i < 300 && atomic_load(&finished) < kThreads; i++) {
    usleep(10000);
  }
  printf("detached threads finished: %d of %d\n", atomic_load(&finished), kThreads);

  /* A thread that has already finished can still be detached while unjoined. */
  pthread_t quick;
  pthread_create(&quick, NULL, worker, NULL);
  usleep(400000);
  printf("detach of a finished, unjoined thread: %s\n", strerror(pthread_detach(quick)));
  return 0;
}
