/* timedjoin.c - pthread_timedjoin_np times out (ETIMEDOUT, after the deadline) while the thread sleeps, then joins it. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg) {
  usleep(500000);
  return arg;
}

static struct timespec realtime_in(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static long elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, sleeper, (void *)(intptr_t)5);

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  struct timespec deadline = realtime_in(100);
  void *value = NULL;
  int rc = pthread_timedjoin_np(thread, &value, &deadline);
  long waited = elapsed_ms(&start);
  printf("timedjoin 100 ms: %s, waited >= 95 ms: %s, < 450 ms: %s\n", strerror(rc),
         waited >= 95 ? "yes" : "no", waited < 450 ? "yes" : "no");

  struct timespec past = {1, 0};
  printf("timedjoin with a deadline in 1970: %s\n", strerror(pthread_timedjoin_np(thread, &value, &past)));

  deadline = realtime_in(5000);
  rc = pthread_timedjoin_np(thread, &value, &deadline);
  printf("timedjoin 5 s: %s, value %ld, returned before the deadline: %s\n", strerror(rc),
         (long)(intptr_t)value, elapsed_ms(&start) < 3000 ? "yes" : "no");

  deadline = realtime_in(1000);
  printf("timedjoin on self: %s\n", strerror(pthread_timedjoin_np(pthread_self(), NULL, &deadline)));

  /* A finished thread joins at once, whatever the deadline. */
  pthread_create(&thread, NULL, sleeper, (void *)(intptr_t)6);
  usleep(700000);
  rc = pthread_timedjoin_np(thread, &value, &past);
  printf("timedjoin of a finished thread, past deadline: %s, value %ld\n", strerror(rc),
         (long)(intptr_t)value);
  return 0;
}
