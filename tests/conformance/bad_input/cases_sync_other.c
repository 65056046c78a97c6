/* cases_sync_other.c - bad inputs to unnamed semaphores, barriers, pthread_once and thread keys. */
#include "bad_input.h"

#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

/* ---- fixtures ---- */

#define SEM_NULL OPAQUE((sem_t *)NULL)

/* Cases whose whole body is one call. */
#define SYSCALL_CASE(hook, label, call)                                                            \
  BAD_CASE(hook, label) { return SYSCALL_RESULT(call); }
#define ERROR_CASE(hook, label, call)                                                              \
  BAD_CASE(hook, label) { return ERROR_RESULT(call); }
#define POINTER_CASE(hook, label, call)                                                            \
  BAD_CASE(hook, label) { return POINTER_RESULT(call); }

/* A semaphore holding `value`. */
static sem_t *sem_with(unsigned value) {
  static sem_t sem;
  if (sem_init(&sem, 0, value) != 0) {
    fixture_failed("sem_init");
  }
  return &sem;
}
static void init_sem_0(void *object) {
  if (sem_init(object, 0, 0) != 0) {
    fixture_failed("sem_init");
  }
}
static void init_sem_1(void *object) {
  if (sem_init(object, 0, 1) != 0) {
    fixture_failed("sem_init");
  }
}

/* ---- sem_init / sem_destroy ---- */

SYSCALL_CASE(sem_init, null_sem, sem_init(SEM_NULL, 0, 1))
SYSCALL_CASE(sem_init, unmapped_sem, sem_init(unmapped_page(), 0, 1))
SYSCALL_CASE(sem_init, readonly_sem, sem_init(readonly_page(), 0, 1))
BAD_CASE(sem_init, value_above_max) {
  static sem_t sem;
  return SYSCALL_RESULT(sem_init(&sem, 0, OPAQUE((unsigned)SEM_VALUE_MAX + 1U)));
}
BAD_CASE(sem_init, value_uint_max) {
  static sem_t sem;
  return SYSCALL_RESULT(sem_init(&sem, 0, OPAQUE(UINT_MAX)));
}
/* the value is checked first */
SYSCALL_CASE(sem_init, value_above_max_null_sem,
             sem_init(SEM_NULL, 0, OPAQUE((unsigned)SEM_VALUE_MAX + 1U)))
BAD_CASE(sem_init, pshared_1) {
  static sem_t sem;
  return SYSCALL_RESULT(sem_init(&sem, OPAQUE(1), 1));
}
BAD_CASE(sem_init, pshared_negative) {
  static sem_t sem;
  return SYSCALL_RESULT(sem_init(&sem, OPAQUE(-1), 1));
}
BAD_CASE(sem_init, pshared_value_above_max) {
  static sem_t sem;
  return SYSCALL_RESULT(sem_init(&sem, OPAQUE(1), OPAQUE((unsigned)SEM_VALUE_MAX + 1U)));
}

SYSCALL_CASE(sem_destroy, null_sem, sem_destroy(SEM_NULL))
SYSCALL_CASE(sem_destroy, unmapped_sem, sem_destroy(unmapped_page()))
SYSCALL_CASE(sem_destroy, readonly_sem, sem_destroy(readonly_made(init_sem_1)))

/* ---- sem_wait / sem_trywait ---- */

SYSCALL_CASE(sem_wait, null_sem, sem_wait(SEM_NULL))
SYSCALL_CASE(sem_wait, unmapped_sem, sem_wait(unmapped_page()))
SYSCALL_CASE(sem_wait, readonly_available, sem_wait(readonly_made(init_sem_1)))
SYSCALL_CASE(sem_wait, readonly_empty, sem_wait(readonly_made(init_sem_0)))

SYSCALL_CASE(sem_trywait, null_sem, sem_trywait(SEM_NULL))
SYSCALL_CASE(sem_trywait, unmapped_sem, sem_trywait(unmapped_page()))
SYSCALL_CASE(sem_trywait, readonly_available, sem_trywait(readonly_made(init_sem_1)))
SYSCALL_CASE(sem_trywait, readonly_empty, sem_trywait(readonly_made(init_sem_0)))
SYSCALL_CASE(sem_trywait, empty, sem_trywait(sem_with(0)))

/* ---- sem_timedwait / sem_clockwait ---- */

