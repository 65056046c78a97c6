/* div_error_checks.c - misuses whose result POSIX leaves undefined: a timed condition wait without the mutex, unlocking an unlocked mutex or an unheld rwlock, and destroying a condition variable, a semaphore or a barrier another thread waits on. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Error checks glibc does not make"): under
 * sprig each misuse fails at once with EPERM or EBUSY; glibc goes ahead
 * (and its pthread_cond_destroy() waits for the waiter to leave, its
 * pthread_barrier_destroy() for a round that never completes).
 * test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *error_name(int error) {
  switch (error) {
  case 0:
    return "0";
  case EPERM:
    return "EPERM";
  case EBUSY:
    return "EBUSY";
  case ETIMEDOUT:
    return "ETIMEDOUT";
  default:
    return strerror(error);
  }
}

static struct timespec realtime_in_ms(long ms) {
  struct timespec when;
  clock_gettime(CLOCK_REALTIME, &when);
  when.tv_sec += ms / 1000;
  when.tv_nsec += (ms % 1000) * 1000000;
  if (when.tv_nsec >= 1000000000) {
    when.tv_sec++;
    when.tv_nsec -= 1000000000;
  }
  return when;
}

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

static void unheld_locks(void) {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
  struct timespec deadline = realtime_in_ms(50);
  int rc = pthread_cond_timedwait(&cond, &mutex, &deadline);
  printf("pthread_cond_timedwait(50 ms) without holding the mutex: %s, the mutex held afterwards: "
         "%s\n",
         error_name(rc), pthread_mutex_trylock(&mutex) == EBUSY ? "yes" : "no");
  pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;
  printf("pthread_mutex_unlock of an unlocked normal mutex: %s\n",
         error_name(pthread_mutex_unlock(&unlocked)));
  pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
  printf("pthread_rwlock_unlock without holding it: %s\n",
         error_name(pthread_rwlock_unlock(&rwlock)));
}

/* Each waiter tells main, through cond_mutex and waiter_ready (no sleep, no
 * timer), that it is about to wait: natively main gets cond_mutex only once the
 * waiter's condition wait has released it; under sprig main runs only once the
 * waiter has parked in its wait. */
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t waiter_ready = PTHREAD_COND_INITIALIZER;
static int waiter_waits; /* under cond_mutex */
static struct timespec waiter_deadline; /* under cond_mutex */

static void about_to_wait(const struct timespec *deadline) {
  waiter_deadline = *deadline;
  waiter_waits = 1;
  pthread_cond_signal(&waiter_ready);
}

static void until_waiter_waits(struct timespec *deadline) {
  pthread_mutex_lock(&cond_mutex);
  while (!waiter_waits) {
    pthread_cond_wait(&waiter_ready, &cond_mutex);
  }
  waiter_waits = 0;
  *deadline = waiter_deadline;
  pthread_mutex_unlock(&cond_mutex);
}

enum { kCondTries = 5 };
static pthread_cond_t waited_conds[kCondTries]; /* a fresh one for each try */

static void *cond_waiter(void *arg) {
  pthread_cond_t *cond = arg;
  pthread_mutex_lock(&cond_mutex);
  struct timespec deadline = realtime_in_ms(200);
  about_to_wait(&deadline);
  int rc = pthread_cond_timedwait(cond, &cond_mutex, &deadline);
  pthread_mutex_unlock(&cond_mutex);
  return (void *)(long)rc;
}

/* Milliseconds from now (CLOCK_REALTIME) until deadline. */
static long long ms_until(const struct timespec *deadline) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* A try shows whether pthread_cond_destroy() waits only if main calls it with
 * 120 ms or more of the waiter's 200 ms left; a loaded machine may run main
 * later than that, and then main tries again with a fresh waiter (5 tries). */
static void destroy_waited_cond(void) {
  for (int try = 0; try < kCondTries; try++) {
    pthread_cond_t *cond = &waited_conds[try];
    pthread_cond_init(cond, NULL);
    pthread_t thread;
    pthread_create(&thread, NULL, cond_waiter, cond);
    struct timespec deadline;
    until_waiter_waits(&deadline);
    long long left = ms_until(&deadline);
    long long started = now_ms();
    int rc = pthread_cond_destroy(cond);
    long long took = now_ms() - started;
    void *waiter_rc = NULL;
    pthread_join(thread, &waiter_rc);
    if (left >= 120 || try == kCondTries - 1) {
      printf("pthread_cond_destroy while a thread waits 200 ms: %s, %s; the waiter: %s\n",
             error_name(rc), took >= 100 ? "when the waiter's wait ended" : "at once",
             error_name((int)(long)waiter_rc));
      break;
    }
  }
}

static sem_t waited_sem;

static void *sem_waiter(void *arg) {
  (void)arg;
  struct timespec deadline = realtime_in_ms(100);
  pthread_mutex_lock(&cond_mutex);
  about_to_wait(&deadline);
  pthread_mutex_unlock(&cond_mutex);
  int rc = sem_timedwait(&waited_sem, &deadline);
  return (void *)(long)(rc == 0 ? 0 : errno);
}

static void destroy_waited_sem(void) {
  sem_init(&waited_sem, 0, 0);
  pthread_t thread;
  pthread_create(&thread, NULL, sem_waiter, NULL);
  struct timespec deadline;
  until_waiter_waits(&deadline); /* (natively sem_destroy does nothing either way) */
  int rc = sem_destroy(&waited_sem) == 0 ? 0 : errno;
  void *waiter_rc = NULL;
  pthread_join(thread, &waiter_rc);
  printf("sem_destroy while a thread waits 100 ms: %s; the waiter: %s\n", error_name(rc),
         error_name((int)(long)waiter_rc));
}

static pthread_barrier_t barrier;
static atomic_int destroy_rc = -1;
static atomic_int barrier_reached; /* the waiter is about to wait at the barrier */

static void *barrier_waiter(void *arg) {
  atomic_store(&barrier_reached, 1);
  pthread_barrier_wait(&barrier); /* the second thread never comes */
  return arg;
}

static void *barrier_destroyer(void *arg) {
  atomic_store(&destroy_rc, pthread_barrier_destroy(&barrier));
  return arg;
}

static void destroy_waited_barrier(void) {
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_t waiter, destroyer;
  pthread_create(&waiter, NULL, barrier_waiter, NULL);
  /* at most 10 s, so a loaded machine only slows it */
  for (int i = 0; i < 10000 && !atomic_load(&barrier_reached); i++) {
    usleep(1000);
  }
  usleep(20000); /* the waiter waits at the barrier now */
  pthread_create(&destroyer, NULL, barrier_destroyer, NULL);
  usleep(300000);
  int rc = atomic_load(&destroy_rc);
  printf("pthread_barrier_destroy while a thread waits: %s\n",
         rc < 0 ? "not returned after 300 ms" : error_name(rc));
  /* Both threads may still be waiting: exit() ends them. */
}

int main(void) {
  alarm(20);
  unheld_locks();
  destroy_waited_cond();
  destroy_waited_sem();
  destroy_waited_barrier();
  fflush(stdout);
  return 0;
}
