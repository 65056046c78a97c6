// sync.cpp - pthread mutexes and condition variables as green objects living inside the pthread
// ones.
//
// sprig::Mutex (40 bytes) and sprig::CondVar (24 bytes) fit in
// pthread_mutex_t and pthread_cond_t, and their all-zero state is what the
// static initializers write, so PTHREAD_MUTEX_INITIALIZER,
// PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP, PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP
// and PTHREAD_COND_INITIALIZER work with no side table and no allocation.
// Rejected: a hash map from pthread object to a green twin (a lookup and a
// lock on every call, and a leak for objects never destroyed).
//
// Process-shared ones stay glibc's (shared_sync.hpp): each call below first
// asks whether the object is one.
#include "sync.hpp"
#include "real.hpp"
#include "shared_sync.hpp"
#include "shim.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <new>

namespace sprig::shim {

static_assert(sizeof(Mutex) <= sizeof(pthread_mutex_t));
static_assert(offsetof(pthread_mutex_t, __data.__kind) == 16); // where Mutex keeps its kind
static_assert(alignof(Mutex) <= alignof(pthread_mutex_t));

namespace {

Mutex &green(pthread_mutex_t *mutex) { return *std::launder(reinterpret_cast<Mutex *>(mutex)); }
// A condition variable last used by glibc (before main, natively) holds
// glibc's counters where CondVar keeps its queue: it is made green on first
// use (green_layout), from all-zero (PTHREAD_COND_INITIALIZER) or glibc's
// idle state, whose clock sits in bit 1 of __wrefs.
CondVar &green(pthread_cond_t *cond) {
  return green_layout<CondVar>(cond, [cond] {
    clockid_t clock = (cond->__data.__wrefs & 2U) != 0 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    new (cond) CondVar(clock);
  });
}

// A pthread-style result: 0 or a positive errno value.
int positive(int rc) { return -rc; }

int lock_until(pthread_mutex_t *mutex, clockid_t clock, const struct timespec *abstime) {
  bool shared = shared::is_shared(mutex);
  int rc = shared ? -shared::mutex_trylock(mutex) : green(mutex).try_lock();
  if (rc != -EBUSY) {
    return positive(rc);
  }
  Deadline deadline = kNoDeadline;
  if (abstime == nullptr || absolute_to_deadline(clock, *abstime, &deadline) != 0) {
    return EINVAL; // checked only when the call would wait, as glibc does
  }
  return shared ? shared::mutex_lock(mutex, clock, abstime) : positive(green(mutex).lock(deadline));
}

int wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
               const struct timespec &abstime) {
  Deadline deadline = kNoDeadline;
  if (absolute_to_deadline(clock, abstime, &deadline) != 0) {
    return EINVAL;
  }
  if (shared::is_shared(mutex)) {
    return shared::green_cond_wait_shared_mutex(green(cond), mutex, deadline);
  }
  return positive(green(cond).wait(green(mutex), deadline));
}

// glibc's own pthread_mutex_init, on a scratch mutex, judges the attribute:
// whatever it refuses (a robust mutex with PTHREAD_PRIO_PROTECT: ENOTSUP) is
// refused with its error, and an unreadable attribute faults as natively.
int glibc_init_error(const pthread_mutexattr_t *attr) {
  pthread_mutex_t scratch;
  return real::pthread_mutex_init(&scratch, attr);
}

} // namespace

int pthread_mutex_init(pthread_mutex_t *mutex, const pthread_mutexattr_t *attr) {
  if (int rc = glibc_init_error(attr); rc != 0) {
    return rc;
  }
  int type = PTHREAD_MUTEX_NORMAL;
  int shared = PTHREAD_PROCESS_PRIVATE;
  if (attr != nullptr && (pthread_mutexattr_gettype(attr, &type) != 0 ||
                          pthread_mutexattr_getpshared(attr, &shared) != 0)) {
    return EINVAL;
  }
  if (shared != PTHREAD_PROCESS_PRIVATE) {
    return real::pthread_mutex_init(mutex, attr);
  }
  if (type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_ADAPTIVE_NP) {
    return EINVAL;
  }
  new (mutex) Mutex(static_cast<MutexKind>(type == PTHREAD_MUTEX_ADAPTIVE_NP ? 0 : type));
  return 0;
}

// glibc's destroy writes the mutex (__kind = -1), so destroying one on a
// read-only page faults; this one writes it back as the idle mutex of its kind.
int pthread_mutex_destroy(pthread_mutex_t *mutex) {
  if (shared::is_shared(mutex)) {
    return real::pthread_mutex_destroy(mutex);
  }
  if (green(mutex).busy()) {
    return EBUSY;
  }
  MutexKind kind = green(mutex).kind();
  new (mutex) Mutex(kind);
  return 0;
}

int pthread_mutex_lock(pthread_mutex_t *mutex) {
  if (shared::is_shared(mutex)) {
    return shared::mutex_lock(mutex, CLOCK_REALTIME, nullptr);
  }
  return positive(green(mutex).lock(kNoDeadline));
}

