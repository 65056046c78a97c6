/* sleep_errors.c - nanosleep/clock_nanosleep argument errors (EINVAL, EFAULT, bad clocks) and zero-length sleeps. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void try_nanosleep(const char *what, time_t sec, long nsec) {
  struct timespec req = {sec, nsec};
  struct timespec rem = {123, 456};
  errno = 0;
  int rc = nanosleep(&req, &rem);
  printf("nanosleep %s: rc=%d errno=%s\n", what, rc, rc == 0 ? "-" : strerror(errno));
}

static void try_clock_nanosleep(const char *what, clockid_t clock, int flags, time_t sec, long nsec) {
  struct timespec req = {sec, nsec};
  errno = 0;
  int rc = clock_nanosleep(clock, flags, &req, NULL);
  /* clock_nanosleep returns the error number and leaves errno alone. */
  printf("clock_nanosleep %s: %s, errno untouched: %s\n", what, strerror(rc), errno == 0 ? "yes" : "no");
}

static void *checks(void *arg) {
  (void)arg;
  usleep(100000);
  try_nanosleep("tv_nsec = 1e9", 0, 1000000000L);
  try_nanosleep("tv_nsec = -1", 0, -1);
  try_nanosleep("tv_sec = -1", -1, 0);
  try_nanosleep("zero", 0, 0);
  try_nanosleep("1 ms", 0, 1000000);
  errno = 0;
  int rc = nanosleep(NULL, NULL);
  printf("nanosleep NULL: rc=%d errno=%s\n", rc, strerror(errno));

  try_clock_nanosleep("monotonic tv_nsec = 1e9", CLOCK_MONOTONIC, 0, 0, 1000000000L);
  try_clock_nanosleep("realtime tv_nsec = -1", CLOCK_REALTIME, 0, 0, -1);
  try_clock_nanosleep("monotonic tv_sec = -1", CLOCK_MONOTONIC, 0, -1, 0);
  try_clock_nanosleep("abstime tv_nsec = 1e9", CLOCK_MONOTONIC, TIMER_ABSTIME, 0, 1000000000L);
  try_clock_nanosleep("abstime tv_sec = -1", CLOCK_MONOTONIC, TIMER_ABSTIME, -1, 0);
  try_clock_nanosleep("abstime in the past", CLOCK_MONOTONIC, TIMER_ABSTIME, 0, 5);
  try_clock_nanosleep("realtime abstime in 1970", CLOCK_REALTIME, TIMER_ABSTIME, 1, 0);
  try_clock_nanosleep("clock 12345", 12345, 0, 0, 1000);
  try_clock_nanosleep("clock 100", 100, 0, 0, 1000);
  try_clock_nanosleep("thread cputime", CLOCK_THREAD_CPUTIME_ID, 0, 0, 1000);
  try_clock_nanosleep("monotonic raw", CLOCK_MONOTONIC_RAW, 0, 0, 1000);
  try_clock_nanosleep("boottime 1 ms", CLOCK_BOOTTIME, 0, 0, 1000000);
  try_clock_nanosleep("monotonic zero", CLOCK_MONOTONIC, 0, 0, 0);
  errno = 0;
  rc = clock_nanosleep(CLOCK_MONOTONIC, 0, NULL, NULL);
  printf("clock_nanosleep NULL: %s\n", strerror(rc));

  errno = 0;
  printf("sleep(0) = %u, errno %d\n", sleep(0), errno);
  errno = 0;
  rc = usleep(0);
  printf("usleep(0) = %d, errno %d\n", rc, errno);
  rc = usleep(999999);
  printf("usleep(999999) = %d\n", rc);
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, checks, NULL);
  pthread_join(thread, NULL);
  return 0;
}
