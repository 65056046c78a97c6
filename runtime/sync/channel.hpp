// channel.hpp - bounded FIFO channels with close, and wait groups.
//
// A channel copies elements of a fixed size. When a receiver is already
// waiting, a send copies straight into the receiver's buffer; when senders
// wait on a full channel, a receive moves the front sender's element into the
// freed slot. Capacity 0 is a rendezvous: every send meets a receive.
#pragma once

#include "clock.hpp"
#include "wait_queue.hpp"

#include <cstddef>
#include <cstdint>

namespace sprig {

class Channel {
public:
  Channel(size_t element_size, size_t capacity, char *buffer)
      : element_size_(element_size), capacity_(capacity), buffer_(buffer) {}

  // try_only: return -EAGAIN instead of parking.
  int send(const void *element, Deadline deadline, bool try_only);
  int receive(void *element, Deadline deadline, bool try_only);
  int close();
  size_t length() const { return count_; }
  bool busy() const { return !senders_.empty() || !receivers_.empty(); }

private:
  char *slot(size_t index) { return buffer_ + ((head_ + index) % capacity_) * element_size_; }

  size_t element_size_;
  size_t capacity_;
  char *buffer_;
  size_t head_ = 0;
  size_t count_ = 0;
  bool closed_ = false;
  WaitQueue senders_;   // wait_data: the element to send
  WaitQueue receivers_; // wait_data: where to copy the element
};

class WaitGroup {
public:
  int add(int64_t delta);
  int wait(Deadline deadline);
  bool busy() const { return !waiters_.empty(); }

private:
  int64_t counter_ = 0;
  WaitQueue waiters_;
};

} // namespace sprig
