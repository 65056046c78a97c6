/* attr.c - pthread_attr: a thread using 512 KiB of stack with a 1 MiB stack size; a detached-state attr. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kUsed = 512 * 1024 };

static void *deep_stack(void *arg) {
  volatile unsigned char buffer[kUsed];
  for (size_t i = 0; i < sizeof buffer; i++) {
    buffer[i] = (unsigned char)(i * 7 + (uintptr_t)arg);
  }
  usleep(100000);
  unsigned long sum = 0;
  for (size_t i = 0; i < sizeof buffer; i++) {
    sum += buffer[i];
  }
  return (void *)sum;
}

static atomic_int detached_done;

static void *detached_worker(void *arg) {
  (void)arg;
  usleep(100000);
  atomic_fetch_add(&detached_done, 1);
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  printf("setstacksize 1 MiB: %s\n", strerror(pthread_attr_setstacksize(&attr, 1 << 20)));
  size_t size = 0;
  pthread_attr_getstacksize(&attr, &size);
  printf("getstacksize: %zu\n", size);
  pthread_t threads[4];
  for (intptr_t i = 0; i < 4; i++) {
    int rc = pthread_create(&threads[i], &attr, deep_stack, (void *)i);
    if (rc != 0) {
      printf("create: %s\n", strerror(rc));
      return 1;
    }
  }
  for (int i = 0; i < 4; i++) {
    void *sum = NULL;
    pthread_join(threads[i], &sum);
    printf("thread %d stack checksum %lu\n", i, (unsigned long)(uintptr_t)sum);
  }
  pthread_attr_destroy(&attr);

  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int state = -1;
  pthread_attr_getdetachstate(&attr, &state);
  printf("detachstate is detached: %s\n", state == PTHREAD_CREATE_DETACHED ? "yes" : "no");
  pthread_t detached[10];
  for (int i = 0; i < 10; i++) {
    pthread_create(&detached[i], &attr, detached_worker, NULL);
  }
  printf("join of a thread created detached: %s\n", strerror(pthread_join(detached[0], NULL)));
  printf("detach of a thread created detached: %s\n", strerror(pthread_detach(detached[1])));
  pthread_attr_destroy(&attr);
  for (int i = 0; i < 300 && atomic_load(&detached_done) < 10; i++) {
    usleep(10000);
  }
  printf("detached threads done: %d\n", atomic_load(&detached_done));
  return 0;
}
