// sync_cond.cpp - the green condition variable: link, release, park, reacquire.
#include "sync.hpp"

#include "worker.hpp"

#include <cerrno>

namespace sprig {

int CondVar::park_linked_waiter(Deadline deadline) {
  return Worker::current()->park_linked(WaitReason::kCond, this, deadline, nullptr);
}

void CondVar::unlink_waiter(GreenThread *self) {
  if (!Worker::current()->take_back(self)) {
    park_linked_waiter(kNoDeadline); // claimed: its wake-up is on the way
  }
}

int CondVar::wait(Mutex &mutex, Deadline deadline) {
  GreenThread *self = Worker::current_thread();
  // Read without the mutex's guard: only the owner itself changes owner_
  // from self (a hand-off names another thread only after self unlocked).
  if (mutex.owner_ != self) {
    return -EPERM;
  }
  unsigned depth = mutex.recursion_;
  // Linked before the mutex is released, so a signal sent once the mutex is
  // free finds it; the two guards are never held together.
  link_waiter(self);
  {
    ObjectGuard guard(&mutex.waiters_);
    mutex.recursion_ = 1;
    mutex.unlock_guarded(self);
  }
  int rc = park_linked_waiter(deadline);
  if (Worker *worker = Worker::current(); worker->signals().work()) [[unlikely]] {
    signals::deliver(*worker, self);
  }
  mutex.lock(kNoDeadline); // as pthread_cond_timedwait: reacquired even on timeout
  mutex.recursion_ = depth;
  // A signal handler ran: a spurious wake-up, which callers look past (the
  // thread left the queue for the handler, and a signal meanwhile went to
  // another waiter, so it must not wait on as if nothing happened).
  return rc == -EINTR ? 0 : rc;
}

} // namespace sprig