SYSCALL_CASE(sem_timedwait, null_sem, sem_timedwait(SEM_NULL, &kPassed))
SYSCALL_CASE(sem_timedwait, null_abstime_available, sem_timedwait(sem_with(1), NO_TIME))
SYSCALL_CASE(sem_timedwait, null_abstime_empty, sem_timedwait(sem_with(0), NO_TIME))
SYSCALL_CASE(sem_timedwait, unmapped_abstime_available, sem_timedwait(sem_with(1), UNMAPPED_TIME))
SYSCALL_CASE(sem_timedwait, unmapped_abstime_empty, sem_timedwait(sem_with(0), UNMAPPED_TIME))
SYSCALL_CASE(sem_timedwait, nsec_too_big_available, sem_timedwait(sem_with(1), &kNsecTooBig))
SYSCALL_CASE(sem_timedwait, nsec_too_big_empty, sem_timedwait(sem_with(0), &kNsecTooBig))
SYSCALL_CASE(sem_timedwait, nsec_negative_available, sem_timedwait(sem_with(1), &kNsecNegative))
SYSCALL_CASE(sem_timedwait, nsec_negative_empty, sem_timedwait(sem_with(0), &kNsecNegative))
SYSCALL_CASE(sem_timedwait, passed_available, sem_timedwait(sem_with(1), &kPassed))
SYSCALL_CASE(sem_timedwait, passed_empty, sem_timedwait(sem_with(0), &kPassed))
SYSCALL_CASE(sem_timedwait, negative_sec_empty, sem_timedwait(sem_with(0), &kNegativeSec))
SYSCALL_CASE(sem_timedwait, readonly_empty, sem_timedwait(readonly_made(init_sem_0), &kPassed))

SYSCALL_CASE(sem_clockwait, null_sem, sem_clockwait(SEM_NULL, CLOCK_MONOTONIC, &kPassed))
SYSCALL_CASE(sem_clockwait, bad_clock_available, sem_clockwait(sem_with(1), BAD_CLOCK, &kPassed))
SYSCALL_CASE(sem_clockwait, bad_clock_empty, sem_clockwait(sem_with(0), BAD_CLOCK, &kPassed))
SYSCALL_CASE(sem_clockwait, cputime_clock_available,
             sem_clockwait(sem_with(1), CLOCK_PROCESS_CPUTIME_ID, &kPassed))
SYSCALL_CASE(sem_clockwait, bad_clock_null_abstime, sem_clockwait(sem_with(0), BAD_CLOCK, NO_TIME))
SYSCALL_CASE(sem_clockwait, bad_clock_null_sem, sem_clockwait(SEM_NULL, BAD_CLOCK, &kPassed))
SYSCALL_CASE(sem_clockwait, null_abstime_available,
             sem_clockwait(sem_with(1), CLOCK_MONOTONIC, NO_TIME))
SYSCALL_CASE(sem_clockwait, null_abstime_empty,
             sem_clockwait(sem_with(0), CLOCK_MONOTONIC, NO_TIME))
SYSCALL_CASE(sem_clockwait, unmapped_abstime_empty,
             sem_clockwait(sem_with(0), CLOCK_MONOTONIC, UNMAPPED_TIME))
SYSCALL_CASE(sem_clockwait, nsec_too_big_available,
             sem_clockwait(sem_with(1), CLOCK_MONOTONIC, &kNsecTooBig))
SYSCALL_CASE(sem_clockwait, nsec_too_big_empty,
             sem_clockwait(sem_with(0), CLOCK_MONOTONIC, &kNsecTooBig))
SYSCALL_CASE(sem_clockwait, nsec_negative_empty,
             sem_clockwait(sem_with(0), CLOCK_MONOTONIC, &kNsecNegative))
SYSCALL_CASE(sem_clockwait, passed_monotonic_empty,
             sem_clockwait(sem_with(0), CLOCK_MONOTONIC, &kPassed))
SYSCALL_CASE(sem_clockwait, negative_sec_empty,
             sem_clockwait(sem_with(0), CLOCK_REALTIME, &kNegativeSec))

/* ---- sem_post / sem_getvalue ---- */

SYSCALL_CASE(sem_post, null_sem, sem_post(SEM_NULL))
SYSCALL_CASE(sem_post, unmapped_sem, sem_post(unmapped_page()))
SYSCALL_CASE(sem_post, readonly_sem, sem_post(readonly_made(init_sem_0)))
SYSCALL_CASE(sem_post, at_value_max, sem_post(sem_with(SEM_VALUE_MAX)))

