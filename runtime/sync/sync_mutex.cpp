// sync_mutex.cpp - the green mutex (normal, recursive, error-checking) with FIFO hand-off.
#include "sync.hpp"

#include "worker.hpp"

#include <cerrno>
#include <climits>

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
    // 0: unlock() handed the mutex to this thread. -EINTR: a signal handler
    // ran (never an error here): try again, and wait again if still held.
    if (rc != -EINTR) {
      return rc;
    }
    guard.relock();
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
  if (next != nullptr) {
    waiters_.wake(next, 0);
  }
  return 0;
}

} // namespace sprig
