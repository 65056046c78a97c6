// timer_heap.cpp - insert, remove and sift for the deadline heap.
#include "timer_heap.hpp"

namespace sprig {

void TimerHeap::insert(GreenThread *thread) {
  heap_.push_back(thread);
  thread->in_timer_heap = true;
  sift_up(heap_.size() - 1);
}

void TimerHeap::remove(GreenThread *thread) {
  size_t index = thread->timer_index;
  thread->in_timer_heap = false;
  GreenThread *last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) {
    return;
  }
  place(index, last);
  sift_up(index);
  sift_down(last->timer_index);
}

void TimerHeap::sift_up(size_t index) {
  GreenThread *moving = heap_[index];
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (heap_[parent]->deadline <= moving->deadline) {
      break;
    }
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, moving);
}

void TimerHeap::sift_down(size_t index) {
  GreenThread *moving = heap_[index];
  size_t count = heap_.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= count) {
      break;
    }
    if (child + 1 < count && heap_[child + 1]->deadline < heap_[child]->deadline) {
      ++child;
    }
    if (moving->deadline <= heap_[child]->deadline) {
      break;
    }
    place(index, heap_[child]);
    index = child;
  }
  place(index, moving);
}

} // namespace sprig
