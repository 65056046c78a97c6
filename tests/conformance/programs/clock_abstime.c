/* clock_abstime.c - sleeps never end early: clock_nanosleep TIMER_ABSTIME on CLOCK_MONOTONIC and CLOCK_REALTIME, relative sleeps, rem. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  return ts;
}

static const char *yes(int condition) { return condition ? "yes" : "no"; }

static void absolute(const char *name, clockid_t clock, int64_t delay_ns) {
  int64_t target = now_ns(clock) + delay_ns;
  struct timespec ts = to_timespec(target);
  int64_t start = now_ns(CLOCK_MONOTONIC);
  int rc = clock_nanosleep(clock, TIMER_ABSTIME, &ts, NULL);
  int64_t reached = now_ns(clock);
  int64_t waited = now_ns(CLOCK_MONOTONIC) - start;
  printf("%s abstime +%lld ms: %s, reached the target: %s, took < target + 500 ms: %s\n", name,
         (long long)(delay_ns / 1000000), strerror(rc), yes(reached >= target),
         yes(waited < delay_ns + 500000000));
}

static void relative(const char *name, int64_t delay_ns, int (*sleep_fn)(int64_t)) {
  int64_t start = now_ns(CLOCK_MONOTONIC);
  int rc = sleep_fn(delay_ns);
  int64_t waited = now_ns(CLOCK_MONOTONIC) - start;
  printf("%s %lld ms: rc=%d, not early: %s, took < +500 ms: %s\n", name, (long long)(delay_ns / 1000000),
         rc, yes(waited >= delay_ns), yes(waited < delay_ns + 500000000));
}

static int by_nanosleep(int64_t ns) {
  struct timespec req = to_timespec(ns), rem = {7, 7};
  int rc = nanosleep(&req, &rem);
  return rc;
}
static int by_clock_nanosleep(int64_t ns) {
  struct timespec req = to_timespec(ns);
  return clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
}
static int by_clock_nanosleep_realtime(int64_t ns) {
  struct timespec req = to_timespec(ns);
  return clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL);
}
static int by_usleep(int64_t ns) { return usleep((useconds_t)(ns / 1000)); }
static int by_sleep(int64_t ns) { return (int)sleep((unsigned)(ns / 1000000000)); }

static void *worker(void *arg) {
  (void)arg;
  absolute("CLOCK_MONOTONIC", CLOCK_MONOTONIC, 120000000);
  absolute("CLOCK_REALTIME", CLOCK_REALTIME, 120000000);
  relative("nanosleep", 80000000, by_nanosleep);
  relative("clock_nanosleep monotonic", 80000000, by_clock_nanosleep);
  relative("clock_nanosleep realtime", 80000000, by_clock_nanosleep_realtime);
  relative("usleep", 80000000, by_usleep);
  relative("sleep", 1000000000, by_sleep);
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t threads[2];
  pthread_create(&threads[0], NULL, worker, NULL);
  pthread_join(threads[0], NULL);
  /* The same from main's own stack. */
  absolute("main CLOCK_MONOTONIC", CLOCK_MONOTONIC, 50000000);
  return 0;
}
