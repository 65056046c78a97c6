// sync_semaphore.cpp - the green counting semaphore and barrier.
#include "sync.hpp"

#include "worker.hpp"

#include <cerrno>
#include <climits>

namespace sprig {

namespace {

constexpr unsigned kSemaphoreMax = INT_MAX; // SEM_VALUE_MAX on Linux

} // namespace

int Semaphore::wait(Deadline deadline) {
  ObjectGuard guard(&waiters_);
  if (count_ > 0) {
    --count_;
    return 0;
  }
  // 0: post() handed its unit straight to this thread.
  return waiters_.park(WaitReason::kSemaphore, this, deadline, guard);
}

int Semaphore::post() {
  ObjectGuard guard(&waiters_);
  if (!waiters_.empty()) {
    waiters_.wake_one(0);
    return 0;
  }
  if (count_ >= kSemaphoreMax) {
    return -EOVERFLOW;
  }
  ++count_;
  return 0;
}

int Barrier::wait(Deadline deadline) {
  ObjectGuard guard(&waiters_);
  if (++arrived_ == count_) {
    arrived_ = 0;
    ++rounds_;
    waiters_.wake_all(0);
    return 1;
  }
  unsigned round = rounds_;
  for (;;) {
    int rc = waiters_.park(WaitReason::kBarrier, this, deadline, guard);
    guard.relock();
    if (rc == -EINTR) { // a signal handler ran: the thread stays in its round
      if (rounds_ != round) {
        return 0;
      }
      continue;
    }
    if (rc != 0) {
      --arrived_; // this thread leaves the round it did not complete
    }
    return rc;
  }
}

} // namespace sprig
