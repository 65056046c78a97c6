/* div_realtime_deadline.c - waits with an absolute CLOCK_REALTIME deadline 200 ms ahead: pthread_cond_timedwait, pthread_mutex_timedlock, sem_timedwait, pthread_timedjoin_np, clock_nanosleep(TIMER_ABSTIME); prints each result with its deadline and the CLOCK_MONOTONIC time it started at, for a tracer to compare with what reached the kernel. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Realtime deadlines do not follow clock
 * changes"). The system clock cannot be set in a test on a shared machine;
 * test_divergences.py runs this under strace(1) instead: natively each
 * deadline reaches the kernel as a CLOCK_REALTIME absolute time (a futex
 * with FUTEX_CLOCK_REALTIME, clock_nanosleep on CLOCK_REALTIME), which the
 * kernel moves when the clock is set; under sprig only a CLOCK_MONOTONIC
 * timerfd is armed, at the monotonic time the deadline stood for when the
 * wait started. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct timespec start_monotonic;

/* The realtime deadline 200 ms from now; notes the monotonic time now. */
static struct timespec deadline_ahead(void) {
  struct timespec when;
  clock_gettime(CLOCK_MONOTONIC, &start_monotonic);
  clock_gettime(CLOCK_REALTIME, &when);
  when.tv_nsec += 200000000;
  if (when.tv_nsec >= 1000000000) {
    when.tv_sec++;
    when.tv_nsec -= 1000000000;
  }
  return when;
}

static void report(const char *call, int rc, struct timespec deadline) {
  printf("%s: %s realtime_deadline=%lld.%09ld monotonic_start=%lld.%09ld\n", call,
         rc == ETIMEDOUT ? "ETIMEDOUT"
         : rc == 0       ? "0"
                         : strerror(rc),
         (long long)deadline.tv_sec, deadline.tv_nsec, (long long)start_monotonic.tv_sec,
         start_monotonic.tv_nsec);
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *timed_lock(void *arg) {
  (void)arg;
  struct timespec deadline = deadline_ahead();
  report("pthread_mutex_timedlock", pthread_mutex_timedlock(&held, &deadline), deadline);
  return NULL;
}

static sem_t never_posted;
static sem_t release;

static void *wait_for_release(void *arg) {
  sem_wait(&release);
  return arg;
}

int main(void) {
  alarm(20);
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&mutex);
  struct timespec deadline = deadline_ahead();
  report("pthread_cond_timedwait", pthread_cond_timedwait(&cond, &mutex, &deadline), deadline);
  pthread_mutex_unlock(&mutex);

  pthread_mutex_lock(&held);
  pthread_t thread;
  pthread_create(&thread, NULL, timed_lock, NULL);
  pthread_join(thread, NULL);
  pthread_mutex_unlock(&held);

  sem_init(&never_posted, 0, 0);
  deadline = deadline_ahead();
  report("sem_timedwait", sem_timedwait(&never_posted, &deadline) == 0 ? 0 : errno, deadline);

  sem_init(&release, 0, 0);
  pthread_create(&thread, NULL, wait_for_release, NULL);
  deadline = deadline_ahead();
  report("pthread_timedjoin_np", pthread_timedjoin_np(thread, NULL, &deadline), deadline);
  sem_post(&release);
  pthread_join(thread, NULL);

  deadline = deadline_ahead();
  report("clock_nanosleep", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &deadline, NULL),
         deadline);
  return 0;
}
