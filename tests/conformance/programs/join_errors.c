/* join_errors.c - pthread_join on self gives EDEADLK (from main and from a thread); a thread joins another thread. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *arg) {
  usleep(150000);
  return arg;
}

static void *self_joiner(void *arg) {
  (void)arg;
  usleep(100000);
  return (void *)(intptr_t)pthread_join(pthread_self(), NULL);
}

static void *other_joiner(void *arg) {
  pthread_t target = *(pthread_t *)arg;
  void *value = NULL;
  int rc = pthread_join(target, &value);
  printf("thread joined another thread: %s, value %ld\n", strerror(rc), (long)(intptr_t)value);
  return NULL;
}

int main(void) {
  alarm(20);
  printf("main joins itself: %s\n", strerror(pthread_join(pthread_self(), NULL)));

  pthread_t thread;
  pthread_create(&thread, NULL, self_joiner, NULL);
  void *value = NULL;
  pthread_join(thread, &value);
  printf("thread joins itself: %s\n", strerror((int)(intptr_t)value));

  pthread_t target, joiner;
  pthread_create(&target, NULL, sleeper, (void *)(intptr_t)9);
  pthread_create(&joiner, NULL, other_joiner, &target);
  pthread_join(joiner, NULL);
  return 0;
}
