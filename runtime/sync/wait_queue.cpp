// wait_queue.cpp - parking on and waking from a WaitQueue.
#include "wait_queue.hpp"

#include "worker.hpp"

namespace sprig {

int WaitQueue::park(WaitReason reason, const void *object, Deadline deadline) {
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  waiters_.push_back(self);
  self->waiting_on = this;
  return worker->park(reason, object, deadline);
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
  // Worker::wake unlinks the thread from this queue (waiting_on == this).
  Worker::current()->wake(thread, result);
}

} // namespace sprig
