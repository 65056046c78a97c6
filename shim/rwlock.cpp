// rwlock.cpp - pthread reader-writer locks as green locks living inside pthread_rwlock_t.
//
// sprig::RwLock (56 bytes) fits in pthread_rwlock_t; its all-zero state is an
// unlocked lock that prefers readers, which is what PTHREAD_RWLOCK_INITIALIZER
// writes and glibc's default, and its kind sits at glibc's __flags (byte 48),
// where pthread_rwlockattr_setkind_np's value and
// PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP put it. So the three glibc
// kinds behave as glibc's do (see RwLockKind); the direct API's locks are FIFO.
//
// Error codes follow glibc 2.36: a malformed abstime or an unsupported clock
// is EINVAL before anything else, even when the lock is free (both checked
// only for a non-null abstime); then EDEADLK when the caller holds the write
// lock; the try functions say EBUSY for both.
// pthread_rwlock_destroy returns 0 as glibc's does. Process-shared locks
// (PTHREAD_PROCESS_SHARED) stay glibc's (shared_sync.hpp).
#include "real.hpp"
#include "shared_sync.hpp"
#include "shim.hpp"
#include "sync.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstddef>
#include <new>

namespace sprig::shim {

static_assert(sizeof(RwLock) <= sizeof(pthread_rwlock_t));
static_assert(alignof(RwLock) <= alignof(pthread_rwlock_t));
static_assert(offsetof(pthread_rwlock_t, __data.__flags) == 48);  // where RwLock keeps its kind
static_assert(offsetof(pthread_rwlock_t, __data.__readers) == 0); // RwLock::writer_ (see green())
static_assert(PTHREAD_RWLOCK_PREFER_READER_NP == static_cast<int>(RwLockKind::kPreferReader));
static_assert(PTHREAD_RWLOCK_PREFER_WRITER_NP == static_cast<int>(RwLockKind::kPreferWriter));
static_assert(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP ==
              static_cast<int>(RwLockKind::kPreferWriterNonrecursive));

namespace {

// glibc's idle lock is all zero only in a read phase: after a write lock is
// released (by code before main, or by an OS thread sprig does not run), its
// __readers word stays at 1 (PTHREAD_RWLOCK_WRPHASE), with no reader and no
// writer. RwLock's first word, a GreenThread pointer (64-byte aligned) or
// null, is never 1, so such a lock is restarted as an unlocked green lock of
// the same kind. A lock that an OS thread holds while green threads use it
// is not supported (see sprig(7)).
constexpr unsigned kGlibcIdleWritePhase = 1;

RwLock &green(pthread_rwlock_t *rwlock) {
  if (rwlock->__data.__readers == kGlibcIdleWritePhase) [[unlikely]] {
    unsigned kind = rwlock->__data.__flags;
    new (rwlock)
        RwLock(kind <= PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP ? static_cast<RwLockKind>(kind)
                                                                    : RwLockKind::kPreferReader);
  }
  return *std::launder(reinterpret_cast<RwLock *>(rwlock));
}

// A pthread-style result: 0 or a positive errno value.
int positive(int rc) { return -rc; }

bool valid_clock(clockid_t clock) { return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC; }

// A null abstime waits without limit, as glibc's does, and then neither the
// clock nor abstime is checked (glibc checks both only for a non-null one).
int lock_until(pthread_rwlock_t *rwlock, bool write, clockid_t clock,
               const struct timespec *abstime) {
  if (abstime != nullptr && (!valid_clock(clock) || !valid_nanoseconds(*abstime))) {
    return EINVAL;
  }
  if (shared::is_shared(rwlock)) {
    return shared::rwlock_lock(rwlock, write, clock, abstime);
  }
  RwLock &lock = green(rwlock);
  if ((write ? lock.try_write_lock() : lock.try_read_lock()) == 0) {
    return 0;
  }
  Deadline deadline = kNoDeadline;
  if (abstime != nullptr && absolute_to_deadline(clock, *abstime, &deadline) != 0) {
    return EINVAL;
  }
  return positive(write ? lock.write_lock(deadline) : lock.read_lock(deadline));
}

} // namespace

int pthread_rwlock_init(pthread_rwlock_t *rwlock, const pthread_rwlockattr_t *attr) {
  int kind = PTHREAD_RWLOCK_DEFAULT_NP;
  int shared = PTHREAD_PROCESS_PRIVATE;
  // The attribute readers are not interposed: glibc reads its own struct.
  if (attr != nullptr && (pthread_rwlockattr_getkind_np(attr, &kind) != 0 ||
                          pthread_rwlockattr_getpshared(attr, &shared) != 0)) {
    return EINVAL;
  }
  if (kind < PTHREAD_RWLOCK_PREFER_READER_NP ||
      kind > PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) {
    return EINVAL;
  }
  if (shared != PTHREAD_PROCESS_PRIVATE) {
    return real::pthread_rwlock_init(rwlock, attr);
  }
  new (rwlock) RwLock(static_cast<RwLockKind>(kind));
  return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t * /*rwlock*/) { return 0; }

int pthread_rwlock_rdlock(pthread_rwlock_t *rwlock) {
  if (shared::is_shared(rwlock)) {
    return shared::rwlock_lock(rwlock, false, CLOCK_REALTIME, nullptr);
  }
  return positive(green(rwlock).read_lock(kNoDeadline));
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *rwlock) {
  if (shared::is_shared(rwlock)) {
    return shared::rwlock_trylock(rwlock, false);
  }
  return positive(green(rwlock).try_read_lock());
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *rwlock, const struct timespec *abstime) {
  return lock_until(rwlock, false, CLOCK_REALTIME, abstime);
}

int pthread_rwlock_clockrdlock(pthread_rwlock_t *rwlock, clockid_t clock,
                               const struct timespec *abstime) {
  return lock_until(rwlock, false, clock, abstime);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *rwlock) {
  if (shared::is_shared(rwlock)) {
    return shared::rwlock_lock(rwlock, true, CLOCK_REALTIME, nullptr);
  }
  return positive(green(rwlock).write_lock(kNoDeadline));
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *rwlock) {
  if (shared::is_shared(rwlock)) {
    return shared::rwlock_trylock(rwlock, true);
  }
  return positive(green(rwlock).try_write_lock());
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *rwlock, const struct timespec *abstime) {
  return lock_until(rwlock, true, CLOCK_REALTIME, abstime);
}

int pthread_rwlock_clockwrlock(pthread_rwlock_t *rwlock, clockid_t clock,
                               const struct timespec *abstime) {
  return lock_until(rwlock, true, clock, abstime);
}

int pthread_rwlock_unlock(pthread_rwlock_t *rwlock) {
  if (shared::is_shared(rwlock)) {
    return shared::rwlock_unlock(rwlock);
  }
  return positive(green(rwlock).unlock());
}

} // namespace sprig::shim
