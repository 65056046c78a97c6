// sync_rwlock.cpp - the green reader-writer lock: FIFO, or glibc's reader or writer preference.
//
// The lock is handed over, never raced for: whoever releases it decides who
// gets it next (grant_waiters) and wakes them already holding it. So when
// nobody holds the lock nobody waits on it, and a new arrival only has to ask
// whether its kind lets it past the threads that hold the lock or wait.
// The two counters of waiting readers and writers are kept by whoever takes a
// thread off the queue: the granting thread, or the waiter itself when its
// deadline passed.
#include "sync.hpp"

#include "worker.hpp"

#include <cerrno>

namespace sprig {

namespace {

void *const kWantsWrite = reinterpret_cast<void *>(1);

bool wants_write(const GreenThread *thread) { return thread->wait_data == kWantsWrite; }

} // namespace

bool RwLock::reader_may_enter() const {
  if (writer_ != nullptr) {
    return false;
  }
  switch (kind()) {
  case RwLockKind::kFifo:
    return waiters_.empty();
  case RwLockKind::kPreferWriterNonrecursive:
    return writers_waiting_ == 0;
  default: // kPreferReader, kPreferWriter: readers join readers past waiting writers
    return true;
  }
}

void RwLock::admit_reader(GreenThread *thread) {
  ++readers_;
  ++thread->read_locks_held;
}

int RwLock::read_lock(Deadline deadline) {
  GreenThread *self = Worker::current_thread();
  ObjectGuard guard(&waiters_);
  if (reader_may_enter()) {
    admit_reader(self);
    return 0;
  }
  if (writer_ == self) {
    return -EDEADLK;
  }
  for (;;) {
    self->wait_data = nullptr;
    ++readers_waiting_;
    int rc = waiters_.park(WaitReason::kRwlockRead, this, deadline, guard);
    if (rc == 0) {
      return 0;
    }
    guard.relock();
    --readers_waiting_; // not granted: the counter is still ours to fix
    if (rc != -EINTR) {
      return rc;
    }
    if (reader_may_enter()) { // a signal handler ran: never an error here
      admit_reader(self);
      return 0;
    }
  }
}

int RwLock::write_lock(Deadline deadline) {
  GreenThread *self = Worker::current_thread();
  ObjectGuard guard(&waiters_);
  if (writer_may_enter()) {
    writer_ = self;
    return 0;
  }
  if (writer_ == self) {
    return -EDEADLK;
  }
  for (;;) {
    self->wait_data = kWantsWrite;
    ++writers_waiting_;
    int rc = waiters_.park(WaitReason::kRwlockWrite, this, deadline, guard);
    if (rc == 0) {
      return 0;
    }
    guard.relock();
    --writers_waiting_;
    if (rc != -EINTR) {
      grant_waiters(); // readers this writer held back may go now
      return rc;
    }
    if (writer_may_enter()) { // a signal handler ran: never an error here
      writer_ = self;
      return 0;
    }
  }
}

int RwLock::try_read_lock() {
  ObjectGuard guard(&waiters_);
  if (!reader_may_enter()) {
    return -EBUSY;
  }
  admit_reader(Worker::current_thread());
  return 0;
}

int RwLock::try_write_lock() {
  ObjectGuard guard(&waiters_);
  if (!writer_may_enter()) {
    return -EBUSY;
  }
  writer_ = Worker::current_thread();
  return 0;
}

int RwLock::unlock() {
  GreenThread *self = Worker::current_thread();
  ObjectGuard guard(&waiters_);
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

void RwLock::grant_writer(GreenThread *thread) {
  --writers_waiting_;
  writer_ = thread;
  waiters_.wake(thread, 0);
}

void RwLock::grant_reader(GreenThread *thread) {
  --readers_waiting_;
  admit_reader(thread);
  waiters_.wake(thread, 0);
}

void RwLock::grant_waiters() {
  GreenThread *front = waiters_.front();
  if (writer_ != nullptr || front == nullptr) {
    return;
  }
  switch (kind()) {
  case RwLockKind::kFifo:
    if (wants_write(front)) {
      if (readers_ == 0) {
        grant_writer(front);
      }
      return;
    }
    for (; front != nullptr && !wants_write(front); front = waiters_.front()) {
      grant_reader(front); // the readers up to the first waiting writer
    }
    return;
  case RwLockKind::kPreferReader:
    if (readers_waiting_ > 0) {
      grant_all_readers();
    } else if (readers_ == 0) {
      grant_writer(front); // only writers wait
    }
    return;
  default: // kPreferWriter, kPreferWriterNonrecursive
    if (writers_waiting_ == 0) {
      grant_all_readers();
    } else if (readers_ == 0) {
      GreenThread *first_writer = nullptr;
      waiters_.for_each([&first_writer](GreenThread *thread) {
        if (first_writer == nullptr && wants_write(thread)) {
          first_writer = thread;
        }
      });
      grant_writer(first_writer);
    }
    return;
  }
}

void RwLock::grant_all_readers() {
  waiters_.for_each([this](GreenThread *thread) {
    if (!wants_write(thread)) {
      grant_reader(thread);
    }
  });
}

} // namespace sprig
