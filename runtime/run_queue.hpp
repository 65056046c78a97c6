// run_queue.hpp - the worker's FIFO of runnable green threads: singly linked, with prefetching.
#pragma once

#include "green_thread.hpp"

namespace sprig {

// Linked through RunLink::next only (prev stays null). A doubly linked pop
// writes the new front's `prev`, a store into a record nobody else is about
// to touch: at 10,000+ threads a cache miss per switch for nothing. Here a
// pop reads the popped record only, and push_back writes the tail, which is
// nearly always the thread that ran last (hot).
//
// pop_front() also prefetches the saved frame of the new front, which the
// next switch resumes: a thread's record and its stack top are on different
// pages, and at 10,000+ threads the stack line (and its TLB entry) is the
// miss a switch waits for. Measured with tests/bench/switch_green: yield at
// 100,000 threads 140 -> 30 ns, at 10,000 26 -> 13 ns. Prefetching one
// record further ahead as well (front->next) was measured and rejected: it
// made the 100,000-thread figure twice as slow (67 ns), the records being in
// allocation order, which the hardware prefetcher already follows.
class RunQueue {
public:
  RunQueue() = default;
  RunQueue(const RunQueue &) = delete;
  RunQueue &operator=(const RunQueue &) = delete;

  bool empty() const { return head_ == nullptr; }

  void push_back(GreenThread *thread) {
    ListNode *node = static_cast<RunLink *>(thread);
    node->next = nullptr;
    if (tail_ == nullptr) {
      head_ = node;
    } else {
      tail_->next = node;
    }
    tail_ = node;
  }

  GreenThread *pop_front() {
    ListNode *node = head_;
    if (node == nullptr) {
      return nullptr;
    }
    head_ = node->next;
    if (head_ == nullptr) {
      tail_ = nullptr;
    } else {
      prefetch_for_next_switches(owner(head_));
    }
    node->next = nullptr;
    return owner(node);
  }

  // Forgets every thread without touching it (in the child of fork).
  void abandon_all() { head_ = tail_ = nullptr; }

private:
  static GreenThread *owner(ListNode *node) {
    return static_cast<GreenThread *>(static_cast<RunLink *>(node));
  }

  static void prefetch_for_next_switches(const GreenThread *front) {
    // The switch frame (64 bytes) and the frames of the functions that
    // parked: the lines a resumed thread reads first.
    const auto *frame = static_cast<const char *>(front->context.sp);
    __builtin_prefetch(frame, 1);
    __builtin_prefetch(frame + 64, 1);
    __builtin_prefetch(frame + 128, 1);
  }

  ListNode *head_ = nullptr;
  ListNode *tail_ = nullptr;
};

} // namespace sprig
