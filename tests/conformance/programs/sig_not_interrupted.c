/* sig_not_interrupted.c - a signal (handler without SA_RESTART) to a thread waiting in pthread_mutex_lock, pthread_mutex_timedlock, the rwlock locks, pthread_cond_wait, pthread_cond_timedwait, pthread_join, pthread_barrier_wait or pthread_once runs the handler but does not end the wait: no EINTR, the call goes on and completes when the event happens. */
/* sprig: green */
/* Main sends three signals with pthread_kill() once the waiting thread has set a flag just before its
 * call (a signal that comes just before the call only runs the handler: the output is the same), then
 * checks that the call has not returned, then makes the event. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int handled;
static atomic_int entering, returned;

static void on_signal(int signal_number) {
  (void)signal_number;
  atomic_fetch_add(&handled, 1);
}

static void nap_ms(int ms) {
  struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

static void wait_flag(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    nap_ms(1);
  }
}

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

static struct timespec in_15_s(void) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 15;
  return until;
}

static pthread_mutex_t mutex; /* error-checking: unlock tells whether the caller holds it */
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static sem_t joinee_go;
static pthread_t joinee;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int init_runs, init_started, init_may_end;

static const char *result_text(int rc) {
  static char text[64];
  if (rc == 0) {
    return "0";
  }
  snprintf(text, sizeof text, "%s", rc == EINTR ? "EINTR" : strerror(rc));
  return text;
}

/* Each wait returns a line's tail: what the call returned, and anything else it checks. */

static void wait_mutex_lock(char *out) {
  atomic_store(&entering, 1);
  int rc = pthread_mutex_lock(&mutex);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s, holds the mutex: %s", result_text(rc), yes_no(rc == 0 && pthread_mutex_unlock(&mutex) == 0));
}

static void wait_mutex_timedlock(char *out) {
  struct timespec until = in_15_s();
  atomic_store(&entering, 1);
  int rc = pthread_mutex_timedlock(&mutex, &until);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s, holds the mutex: %s", result_text(rc), yes_no(rc == 0 && pthread_mutex_unlock(&mutex) == 0));
}

static void wait_wrlock(char *out) {
  atomic_store(&entering, 1);
  int rc = pthread_rwlock_wrlock(&rwlock);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s", result_text(rc));
  if (rc == 0) {
    pthread_rwlock_unlock(&rwlock);
  }
}

static void wait_rdlock(char *out) {
  atomic_store(&entering, 1);
  int rc = pthread_rwlock_rdlock(&rwlock);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s", result_text(rc));
  if (rc == 0) {
    pthread_rwlock_unlock(&rwlock);
  }
}

/* Waits for `ready` as a user would: a wakeup without it (allowed) only loops. */
static void wait_cond(char *out, int timed) {
  struct timespec until = in_15_s();
  pthread_mutex_lock(&mutex);
  int rc = 0;
  atomic_store(&entering, 1);
  for (int i = 0; i < 1000 && !ready && rc == 0; i++) {
    rc = timed ? pthread_cond_timedwait(&cond, &mutex, &until) : pthread_cond_wait(&cond, &mutex);
  }
  atomic_store(&returned, 1);
  int saw_ready = ready;
  sprintf(out, "returned %s with the condition set: %s, holds the mutex: %s", result_text(rc), yes_no(saw_ready),
          yes_no(pthread_mutex_unlock(&mutex) == 0));
}

static void wait_cond_plain(char *out) { wait_cond(out, 0); }
static void wait_cond_timed(char *out) { wait_cond(out, 1); }

static void *joinee_body(void *arg) {
  while (sem_wait(&joinee_go) != 0 && errno == EINTR) {
  }
  return arg;
}

static void wait_join(char *out) {
  void *value = NULL;
  atomic_store(&entering, 1);
  int rc = pthread_join(joinee, &value);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s, the thread's value: %s", result_text(rc), yes_no(value == (void *)42));
}

static void wait_barrier(char *out) {
  atomic_store(&entering, 1);
  int rc = pthread_barrier_wait(&barrier);
  atomic_store(&returned, 1);
  sprintf(out, "returned 0 or PTHREAD_BARRIER_SERIAL_THREAD: %s", yes_no(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD));
}

