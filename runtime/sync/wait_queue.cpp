// wait_queue.cpp - parking on and waking from a WaitQueue, on one worker or across several.
#include "wait_queue.hpp"

#include "worker.hpp"

namespace sprig {

void WaitQueue::link_running(GreenThread *self, const void *guard_key) {
  // The serial of the park to come: a waker on another worker names it.
  ++self->park_serial;
  self->may_move = g_move_on_wake;
  if (self->may_move) {
    // Until the switch away stores it again: a waker's worker that takes the
    // thread waits for that before it runs it (Worker::adopt_movers).
    __atomic_store_n(&self->context.sp, nullptr, __ATOMIC_RELAXED);
  }
  waiters_.push_back(self);
  self->queue_guard = guard_key;
  __atomic_store_n(&self->waiting_on, this, __ATOMIC_RELEASE);
}

int WaitQueue::park(WaitReason reason, const void *object, Deadline deadline, ObjectGuard &guard) {
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  link_running(self, guard.key());
  int rc = worker->park_linked(reason, object, deadline, &guard);
  worker = Worker::current(); // it may have moved (Worker::try_move_here)
  if (worker->signals().work()) [[unlikely]] {
    signals::deliver(*worker, self); // as Worker::park: before the call returns
  }
  return rc;
}

GreenThread *WaitQueue::wake_one(int result) {
  GreenThread *thread = waiters_.front();
  if (thread != nullptr) {
    wake(thread, result);
  }
  return thread;
}

size_t WaitQueue::wake_all(int result) {
  size_t count = 0;
  while (!waiters_.empty()) {
    wake(waiters_.front(), result);
    ++count;
  }
  return count;
}

void WaitQueue::wake(GreenThread *thread, int result) {
  // Taking it off the queue is the claim: from here only this wake-up
  // makes it runnable.
  unlink(thread);
  Worker *owner = thread->worker.load(std::memory_order_seq_cst);
  Worker *here = Worker::current();
  if (owner == here) {
    owner->wake_claimed(thread, result);
  } else if (here == nullptr || !here->try_move_here(thread, owner, result)) {
    owner->post_claimed_wake(thread, result);
  }
}

} // namespace sprig
