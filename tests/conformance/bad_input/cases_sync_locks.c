/* cases_sync_locks.c - bad inputs to mutexes, condition variables, rwlocks and spinlocks. */
#include "bad_input.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

/* ---- fixtures ---- */

/* Another thread takes `object` (a mutex, or a rwlock to read or write) and
 * keeps it, blocked on a pipe nobody writes, until the case ends. */
enum hold_kind { HOLD_MUTEX, HOLD_READ, HOLD_WRITE };
static struct holder {
  enum hold_kind kind;
  void *object;
  int ready[2];
  int block[2];
} holder;

static void *holder_main(void *unused) {
  (void)unused;
  int rc = holder.kind == HOLD_MUTEX  ? pthread_mutex_lock(holder.object)
           : holder.kind == HOLD_READ ? pthread_rwlock_rdlock(holder.object)
                                      : pthread_rwlock_wrlock(holder.object);
  if (rc != 0) {
    fixture_failed("holder lock");
  }
  write_fully(holder.ready[1], "x", 1);
  char byte;
  while (read(holder.block[0], &byte, 1) != 0) {
  }
  return NULL;
}

static void *hold_in_thread(enum hold_kind kind, void *object) {
  holder.kind = kind;
  holder.object = object;
  make_pipe(holder.ready);
  make_pipe(holder.block);
  start_thread(holder_main, NULL, 0);
  char byte;
  if (read(holder.ready[0], &byte, 1) != 1) {
    fixture_failed("hold_in_thread");
  }
  return object;
}

/* The case's mutex, of `type`: unlocked, locked by the caller, or held by another thread. */
static pthread_mutex_t *init_mutex(pthread_mutex_t *mutex, int type) {
  pthread_mutexattr_t attr;
  if (pthread_mutexattr_init(&attr) != 0 || pthread_mutexattr_settype(&attr, type) != 0 ||
      pthread_mutex_init(mutex, &attr) != 0) {
    fixture_failed("init_mutex");
  }
  return mutex;
}
static pthread_mutex_t *mutex_of(int type) {
  static pthread_mutex_t mutex;
  return init_mutex(&mutex, type);
}
static pthread_mutex_t *locked(int type) {
  pthread_mutex_t *mutex = mutex_of(type);
  if (pthread_mutex_lock(mutex) != 0) {
    fixture_failed("pthread_mutex_lock");
  }
  return mutex;
}
static pthread_mutex_t *held(int type) { return hold_in_thread(HOLD_MUTEX, mutex_of(type)); }
static void init_errorcheck(void *object) { init_mutex(object, PTHREAD_MUTEX_ERRORCHECK); }

#define NORMAL PTHREAD_MUTEX_NORMAL
#define ERRORCHECK PTHREAD_MUTEX_ERRORCHECK
#define RECURSIVE PTHREAD_MUTEX_RECURSIVE

/* A case whose whole body is one call returning an error number. */
#define ERROR_CASE(hook, label, call)                                                              \
  BAD_CASE(hook, label) { return ERROR_RESULT(call); }

/* A NULL, an unmapped and a read-only (all zero: the static initializer's
 * state) object pointer, as the only argument of `hook`. */