BAD_CASE(sem_getvalue, null_sem) {
  int value = 0;
  return SYSCALL_RESULT(sem_getvalue(SEM_NULL, &value));
}
BAD_CASE(sem_getvalue, unmapped_sem) {
  int value = 0;
  return SYSCALL_RESULT(sem_getvalue(unmapped_page(), &value));
}
BAD_CASE(sem_getvalue, readonly_sem) {
  int value = -1;
  int rc = sem_getvalue(readonly_made(init_sem_1), &value);
  return SYSCALL_RESULT(rc == 0 ? value : rc); /* the value read */
}
SYSCALL_CASE(sem_getvalue, null_value, sem_getvalue(sem_with(1), OPAQUE((int *)NULL)))
SYSCALL_CASE(sem_getvalue, unmapped_value, sem_getvalue(sem_with(1), unmapped_page()))
SYSCALL_CASE(sem_getvalue, readonly_value, sem_getvalue(sem_with(1), readonly_page()))

/* ---- pthread_barrier_* ---- */

#define BARRIER_NULL OPAQUE((pthread_barrier_t *)NULL)

static pthread_barrier_t *barrier_of(unsigned count) {
  static pthread_barrier_t barrier;
  if (pthread_barrier_init(&barrier, NULL, count) != 0) {
    fixture_failed("pthread_barrier_init");
  }
  return &barrier;
}
static void init_barrier_1(void *object) {
  if (pthread_barrier_init(object, NULL, 1) != 0) {
    fixture_failed("pthread_barrier_init");
  }
}

ERROR_CASE(pthread_barrier_init, null_barrier, pthread_barrier_init(BARRIER_NULL, NULL, 1))
ERROR_CASE(pthread_barrier_init, unmapped_barrier, pthread_barrier_init(unmapped_page(), NULL, 1))
ERROR_CASE(pthread_barrier_init, readonly_barrier, pthread_barrier_init(readonly_page(), NULL, 1))
BAD_CASE(pthread_barrier_init, count_zero) {
  static pthread_barrier_t barrier;
  return ERROR_RESULT(pthread_barrier_init(&barrier, NULL, OPAQUE(0U)));
}
/* the count is checked first */
ERROR_CASE(pthread_barrier_init, count_zero_null_barrier,
           pthread_barrier_init(BARRIER_NULL, NULL, OPAQUE(0U)))
BAD_CASE(pthread_barrier_init, count_int_max) {
  static pthread_barrier_t barrier;
  return ERROR_RESULT(pthread_barrier_init(&barrier, NULL, OPAQUE((unsigned)INT_MAX)));
}
BAD_CASE(pthread_barrier_init, count_uint_max) {
  static pthread_barrier_t barrier;
  return ERROR_RESULT(pthread_barrier_init(&barrier, NULL, OPAQUE(UINT_MAX)));
}
BAD_CASE(pthread_barrier_init, count_largest) { /* INT_MAX - 1: still accepted */
  static pthread_barrier_t barrier;
  return ERROR_RESULT(pthread_barrier_init(&barrier, NULL, OPAQUE((unsigned)INT_MAX - 1U)));
}
BAD_CASE(pthread_barrier_init, unmapped_attr) {
  static pthread_barrier_t barrier;
  return ERROR_RESULT(pthread_barrier_init(&barrier, unmapped_page(), 1));
}
BAD_CASE(pthread_barrier_init, pshared_attr) {
  static pthread_barrier_t barrier;
  pthread_barrierattr_t attr;
  pthread_barrierattr_init(&attr);
  if (pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0) {
    fixture_failed("barrierattr");
  }
  return ERROR_RESULT(pthread_barrier_init(&barrier, &attr, 1));
}

ERROR_CASE(pthread_barrier_destroy, null_barrier, pthread_barrier_destroy(BARRIER_NULL))
ERROR_CASE(pthread_barrier_destroy, unmapped_barrier, pthread_barrier_destroy(unmapped_page()))
ERROR_CASE(pthread_barrier_destroy, readonly_barrier,
           pthread_barrier_destroy(readonly_made(init_barrier_1)))

ERROR_CASE(pthread_barrier_wait, null_barrier, pthread_barrier_wait(BARRIER_NULL))
ERROR_CASE(pthread_barrier_wait, unmapped_barrier, pthread_barrier_wait(unmapped_page()))
ERROR_CASE(pthread_barrier_wait, readonly_barrier,
           pthread_barrier_wait(readonly_made(init_barrier_1)))
/* the serial thread: -1 */
ERROR_CASE(pthread_barrier_wait, count_one, pthread_barrier_wait(barrier_of(1)))

/* ---- pthread_once ---- */

static void do_nothing(void) {}