int pthread_mutex_trylock(pthread_mutex_t *mutex) {
  if (shared::is_shared(mutex)) {
    return shared::mutex_trylock(mutex);
  }
  int rc = green(mutex).try_lock();
  return rc == -EDEADLK ? EBUSY : positive(rc); // glibc's trylock never says EDEADLK
}

int pthread_mutex_timedlock(pthread_mutex_t *mutex, const struct timespec *abstime) {
  return lock_until(mutex, CLOCK_REALTIME, abstime);
}

int pthread_mutex_clocklock(pthread_mutex_t *mutex, clockid_t clock,
                            const struct timespec *abstime) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) {
    return EINVAL;
  }
  return lock_until(mutex, clock, abstime);
}

int pthread_mutex_unlock(pthread_mutex_t *mutex) {
  if (shared::is_shared(mutex)) {
    return shared::mutex_unlock(mutex);
  }
  return positive(green(mutex).unlock());
}

// Callers that are not green threads, while several workers run
// (hooks.def, SPRIG_HOOK_FOREIGN).
int foreign_pthread_mutex_lock(pthread_mutex_t *mutex) {
  if (shared::is_shared(mutex)) {
    return real::pthread_mutex_lock(mutex);
  }
  return positive(green(mutex).lock_foreign());
}

int foreign_pthread_mutex_trylock(pthread_mutex_t *mutex) {
  if (shared::is_shared(mutex)) {
    return real::pthread_mutex_trylock(mutex);
  }
  int rc = green(mutex).try_lock_foreign();
  return rc == -EDEADLK ? EBUSY : positive(rc);
}

int foreign_pthread_mutex_unlock(pthread_mutex_t *mutex) {
  if (shared::is_shared(mutex)) {
    return real::pthread_mutex_unlock(mutex);
  }
  return positive(green(mutex).unlock_foreign());
}

int pthread_cond_init(pthread_cond_t *cond, const pthread_condattr_t *attr) {
  clockid_t clock = CLOCK_REALTIME;
  int shared = PTHREAD_PROCESS_PRIVATE;
  if (attr != nullptr && (pthread_condattr_getclock(attr, &clock) != 0 ||
                          pthread_condattr_getpshared(attr, &shared) != 0)) {
    return EINVAL;
  }
  if (shared != PTHREAD_PROCESS_PRIVATE) {
    return real::pthread_cond_init(cond, attr); // glibc's layout, with no green marker
  }
  new (cond) CondVar(clock);
  cond->__data.__wrefs = 0; // not a process-shared one, whatever was here before
  mark_green_layout<CondVar>(cond);
  return 0;
}

int pthread_cond_destroy(pthread_cond_t *cond) {
  if (shared::is_shared(cond)) {
    return real::pthread_cond_destroy(cond);
  }
  return green(cond).busy() ? EBUSY : 0;
}

int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex) {
  if (shared::is_shared(cond)) {
    return shared::cond_wait(cond, mutex, shared::kOwnClock, nullptr);
  }
  if (shared::is_shared(mutex)) {
    return shared::green_cond_wait_shared_mutex(green(cond), mutex, kNoDeadline);
  }
  return positive(green(cond).wait(green(mutex), kNoDeadline));
}

// glibc's timed waits read abstime->tv_nsec before anything else: a null or
// unmapped abstime faults there, natively and here alike.
int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           const struct timespec *abstime) {
  if (!valid_nanoseconds(*abstime)) {
    return EINVAL;
  }
  if (shared::is_shared(cond)) {
    return shared::cond_wait(cond, mutex, shared::kOwnClock, abstime);
  }
  return wait_until(cond, mutex, green(cond).clock(), *abstime);
}

// glibc's order: abstime's nanoseconds, then the clock.
int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
                           const struct timespec *abstime) {
  if (!valid_nanoseconds(*abstime) || (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)) {
    return EINVAL;
  }
  if (shared::is_shared(cond)) {
    return shared::cond_wait(cond, mutex, clock, abstime);
  }
  return wait_until(cond, mutex, clock, *abstime);
}

// A condition variable not yet made green has no green waiters; leaving it
// as it is lets signal and broadcast on one in read-only memory (an all-zero
// static, never waited on) return 0, as glibc's do.
int pthread_cond_signal(pthread_cond_t *cond) {
  if (shared::is_shared(cond)) {
    return real::pthread_cond_signal(cond);
  }
  if (has_green_layout<CondVar>(cond)) {
    green(cond).signal();
  }
  return 0;
}

int pthread_cond_broadcast(pthread_cond_t *cond) {
  if (shared::is_shared(cond)) {
    return real::pthread_cond_broadcast(cond);
  }
  if (has_green_layout<CondVar>(cond)) {
    green(cond).broadcast();
  }
  return 0;
}

} // namespace sprig::shim