#define POINTER_CASES(hook, what, type)                                                            \
  ERROR_CASE(hook, null_##what, hook(OPAQUE((type *)NULL)))                                        \
  ERROR_CASE(hook, unmapped_##what, hook(unmapped_page()))                                         \
  ERROR_CASE(hook, readonly_##what, hook(readonly_page()))

/* ---- pthread_mutex_init / pthread_mutex_destroy ---- */

ERROR_CASE(pthread_mutex_init, null_mutex,
           pthread_mutex_init(OPAQUE((pthread_mutex_t *)NULL), NULL))
ERROR_CASE(pthread_mutex_init, unmapped_mutex, pthread_mutex_init(unmapped_page(), NULL))
ERROR_CASE(pthread_mutex_init, readonly_mutex, pthread_mutex_init(readonly_page(), NULL))
BAD_CASE(pthread_mutex_init, null_attr) {
  static pthread_mutex_t mutex;
  return ERROR_RESULT(pthread_mutex_init(&mutex, OPAQUE((const pthread_mutexattr_t *)NULL)));
}
BAD_CASE(pthread_mutex_init, unmapped_attr) {
  static pthread_mutex_t mutex;
  return ERROR_RESULT(pthread_mutex_init(&mutex, unmapped_page()));
}
BAD_CASE(pthread_mutex_init, robust_prio_protect_attr) { /* glibc: not supported */
  static pthread_mutex_t mutex;
  pthread_mutexattr_t attr;
  if (pthread_mutexattr_init(&attr) != 0 ||
      pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_PROTECT) != 0 ||
      pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) != 0) {
    fixture_failed("mutexattr");
  }
  return ERROR_RESULT(pthread_mutex_init(&mutex, &attr));
}

POINTER_CASES(pthread_mutex_destroy, mutex, pthread_mutex_t)
ERROR_CASE(pthread_mutex_destroy, locked_by_self, pthread_mutex_destroy(locked(NORMAL)))
ERROR_CASE(pthread_mutex_destroy, held_by_other, pthread_mutex_destroy(held(NORMAL)))

/* ---- pthread_mutex_lock / trylock / unlock ---- */

POINTER_CASES(pthread_mutex_lock, mutex, pthread_mutex_t)
ERROR_CASE(pthread_mutex_lock, errorcheck_locked_by_self, pthread_mutex_lock(locked(ERRORCHECK)))

POINTER_CASES(pthread_mutex_trylock, mutex, pthread_mutex_t)
ERROR_CASE(pthread_mutex_trylock, locked_by_self, pthread_mutex_trylock(locked(NORMAL)))
ERROR_CASE(pthread_mutex_trylock, errorcheck_locked_by_self,
           pthread_mutex_trylock(locked(ERRORCHECK)))
ERROR_CASE(pthread_mutex_trylock, recursive_held_by_other, pthread_mutex_trylock(held(RECURSIVE)))

POINTER_CASES(pthread_mutex_unlock, mutex, pthread_mutex_t)
ERROR_CASE(pthread_mutex_unlock, readonly_errorcheck_unlocked,
           pthread_mutex_unlock(readonly_made(init_errorcheck)))
ERROR_CASE(pthread_mutex_unlock, unlocked, pthread_mutex_unlock(mutex_of(NORMAL)))
ERROR_CASE(pthread_mutex_unlock, errorcheck_unlocked, pthread_mutex_unlock(mutex_of(ERRORCHECK)))
ERROR_CASE(pthread_mutex_unlock, errorcheck_held_by_other, pthread_mutex_unlock(held(ERRORCHECK)))
ERROR_CASE(pthread_mutex_unlock, recursive_unlocked, pthread_mutex_unlock(mutex_of(RECURSIVE)))
ERROR_CASE(pthread_mutex_unlock, recursive_held_by_other, pthread_mutex_unlock(held(RECURSIVE)))

/* ---- pthread_mutex_timedlock / pthread_mutex_clocklock ---- */

#define timedlock pthread_mutex_timedlock
#define clocklock pthread_mutex_clocklock
#define NULL_MUTEX OPAQUE((pthread_mutex_t *)NULL)

ERROR_CASE(pthread_mutex_timedlock, null_mutex, timedlock(NULL_MUTEX, &kPassed))
ERROR_CASE(pthread_mutex_timedlock, null_abstime_free, timedlock(mutex_of(NORMAL), NO_TIME))
ERROR_CASE(pthread_mutex_timedlock, unmapped_abstime_free,
           timedlock(mutex_of(NORMAL), UNMAPPED_TIME))
ERROR_CASE(pthread_mutex_timedlock, unmapped_abstime_held_by_other,
           timedlock(held(NORMAL), UNMAPPED_TIME))
ERROR_CASE(pthread_mutex_timedlock, nsec_too_big_free, timedlock(mutex_of(NORMAL), &kNsecTooBig))
ERROR_CASE(pthread_mutex_timedlock, nsec_too_big_held_by_other,
           timedlock(held(NORMAL), &kNsecTooBig))
ERROR_CASE(pthread_mutex_timedlock, nsec_negative_held_by_other,
           timedlock(held(NORMAL), &kNsecNegative))
ERROR_CASE(pthread_mutex_timedlock, passed_held_by_other, timedlock(held(NORMAL), &kPassed))
ERROR_CASE(pthread_mutex_timedlock, negative_sec_held_by_other,
           timedlock(held(NORMAL), &kNegativeSec))
ERROR_CASE(pthread_mutex_timedlock, errorcheck_nsec_too_big_held_by_other,
           timedlock(held(ERRORCHECK), &kNsecTooBig))
ERROR_CASE(pthread_mutex_timedlock, recursive_passed_held_by_other,
           timedlock(held(RECURSIVE), &kPassed))
ERROR_CASE(pthread_mutex_timedlock, passed_locked_by_self, timedlock(locked(NORMAL), &kPassed))
ERROR_CASE(pthread_mutex_timedlock, passed_errorcheck_locked_by_self,
           timedlock(locked(ERRORCHECK), &kPassed))
ERROR_CASE(pthread_mutex_timedlock, nsec_too_big_errorcheck_locked_by_self,
           timedlock(locked(ERRORCHECK), &kNsecTooBig))

ERROR_CASE(pthread_mutex_clocklock, null_mutex, clocklock(NULL_MUTEX, CLOCK_MONOTONIC, &kPassed))
ERROR_CASE(pthread_mutex_clocklock, bad_clock_free,
           clocklock(mutex_of(NORMAL), BAD_CLOCK, &kPassed))
ERROR_CASE(pthread_mutex_clocklock, cputime_clock_free,
           clocklock(mutex_of(NORMAL), CPU_CLOCK, &kPassed))
ERROR_CASE(pthread_mutex_clocklock, bad_clock_null_abstime,
           clocklock(mutex_of(NORMAL), BAD_CLOCK, NO_TIME))
ERROR_CASE(pthread_mutex_clocklock, bad_clock_errorcheck_locked_by_self,
           clocklock(locked(ERRORCHECK), BAD_CLOCK, &kPassed))
ERROR_CASE(pthread_mutex_clocklock, nsec_too_big_free,
           clocklock(mutex_of(NORMAL), CLOCK_MONOTONIC, &kNsecTooBig))
ERROR_CASE(pthread_mutex_clocklock, nsec_too_big_held_by_other,
           clocklock(held(NORMAL), CLOCK_MONOTONIC, &kNsecTooBig))
ERROR_CASE(pthread_mutex_clocklock, nsec_negative_held_by_other,
           clocklock(held(NORMAL), CLOCK_MONOTONIC, &kNsecNegative))
ERROR_CASE(pthread_mutex_clocklock, unmapped_abstime_held_by_other,
           clocklock(held(NORMAL), CLOCK_MONOTONIC, UNMAPPED_TIME))
ERROR_CASE(pthread_mutex_clocklock, passed_monotonic_held_by_other,
           clocklock(held(NORMAL), CLOCK_MONOTONIC, &kPassed))
ERROR_CASE(pthread_mutex_clocklock, negative_sec_held_by_other,
           clocklock(held(NORMAL), CLOCK_REALTIME, &kNegativeSec))

/* ---- pthread_cond_* ---- */

#define NULL_COND OPAQUE((pthread_cond_t *)NULL)

static pthread_cond_t *cond(void) {
  static pthread_cond_t cond;
  return &cond;
}

ERROR_CASE(pthread_cond_init, null_cond, pthread_cond_init(NULL_COND, NULL))
ERROR_CASE(pthread_cond_init, unmapped_cond, pthread_cond_init(unmapped_page(), NULL))
ERROR_CASE(pthread_cond_init, readonly_cond, pthread_cond_init(readonly_page(), NULL))
ERROR_CASE(pthread_cond_init, null_attr,
           pthread_cond_init(cond(), OPAQUE((const pthread_condattr_t *)NULL)))
ERROR_CASE(pthread_cond_init, unmapped_attr, pthread_cond_init(cond(), unmapped_page()))

POINTER_CASES(pthread_cond_destroy, cond, pthread_cond_t)
POINTER_CASES(pthread_cond_signal, cond, pthread_cond_t)
POINTER_CASES(pthread_cond_broadcast, cond, pthread_cond_t)

ERROR_CASE(pthread_cond_wait, null_cond, pthread_cond_wait(NULL_COND, locked(NORMAL)))
ERROR_CASE(pthread_cond_wait, unmapped_cond, pthread_cond_wait(unmapped_page(), locked(NORMAL)))
ERROR_CASE(pthread_cond_wait, readonly_cond, pthread_cond_wait(readonly_page(), locked(NORMAL)))
ERROR_CASE(pthread_cond_wait, null_mutex, pthread_cond_wait(cond(), NULL_MUTEX))
ERROR_CASE(pthread_cond_wait, unmapped_mutex, pthread_cond_wait(cond(), unmapped_page()))
ERROR_CASE(pthread_cond_wait, errorcheck_unlocked, pthread_cond_wait(cond(), mutex_of(ERRORCHECK)))
ERROR_CASE(pthread_cond_wait, errorcheck_held_by_other, pthread_cond_wait(cond(), held(ERRORCHECK)))

#define timedwait pthread_cond_timedwait
#define clockwait pthread_cond_clockwait

ERROR_CASE(pthread_cond_timedwait, null_cond, timedwait(NULL_COND, locked(NORMAL), &kPassed))
ERROR_CASE(pthread_cond_timedwait, null_mutex, timedwait(cond(), NULL_MUTEX, &kPassed))
ERROR_CASE(pthread_cond_timedwait, null_abstime, timedwait(cond(), locked(NORMAL), NO_TIME))
ERROR_CASE(pthread_cond_timedwait, unmapped_abstime,
           timedwait(cond(), locked(NORMAL), UNMAPPED_TIME))
ERROR_CASE(pthread_cond_timedwait, nsec_too_big, timedwait(cond(), locked(NORMAL), &kNsecTooBig))
ERROR_CASE(pthread_cond_timedwait, nsec_negative, timedwait(cond(), locked(NORMAL), &kNsecNegative))
ERROR_CASE(pthread_cond_timedwait, passed, timedwait(cond(), locked(NORMAL), &kPassed))
ERROR_CASE(pthread_cond_timedwait, negative_sec, timedwait(cond(), locked(NORMAL), &kNegativeSec))
ERROR_CASE(pthread_cond_timedwait, errorcheck_unlocked,
           timedwait(cond(), mutex_of(ERRORCHECK), &kPassed))
ERROR_CASE(pthread_cond_timedwait, nsec_too_big_errorcheck_unlocked,
           timedwait(cond(), mutex_of(ERRORCHECK), &kNsecTooBig))

ERROR_CASE(pthread_cond_clockwait, bad_clock,
           clockwait(cond(), locked(NORMAL), BAD_CLOCK, &kPassed))
ERROR_CASE(pthread_cond_clockwait, cputime_clock,
           clockwait(cond(), locked(NORMAL), CPU_CLOCK, &kPassed))
ERROR_CASE(pthread_cond_clockwait, bad_clock_null_abstime,
           clockwait(cond(), locked(NORMAL), BAD_CLOCK, NO_TIME))
ERROR_CASE(pthread_cond_clockwait, bad_clock_nsec_too_big,
           clockwait(cond(), locked(NORMAL), BAD_CLOCK, &kNsecTooBig))
ERROR_CASE(pthread_cond_clockwait, null_abstime,
           clockwait(cond(), locked(NORMAL), CLOCK_MONOTONIC, NO_TIME))
ERROR_CASE(pthread_cond_clockwait, unmapped_abstime,
           clockwait(cond(), locked(NORMAL), CLOCK_MONOTONIC, UNMAPPED_TIME))
ERROR_CASE(pthread_cond_clockwait, nsec_too_big,
           clockwait(cond(), locked(NORMAL), CLOCK_MONOTONIC, &kNsecTooBig))
ERROR_CASE(pthread_cond_clockwait, nsec_negative,
           clockwait(cond(), locked(NORMAL), CLOCK_MONOTONIC, &kNsecNegative))
ERROR_CASE(pthread_cond_clockwait, passed_monotonic,
           clockwait(cond(), locked(NORMAL), CLOCK_MONOTONIC, &kPassed))
ERROR_CASE(pthread_cond_clockwait, negative_sec,
           clockwait(cond(), locked(NORMAL), CLOCK_REALTIME, &kNegativeSec))
ERROR_CASE(pthread_cond_clockwait, errorcheck_unlocked,
           clockwait(cond(), mutex_of(ERRORCHECK), CLOCK_MONOTONIC, &kPassed))

/* ---- pthread_rwlock_* ---- */

#define NULL_RWLOCK OPAQUE((pthread_rwlock_t *)NULL)

/* The case's rwlock: free, locked by the caller, or held by another thread. */
static pthread_rwlock_t *rw_free(void) {
  static pthread_rwlock_t rwlock;
  return &rwlock;
}
static pthread_rwlock_t *rw_self_writes(void) {
  if (pthread_rwlock_wrlock(rw_free()) != 0) {
    fixture_failed("pthread_rwlock_wrlock");
  }
  return rw_free();
}
static pthread_rwlock_t *rw_self_reads(void) {
  if (pthread_rwlock_rdlock(rw_free()) != 0) {
    fixture_failed("pthread_rwlock_rdlock");
  }
  return rw_free();
}
static pthread_rwlock_t *rw_other_writes(void) { return hold_in_thread(HOLD_WRITE, rw_free()); }
static pthread_rwlock_t *rw_other_reads(void) { return hold_in_thread(HOLD_READ, rw_free()); }

ERROR_CASE(pthread_rwlock_init, null_rwlock, pthread_rwlock_init(NULL_RWLOCK, NULL))
ERROR_CASE(pthread_rwlock_init, unmapped_rwlock, pthread_rwlock_init(unmapped_page(), NULL))
ERROR_CASE(pthread_rwlock_init, readonly_rwlock, pthread_rwlock_init(readonly_page(), NULL))
ERROR_CASE(pthread_rwlock_init, null_attr,
           pthread_rwlock_init(rw_free(), OPAQUE((const pthread_rwlockattr_t *)NULL)))
ERROR_CASE(pthread_rwlock_init, unmapped_attr, pthread_rwlock_init(rw_free(), unmapped_page()))
BAD_CASE(pthread_rwlock_init, pshared_attr) {
  pthread_rwlockattr_t attr;
  if (pthread_rwlockattr_init(&attr) != 0 ||
      pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0) {
    fixture_failed("rwlockattr");
  }
  return ERROR_RESULT(pthread_rwlock_init(rw_free(), &attr));
}

POINTER_CASES(pthread_rwlock_destroy, rwlock, pthread_rwlock_t)
ERROR_CASE(pthread_rwlock_destroy, write_locked_by_self, pthread_rwlock_destroy(rw_self_writes()))

POINTER_CASES(pthread_rwlock_rdlock, rwlock, pthread_rwlock_t)
ERROR_CASE(pthread_rwlock_rdlock, write_locked_by_self, pthread_rwlock_rdlock(rw_self_writes()))
POINTER_CASES(pthread_rwlock_wrlock, rwlock, pthread_rwlock_t)
ERROR_CASE(pthread_rwlock_wrlock, write_locked_by_self, pthread_rwlock_wrlock(rw_self_writes()))
POINTER_CASES(pthread_rwlock_tryrdlock, rwlock, pthread_rwlock_t)
ERROR_CASE(pthread_rwlock_tryrdlock, write_locked_by_self,
           pthread_rwlock_tryrdlock(rw_self_writes()))
ERROR_CASE(pthread_rwlock_tryrdlock, write_locked_by_other,
           pthread_rwlock_tryrdlock(rw_other_writes()))
POINTER_CASES(pthread_rwlock_trywrlock, rwlock, pthread_rwlock_t)
ERROR_CASE(pthread_rwlock_trywrlock, read_locked_by_self, pthread_rwlock_trywrlock(rw_self_reads()))
ERROR_CASE(pthread_rwlock_trywrlock, write_locked_by_self,
           pthread_rwlock_trywrlock(rw_self_writes()))
ERROR_CASE(pthread_rwlock_trywrlock, read_locked_by_other,
           pthread_rwlock_trywrlock(rw_other_reads()))

POINTER_CASES(pthread_rwlock_unlock, rwlock, pthread_rwlock_t)
ERROR_CASE(pthread_rwlock_unlock, unlocked, pthread_rwlock_unlock(rw_free()))
ERROR_CASE(pthread_rwlock_unlock, write_locked_by_other, pthread_rwlock_unlock(rw_other_writes()))
ERROR_CASE(pthread_rwlock_unlock, read_locked_by_other, pthread_rwlock_unlock(rw_other_reads()))

/* The timed and clock locks, for reading and for writing: one case list,
 * `blocker` making the lock this call must wait for. */
#define RWLOCK_TIMED_CASES(timed, clocked, blocker)                                                \
  ERROR_CASE(timed, null_rwlock, timed(NULL_RWLOCK, &kPassed))                                     \
  ERROR_CASE(timed, null_abstime_free, timed(rw_free(), NO_TIME))                                  \
  ERROR_CASE(timed, unmapped_abstime_free, timed(rw_free(), UNMAPPED_TIME))                        \
  ERROR_CASE(timed, nsec_too_big_free, timed(rw_free(), &kNsecTooBig))                             \
  ERROR_CASE(timed, nsec_negative_free, timed(rw_free(), &kNsecNegative))                          \
  ERROR_CASE(timed, nsec_too_big_held_by_other, timed(blocker(), &kNsecTooBig))                    \
  ERROR_CASE(timed, unmapped_abstime_held_by_other, timed(blocker(), UNMAPPED_TIME))               \
  ERROR_CASE(timed, passed_held_by_other, timed(blocker(), &kPassed))                              \
  ERROR_CASE(timed, negative_sec_held_by_other, timed(blocker(), &kNegativeSec))                   \
  ERROR_CASE(timed, passed_write_locked_by_self, timed(rw_self_writes(), &kPassed))                \
  ERROR_CASE(timed, nsec_too_big_write_locked_by_self, timed(rw_self_writes(), &kNsecTooBig))      \
  ERROR_CASE(clocked, null_rwlock, clocked(NULL_RWLOCK, CLOCK_MONOTONIC, &kPassed))                \
  ERROR_CASE(clocked, bad_clock_free, clocked(rw_free(), BAD_CLOCK, &kPassed))                     \
  ERROR_CASE(clocked, cputime_clock_free, clocked(rw_free(), CPU_CLOCK, &kPassed))                 \
  ERROR_CASE(clocked, bad_clock_null_abstime_free, clocked(rw_free(), BAD_CLOCK, NO_TIME))         \
  ERROR_CASE(clocked, bad_clock_write_locked_by_self,                                              \
             clocked(rw_self_writes(), BAD_CLOCK, &kPassed))                                       \
  ERROR_CASE(clocked, null_abstime_free, clocked(rw_free(), CLOCK_MONOTONIC, NO_TIME))             \
  ERROR_CASE(clocked, nsec_too_big_free, clocked(rw_free(), CLOCK_MONOTONIC, &kNsecTooBig))        \
  ERROR_CASE(clocked, nsec_negative_held_by_other,                                                 \
             clocked(blocker(), CLOCK_MONOTONIC, &kNsecNegative))                                  \
  ERROR_CASE(clocked, passed_monotonic_held_by_other,                                              \
             clocked(blocker(), CLOCK_MONOTONIC, &kPassed))                                        \
  ERROR_CASE(clocked, negative_sec_held_by_other, clocked(blocker(), CLOCK_REALTIME, &kNegativeSec))

RWLOCK_TIMED_CASES(pthread_rwlock_timedrdlock, pthread_rwlock_clockrdlock, rw_other_writes)
RWLOCK_TIMED_CASES(pthread_rwlock_timedwrlock, pthread_rwlock_clockwrlock, rw_other_reads)
ERROR_CASE(pthread_rwlock_timedwrlock, passed_read_locked_by_self,
           pthread_rwlock_timedwrlock(rw_self_reads(), &kPassed))
ERROR_CASE(pthread_rwlock_clockwrlock, passed_read_locked_by_self,
           pthread_rwlock_clockwrlock(rw_self_reads(), CLOCK_MONOTONIC, &kPassed))

/* ---- pthread_spin_* (glibc's lock word: 1 unlocked, 0 held) ---- */

static pthread_spinlock_t *spin_held(void) {
  static pthread_spinlock_t lock; /* all zero: held */
  return &lock;
}
static void init_spin(void *object) { pthread_spin_init(object, PTHREAD_PROCESS_PRIVATE); }

ERROR_CASE(pthread_spin_init, null_lock, pthread_spin_init(OPAQUE((pthread_spinlock_t *)NULL), 0))
ERROR_CASE(pthread_spin_init, unmapped_lock, pthread_spin_init(unmapped_page(), 0))
ERROR_CASE(pthread_spin_init, readonly_lock, pthread_spin_init(readonly_page(), 0))
BAD_CASE(pthread_spin_init, bad_pshared) {
  static pthread_spinlock_t lock;
  return ERROR_RESULT(pthread_spin_init(&lock, OPAQUE(12345)));
}
BAD_CASE(pthread_spin_init, negative_pshared) {
  static pthread_spinlock_t lock;
  return ERROR_RESULT(pthread_spin_init(&lock, OPAQUE(-1)));
}
POINTER_CASES(pthread_spin_destroy, lock, pthread_spinlock_t)
ERROR_CASE(pthread_spin_destroy, held, pthread_spin_destroy(spin_held()))
POINTER_CASES(pthread_spin_lock, lock, pthread_spinlock_t) /* read-only and held: faults first */
ERROR_CASE(pthread_spin_lock, readonly_unlocked, pthread_spin_lock(readonly_made(init_spin)))
POINTER_CASES(pthread_spin_trylock, lock, pthread_spinlock_t)
ERROR_CASE(pthread_spin_trylock, readonly_unlocked, pthread_spin_trylock(readonly_made(init_spin)))
ERROR_CASE(pthread_spin_trylock, held, pthread_spin_trylock(spin_held()))
POINTER_CASES(pthread_spin_unlock, lock, pthread_spinlock_t)
BAD_CASE(pthread_spin_unlock, unlocked) {
  static pthread_spinlock_t lock = 1;
  return ERROR_RESULT(pthread_spin_unlock(&lock));
}
