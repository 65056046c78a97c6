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
  return rc;
}

} // namespace sprig