ERROR_CASE(pthread_once, null_once, pthread_once(OPAQUE((pthread_once_t *)NULL), do_nothing))
ERROR_CASE(pthread_once, unmapped_once, pthread_once(unmapped_page(), do_nothing))
ERROR_CASE(pthread_once, readonly_once, pthread_once(readonly_page(), do_nothing))
BAD_CASE(pthread_once, null_init) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  return ERROR_RESULT(pthread_once(&once, OPAQUE((void (*)(void))NULL)));
}
BAD_CASE(pthread_once, null_init_done) { /* already done: init is never called */
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, do_nothing);
  return ERROR_RESULT(pthread_once(&once, OPAQUE((void (*)(void))NULL)));
}
BAD_CASE(pthread_once, unmapped_init) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  return ERROR_RESULT(pthread_once(&once, (void (*)(void))unmapped_page()));
}

/* ---- pthread_key_create / pthread_key_delete ---- */

static pthread_key_t deleted_key(void) {
  pthread_key_t key;
  if (pthread_key_create(&key, NULL) != 0 || pthread_setspecific(key, &key) != 0 ||
      pthread_key_delete(key) != 0) {
    fixture_failed("deleted_key");
  }
  return key;
}
#define KEY_TOO_HIGH OPAQUE((pthread_key_t)(PTHREAD_KEYS_MAX + 5))
#define KEY_ALL_ONES OPAQUE((pthread_key_t)-1)
#define KEY_NEVER_MADE OPAQUE((pthread_key_t)(PTHREAD_KEYS_MAX - 1))

ERROR_CASE(pthread_key_create, null_key, pthread_key_create(OPAQUE((pthread_key_t *)NULL), NULL))
ERROR_CASE(pthread_key_create, unmapped_key, pthread_key_create(unmapped_page(), NULL))
ERROR_CASE(pthread_key_create, readonly_key, pthread_key_create(readonly_page(), NULL))
BAD_CASE(pthread_key_create, until_eagain) { /* the error once PTHREAD_KEYS_MAX are in use */
  pthread_key_t key;
  int rc = 0;
  for (int made = 0; made <= PTHREAD_KEYS_MAX && rc == 0; ++made) {
    rc = pthread_key_create(&key, NULL);
  }
  return ERROR_RESULT(rc);
}
BAD_CASE(pthread_key_create, until_eagain_count) { /* how many could be made */
  pthread_key_t key;
  int made = 0;
  while (made <= PTHREAD_KEYS_MAX && pthread_key_create(&key, NULL) == 0) {
    ++made;
  }
  return SYSCALL_RESULT(made);
}

ERROR_CASE(pthread_key_delete, deleted_key, pthread_key_delete(deleted_key()))
ERROR_CASE(pthread_key_delete, key_too_high, pthread_key_delete(KEY_TOO_HIGH))
ERROR_CASE(pthread_key_delete, key_all_ones, pthread_key_delete(KEY_ALL_ONES))
ERROR_CASE(pthread_key_delete, never_made, pthread_key_delete(KEY_NEVER_MADE))

/* ---- pthread_getspecific / pthread_setspecific ---- */

POINTER_CASE(pthread_getspecific, deleted_key, pthread_getspecific(deleted_key()))
POINTER_CASE(pthread_getspecific, key_too_high, pthread_getspecific(KEY_TOO_HIGH))
POINTER_CASE(pthread_getspecific, key_all_ones, pthread_getspecific(KEY_ALL_ONES))
POINTER_CASE(pthread_getspecific, never_made, pthread_getspecific(KEY_NEVER_MADE))
BAD_CASE(pthread_getspecific, deleted_then_remade) { /* the old value must not show through */
  deleted_key();
  pthread_key_t key; /* glibc gives the deleted key's number again */
  if (pthread_key_create(&key, NULL) != 0) {
    fixture_failed("remade key");
  }
  return POINTER_RESULT(pthread_getspecific(key));
}

ERROR_CASE(pthread_setspecific, deleted_key, pthread_setspecific(deleted_key(), &kPassed))
ERROR_CASE(pthread_setspecific, key_too_high, pthread_setspecific(KEY_TOO_HIGH, &kPassed))
ERROR_CASE(pthread_setspecific, key_all_ones, pthread_setspecific(KEY_ALL_ONES, &kPassed))
ERROR_CASE(pthread_setspecific, never_made, pthread_setspecific(KEY_NEVER_MADE, &kPassed))
ERROR_CASE(pthread_setspecific, never_made_null_value, pthread_setspecific(KEY_NEVER_MADE, NULL))
