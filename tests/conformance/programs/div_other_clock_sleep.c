/* div_other_clock_sleep.c - clock_nanosleep() for 200 ms on CLOCK_BOOTTIME (relative and TIMER_ABSTIME) and on CLOCK_TAI: does a witness thread keep ticking meanwhile? */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Sleeps on other clocks block the worker"):
 * under sprig only CLOCK_MONOTONIC and CLOCK_REALTIME sleeps park; these go
 * to libc and block the worker, so the witness stops. test_divergences.py
 * checks both results. (CPU-time clocks are left out: such a sleep waits for
 * CPU time the process uses, which depends on the other threads.) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static atomic_int ticks;
static atomic_int stop;

static void *witness(void *arg) {
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    usleep(5000);
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

static void sleep_on(const char *what, clockid_t clock, int flags) {
  struct timespec length = {0, 200000000};
  if (flags == TIMER_ABSTIME) {
    struct timespec now;
    clock_gettime(clock, &now);
    length.tv_sec = now.tv_sec + (now.tv_nsec + length.tv_nsec) / 1000000000;
    length.tv_nsec = (now.tv_nsec + length.tv_nsec) % 1000000000;
  }
  int before = atomic_load(&ticks);
  int rc = clock_nanosleep(clock, flags, &length, NULL);
  printf("clock_nanosleep(%s) for 200 ms: %d; the witness ticked meanwhile: %s\n", what, rc,
         atomic_load(&ticks) - before > 0 ? "yes" : "no");
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, witness, NULL);
  usleep(20000);
  sleep_on("CLOCK_BOOTTIME", CLOCK_BOOTTIME, 0);
  sleep_on("CLOCK_BOOTTIME, TIMER_ABSTIME", CLOCK_BOOTTIME, TIMER_ABSTIME);
  sleep_on("CLOCK_TAI", CLOCK_TAI, 0);
  sleep_on("CLOCK_MONOTONIC", CLOCK_MONOTONIC, 0);
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  return 0;
}
