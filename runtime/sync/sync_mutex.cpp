// sync_mutex.cpp - the green mutex (normal, recursive, error-checking) with FIFO hand-off.
//
// Foreign callers. Code that is not a green thread takes a green mutex too:
// a program's own malloc (jemalloc's) locks one, and a worker's scheduler
// calls malloc as it frees an ended thread's thread-local blocks, as libuv's
// pool does for its work. With one worker they go to glibc's lock, which
// never meets a green holder there. With several, a green thread of another
// worker may hold the mutex meanwhile, and glibc's lock would neither see
// that owner nor be seen by it (it writes its futex word over owner_). So a
// foreign caller takes the green mutex itself, as an owner that is its own
// thread pointer with the low bit set, spinning while it is held (it cannot
// park). One trap remains: unlock() hands the mutex to the first waiter, and
// if that waiter is a green thread of the worker whose scheduler now spins,
// it could never run. So a hand-off is marked (handed_) until the waiter
// returns from its park, and a foreign caller takes a handed mutex back: the
// waiter then finds it is not the owner and waits again. A green owner of
// the spinning worker that holds the mutex while parked (not by hand-off)
// still deadlocks that worker: sprig(7), "Several workers".
#include "sync.hpp"

#include "identity.hpp"
#include "sys.hpp"
#include "worker.hpp"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <sys/syscall.h>

namespace sprig {

int Mutex::try_lock() {
  ObjectGuard guard(&waiters_);
  return try_lock_guarded(Worker::current_thread());
}

int Mutex::try_lock_guarded(GreenThread *self) {
  if (owner_ == nullptr) {
    owner_ = self;
    recursion_ = 1;
    return 0;
  }
  if (owner_ == self && kind() == MutexKind::kRecursive) {
    if (recursion_ == UINT_MAX) {
      return -EAGAIN;
    }
    ++recursion_;
    return 0;
  }
  return owner_ == self && kind() == MutexKind::kErrorCheck ? -EDEADLK : -EBUSY;
}

int Mutex::lock(Deadline deadline) {
  GreenThread *self = Worker::current_thread();
  ObjectGuard guard(&waiters_);
  int rc = try_lock_guarded(self);
  if (rc != -EBUSY) {
    return rc;
  }
  // Held by another thread, or a normal mutex relocked by its owner, which
  // deadlocks natively too (and here ends only at the deadline).
  for (;;) {
    rc = waiters_.park(WaitReason::kMutex, this, deadline, guard);
    // 0: unlock() handed the mutex to this thread (unless a foreign caller
    // took it back meanwhile). -EINTR: a signal handler ran (never an error
    // here): try again, and wait again if still held.
    if (rc != 0 && rc != -EINTR) {
      return rc;
    }
    guard.relock();
    if (rc == 0 && owner_ == self) {
      handed_ = 0;
      return 0;
    } // else taken back by a foreign caller: as after -EINTR
    rc = try_lock_guarded(self);
    if (rc != -EBUSY) {
      return rc;
    }
  }
}

int Mutex::unlock() {
  ObjectGuard guard(&waiters_);
  return unlock_guarded(Worker::current_thread());
}

int Mutex::unlock_guarded(GreenThread *self) {
  if (owner_ == nullptr ||
      (owner_ != self && (kind() == MutexKind::kRecursive || kind() == MutexKind::kErrorCheck))) {
    return -EPERM;
  }
  if (kind() == MutexKind::kRecursive && --recursion_ > 0) {
    return 0;
  }
  GreenThread *next = waiters_.front();
  owner_ = next;
  recursion_ = next != nullptr ? 1 : 0;
  handed_ = next != nullptr ? 1 : 0;
  if (next != nullptr) {
    waiters_.wake(next, 0);
  }
  return 0;
}

// The caller's thread pointer, odd: never a GreenThread's address, and the
// same for a lock and its unlock in one context.
GreenThread *Mutex::foreign_owner() {
  return reinterpret_cast<GreenThread *>(reinterpret_cast<uintptr_t>(identity::current()) | 1U);
}

int Mutex::try_lock_foreign() {
  ObjectGuard guard(&waiters_);
  if (handed_ != 0) {
    owner_ = nullptr; // its waiter has not run yet: it will wait again
    handed_ = 0;
  }
  return try_lock_guarded(foreign_owner());
}

int Mutex::lock_foreign() {
  for (unsigned round = 1;; ++round) {
    // -EBUSY: held, or a normal mutex relocked by its owner, which waits
    // for ever natively too.
    if (int rc = try_lock_foreign(); rc != -EBUSY) {
      return rc;
    }
    if (round % 64 == 0) {
      sys::call(SYS_sched_yield); // the holder may be a green thread waiting for this CPU
    } else {
      __builtin_ia32_pause();
    }
  }
}

int Mutex::unlock_foreign() {
  ObjectGuard guard(&waiters_);
  return unlock_guarded(foreign_owner());
}

} // namespace sprig