static void slow_init(void) {
  atomic_fetch_add(&init_runs, 1);
  atomic_store(&init_started, 1);
  wait_flag(&init_may_end);
}

static void *run_once(void *arg) {
  pthread_once(&once, slow_init);
  return arg;
}

static void wait_once(char *out) {
  atomic_store(&entering, 1);
  int rc = pthread_once(&once, slow_init);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s, the initializer ran once and had ended: %s", result_text(rc),
          yes_no(atomic_load(&init_runs) == 1 && atomic_load(&init_may_end)));
}

/* Setups (main, before the waiting thread starts) and releases (main, after the signals). */

static pthread_t once_runner;

static void hold_mutex(void) { pthread_mutex_lock(&mutex); }
static void drop_mutex(void) { pthread_mutex_unlock(&mutex); }
static void hold_read(void) { pthread_rwlock_rdlock(&rwlock); }
static void hold_write(void) { pthread_rwlock_wrlock(&rwlock); }
static void drop_rwlock(void) { pthread_rwlock_unlock(&rwlock); }

static void set_ready(void) {
  pthread_mutex_lock(&mutex);
  ready = 1;
  pthread_cond_signal(&cond);
  pthread_mutex_unlock(&mutex);
}

static void start_joinee(void) {
  sem_init(&joinee_go, 0, 0);
  pthread_create(&joinee, NULL, joinee_body, (void *)42);
}

static void end_joinee(void) { sem_post(&joinee_go); }

static void init_barrier(void) { pthread_barrier_init(&barrier, NULL, 2); }
static void meet_barrier(void) { pthread_barrier_wait(&barrier); }

static void start_once(void) {
  pthread_create(&once_runner, NULL, run_once, NULL);
  wait_flag(&init_started);
}

static void end_once(void) {
  atomic_store(&init_may_end, 1);
  pthread_join(once_runner, NULL);
}

static void reset_ready(void) { ready = 0; }

struct check {
  const char *name;
  void (*setup)(void);
  void (*wait)(char *out);
  void (*release)(void);
};

static const struct check kChecks[] = {
    {"pthread_mutex_lock", hold_mutex, wait_mutex_lock, drop_mutex},
    {"pthread_mutex_timedlock (15 s)", hold_mutex, wait_mutex_timedlock, drop_mutex},
    {"pthread_rwlock_wrlock (main reads)", hold_read, wait_wrlock, drop_rwlock},
    {"pthread_rwlock_rdlock (main writes)", hold_write, wait_rdlock, drop_rwlock},
    {"pthread_cond_wait", reset_ready, wait_cond_plain, set_ready},
    {"pthread_cond_timedwait (15 s)", reset_ready, wait_cond_timed, set_ready},
    {"pthread_join", start_joinee, wait_join, end_joinee},
    {"pthread_barrier_wait", init_barrier, wait_barrier, meet_barrier},
    {"pthread_once (another thread runs the initializer)", start_once, wait_once, end_once},
};

static const struct check *current;
static char out[256];

static void *waiter(void *arg) {
  current->wait(out);
  return arg;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, NULL); /* no SA_RESTART */
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&mutex, &attributes);

  for (size_t i = 0; i < sizeof kChecks / sizeof kChecks[0]; i++) {
    current = &kChecks[i];
    atomic_store(&handled, 0);
    atomic_store(&entering, 0);
    atomic_store(&returned, 0);
    current->setup();
    pthread_t thread;
    pthread_create(&thread, NULL, waiter, NULL);
    wait_flag(&entering);
    for (int signal = 1; signal <= 3; signal++) {
      nap_ms(50);
      pthread_kill(thread, SIGUSR1);
      for (int j = 0; j < 10000 && atomic_load(&handled) < signal; j++) {
        nap_ms(1);
      }
    }
    nap_ms(50);
    int still_waiting = !atomic_load(&returned);
    current->release();
    pthread_join(thread, NULL);
    printf("%s: handler ran: %s, still waiting after it: %s, %s\n", current->name, yes_no(atomic_load(&handled) > 0),
           yes_no(still_waiting), out);
  }
  return 0;
}
