// sync_cond.cpp - the green condition variable: release, park, reacquire.
#include "sync.hpp"

#include "worker.hpp"

#include <cerrno>

namespace sprig {

int CondVar::wait(Mutex &mutex, Deadline deadline) {
  GreenThread *self = Worker::current_thread();
  if (mutex.owner_ != self) {
    return -EPERM;
  }
  unsigned depth = mutex.recursion_;
  mutex.recursion_ = 1;
  mutex.unlock();
  int rc = waiters_.park(WaitReason::kCond, this, deadline);
  mutex.lock(kNoDeadline); // as pthread_cond_timedwait: reacquired even on timeout
  mutex.recursion_ = depth;
  // A signal handler ran: a spurious wake-up, which callers look past (the
  // thread left the queue for the handler, and a signal meanwhile went to
  // another waiter, so it must not wait on as if nothing happened).
  return rc == -EINTR ? 0 : rc;
}

} // namespace sprig
