/* cancel_state.c - cancellation state and type: a disabled thread finishes its sleep and is cancelled at the next cancellation point once enabled; pthread_testcancel acts in a busy loop; a cancel of an ended thread returns 0; cancellation points in cleanup handlers do not cancel again; pthread_cleanup_push_defer_np defers for its section; bad arguments give EINVAL. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static volatile int progress;
static atomic_int disabled; /* the thread has disabled cancellation and printed its first line */
static atomic_int cancel_sent; /* main has cancelled it and printed so */

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

static void handler(void *text) {
  usleep(1000); /* a cancellation point inside a handler: no second cancel */
  printf("  handler: %s\n", (const char *)text);
  fflush(stdout);
}

static void *disabled_then_enabled(void *arg) {
  int old = -1;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  printf("  old state was enable: %s\n", old == PTHREAD_CANCEL_ENABLE ? "yes" : "no");
  pthread_cleanup_push(handler, "disabled thread");
  atomic_store(&disabled, 1);
  usleep(100000); /* the cancel arrives during this sleep, which completes */
  wait_for(&cancel_sent); /* (or during this wait, if main runs late) */
  progress = 1;
  printf("  sleep finished while disabled\n");
  fflush(stdout);
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  printf("  still running after enable (deferred)\n");
  fflush(stdout);
  usleep(1000); /* cancellation point: ends here */
  progress = 2;
  pthread_cleanup_pop(0);
  return arg;
}

static void *busy_with_testcancel(void *arg) {
  pthread_cleanup_push(handler, "busy thread");
  for (long i = 0; i < 2000000000L; i++) {
    if (i % 1000 == 0) {
      pthread_testcancel();
      sched_yield();
    }
  }
  pthread_cleanup_pop(0);
  return arg;
}

static void *ends_at_once(void *arg) { return arg; }

/* pthread_cleanup_push_defer_np switches to deferred cancellation for its
 * section; pthread_cleanup_pop_restore_np puts the old type back. */
static void *defer_section(void *arg) {
  int type = -1;
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  pthread_cleanup_push_defer_np(handler, "defer section");
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
  printf("  inside the defer section: %s\n", type == PTHREAD_CANCEL_DEFERRED ? "deferred" : "asynchronous");
  pthread_cleanup_pop_restore_np(0);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
  printf("  after it: %s\n", type == PTHREAD_CANCEL_DEFERRED ? "deferred" : "asynchronous");
  return arg;
}

int main(void) {
  alarm(20);
  pthread_t thread;
  void *result = NULL;

  pthread_create(&thread, NULL, disabled_then_enabled, NULL);
  wait_for(&disabled);
  usleep(30000);
  printf("cancel disabled thread -> %d\n", pthread_cancel(thread));
  fflush(stdout);
  atomic_store(&cancel_sent, 1);
  pthread_join(thread, &result);
  printf("disabled thread: canceled %s, progress %d\n", result == PTHREAD_CANCELED ? "yes" : "no",
         progress);

  pthread_create(&thread, NULL, busy_with_testcancel, NULL);
  usleep(20000);
  pthread_cancel(thread);
  pthread_join(thread, &result);
  printf("busy thread: canceled %s\n", result == PTHREAD_CANCELED ? "yes" : "no");

  pthread_create(&thread, NULL, ends_at_once, (void *)5);
  usleep(20000);
  printf("cancel of an ended thread -> %d\n", pthread_cancel(thread));
  pthread_join(thread, &result);
  printf("ended thread result %ld\n", (long)result);

  pthread_create(&thread, NULL, defer_section, NULL);
  pthread_join(thread, NULL);

  int old = 0;
  printf("setcancelstate(99) -> %s\n", pthread_setcancelstate(99, &old) == EINVAL ? "EINVAL" : "?");
  printf("setcanceltype(99) -> %s\n", pthread_setcanceltype(99, &old) == EINVAL ? "EINVAL" : "?");
  printf("setcanceltype(deferred) old deferred: %s\n",
         pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old) == 0 && old == PTHREAD_CANCEL_DEFERRED
             ? "yes"
             : "no");
  printf("pthread_kill(self, 0) -> %d\n", pthread_kill(pthread_self(), 0));
  return 0;
}
