/* tryjoin.c - pthread_tryjoin_np: EBUSY while the thread runs, its value once it has ended; EBUSY on self. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *arg) {
  usleep(200000);
  return arg;
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, sleeper, (void *)(intptr_t)77);
  void *value = NULL;
  printf("tryjoin while running: %s\n", strerror(pthread_tryjoin_np(thread, &value)));
  int rc = EBUSY;
  int attempts = 0;
  while (rc == EBUSY && attempts < 500) {
    usleep(10000);
    attempts++;
    rc = pthread_tryjoin_np(thread, &value);
  }
  printf("tryjoin after it ended: %s, value %ld, needed more than 10 attempts: %s\n", strerror(rc),
         (long)(intptr_t)value, attempts > 10 ? "yes" : "no");

  /* glibc: a thread that has not ended is busy, even when it is the caller. */
  printf("tryjoin on self: %s\n", strerror(pthread_tryjoin_np(pthread_self(), NULL)));
  return 0;
}
