// sync_rwlock.cpp - the green reader-writer lock, FIFO between readers and writers.
#include "sync.hpp"

#include "worker.hpp"

#include <cerrno>

namespace sprig {

namespace {

void *const kWantsWrite = reinterpret_cast<void *>(1);

} // namespace

int RwLock::read_lock(Deadline deadline) {
  GreenThread *self = Worker::current_thread();
  if (writer_ == nullptr && waiters_.empty()) {
    ++readers_;
    ++self->read_locks_held;
    return 0;
  }
  if (writer_ == self) {
    return -EDEADLK;
  }
  self->wait_data = nullptr;
  return waiters_.park(WaitReason::kRwlockRead, this, deadline);
}

int RwLock::write_lock(Deadline deadline) {
  GreenThread *self = Worker::current_thread();
  if (writer_ == nullptr && readers_ == 0 && waiters_.empty()) {
    writer_ = self;
    return 0;
  }
  if (writer_ == self) {
    return -EDEADLK;
  }
  self->wait_data = kWantsWrite;
  int rc = waiters_.park(WaitReason::kRwlockWrite, this, deadline);
  if (rc != 0) {
    grant_waiters(); // readers queued behind this writer may go now
  }
  return rc;
}

int RwLock::unlock() {
  GreenThread *self = Worker::current_thread();
  if (writer_ != nullptr) {
    if (writer_ != self) {
      return -EPERM;
    }
    writer_ = nullptr;
  } else if (readers_ > 0 && self->read_locks_held > 0) {
    --readers_;
    --self->read_locks_held;
  } else {
    return -EPERM;
  }
  grant_waiters();
  return 0;
}

void RwLock::grant_waiters() {
  if (writer_ != nullptr) {
    return;
  }
  GreenThread *front = waiters_.front();
  if (front != nullptr && front->wait_data == kWantsWrite) {
    if (readers_ == 0) {
      writer_ = front;
      waiters_.wake(front, 0);
    }
    return;
  }
  while (front != nullptr && front->wait_data != kWantsWrite) {
    ++readers_;
    ++front->read_locks_held;
    waiters_.wake(front, 0);
    front = waiters_.front();
  }
}

} // namespace sprig
