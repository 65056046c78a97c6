// channel.cpp - send, receive and close for channels; add and wait for wait groups.
#include "channel.hpp"

#include "worker.hpp"

#include <cerrno>
#include <cstring>

namespace sprig {

int Channel::send(const void *element, Deadline deadline, bool try_only) {
  ObjectGuard guard(this);
  if (closed_) {
    return -EPIPE;
  }
  if (GreenThread *receiver = receivers_.front(); receiver != nullptr) {
    memcpy(receiver->wait_data, element, element_size_); // the buffer is empty
    receivers_.wake(receiver, 0);
    return 0;
  }
  if (count_ < capacity_) {
    memcpy(slot(count_), element, element_size_);
    ++count_;
    return 0;
  }
  if (try_only) {
    return -EAGAIN;
  }
  GreenThread *self = Worker::current_thread();
  self->wait_data = const_cast<void *>(element);
  // 0: a receiver took the element; -EPIPE: closed meanwhile.
  return senders_.park(WaitReason::kChannelSend, this, deadline, guard);
}

int Channel::receive(void *element, Deadline deadline, bool try_only) {
  ObjectGuard guard(this);
  if (count_ > 0) {
    memcpy(element, slot(0), element_size_);
    head_ = (head_ + 1) % capacity_;
    --count_;
    if (GreenThread *sender = senders_.front(); sender != nullptr) {
      memcpy(slot(count_), sender->wait_data, element_size_);
      ++count_;
      senders_.wake(sender, 0);
    }
    return 0;
  }
  if (GreenThread *sender = senders_.front(); sender != nullptr) { // a rendezvous
    memcpy(element, sender->wait_data, element_size_);
    senders_.wake(sender, 0);
    return 0;
  }
  if (closed_) {
    return -EPIPE;
  }
  if (try_only) {
    return -EAGAIN;
  }
  GreenThread *self = Worker::current_thread();
  self->wait_data = element;
  return receivers_.park(WaitReason::kChannelRecv, this, deadline, guard);
}

int Channel::close() {
  ObjectGuard guard(this);
  if (closed_) {
    return -EPIPE;
  }
  closed_ = true;
  receivers_.wake_all(-EPIPE);
  senders_.wake_all(-EPIPE);
  return 0;
}

int WaitGroup::add(int64_t delta) {
  ObjectGuard guard(this);
  if ((delta < 0 && counter_ + delta < 0) || (delta > 0 && counter_ > INT64_MAX - delta)) {
    return -EINVAL;
  }
  counter_ += delta;
  if (counter_ == 0) {
    waiters_.wake_all(0);
  }
  return 0;
}

int WaitGroup::wait(Deadline deadline) {
  ObjectGuard guard(this);
  if (counter_ == 0) {
    return 0;
  }
  return waiters_.park(WaitReason::kWaitGroup, this, deadline, guard);
}

} // namespace sprig
