// timer_heap.hpp - parked green threads ordered by deadline (a binary min-heap).
#pragma once

#include "green_thread.hpp"
#include "vector.hpp"

namespace sprig {

// Each thread in the heap knows its index (GreenThread::timer_index), so a
// thread woken early leaves in O(log n).
class TimerHeap {
public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Deadline earliest() const { return heap_.empty() ? kNoDeadline : heap_[0]->deadline; }
  GreenThread *top() { return heap_[0]; }

  void abandon_all() { heap_.clear(); }
  // Room for `count` threads, so that insert does not allocate below it,
  // in two steps: prepare_room allocates (outside any lock), take_room moves
  // the heap into it (under the heap's lock) and leaves the old array in
  // `room`, freed as it goes out of scope.
  class Room {
    friend class TimerHeap;
    Vector<GreenThread *> array_;
  };
  void prepare_room(size_t count, Room *room) const {
    size_t capacity = heap_.capacity();
    if (count > capacity) {
      room->array_.reserve(count < 2 * capacity ? 2 * capacity : count);
    }
  }
  void take_room(Room &room) {
    if (room.array_.capacity() <= heap_.capacity()) {
      return;
    }
    for (GreenThread *thread : heap_) {
      room.array_.push_back(thread);
    }
    heap_.swap(room.array_);
  }
  void insert(GreenThread *thread);
  void remove(GreenThread *thread);

private:
  void place(size_t index, GreenThread *thread) {
    heap_[index] = thread;
    thread->timer_index = static_cast<uint32_t>(index);
  }
  void sift_up(size_t index);
  void sift_down(size_t index);

  Vector<GreenThread *> heap_;
};

} // namespace sprig
