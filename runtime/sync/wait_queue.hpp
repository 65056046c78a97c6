// wait_queue.hpp - a FIFO of parked green threads; every green sync primitive is built on it.
#pragma once

#include "green_thread.hpp"

namespace sprig {

class WaitQueue {
public:
  bool empty() const { return waiters_.empty(); }
  GreenThread *front() const { return waiters_.front(); }

  // Parks the running green thread at the back of this queue until woken or
  // until `deadline`. Returns the waker's result (0 unless it said otherwise),
  // or -ETIMEDOUT. On return the thread is no longer on the queue.
  int park(WaitReason reason, const void *object, Deadline deadline);

  // Wakes the front waiter with `result`; returns it, or nullptr if none.
  GreenThread *wake_one(int result = 0);
  // Wakes every waiter with `result`, in FIFO order; returns how many.
  size_t wake_all(int result = 0);
  // Wakes one particular waiter (it must be on this queue).
  void wake(GreenThread *thread, int result = 0);

  template <typename Fn> void for_each(Fn fn) const { waiters_.for_each(fn); }

  // Used by the worker only: a timed-out thread leaves its queue.
  void unlink(GreenThread *thread) {
    waiters_.unlink(thread);
    thread->waiting_on = nullptr;
  }

private:
  IntrusiveList<GreenThread, WaitLink> waiters_;
};

} // namespace sprig
