// run_queue.hpp - the worker's FIFO of runnable green threads: singly linked, with prefetching.
#pragma once

#include "green_thread.hpp"

#include <cstddef>

namespace sprig {

// Linked through RunLink::next only (prev stays null). A doubly linked pop
// writes the new front's `prev`, a store into a record nobody else is about
// to touch: at 10,000+ threads a cache miss per switch for nothing. Here a
// pop reads the popped record only, and push_back writes the tail, which is
// nearly always the thread that ran last (hot).
//
// pop_front() also prefetches, in one of two ways:
//
// One ahead (the default): the saved frame of the new front, which the next
// switch resumes. A thread's record and its stack top are on different
// pages, and at 10,000+ threads the stack line (and its TLB entry) is the
// miss a switch waits for. Measured with tests/bench/switch_green: yield at
// 100,000 threads 140 -> 30 ns, at 10,000 26 -> 13 ns.
//
// In batches, after a poll that woke threads on fds (Worker::scheduler_loop
// turns it on, an empty queue turns it off): those threads come in the order
// their fds became ready, with records and stacks scattered, and the kernel
// work of the ones before them has evicted their lines and TLB entries by
// the time they run. On this machine (a VM) the page walk of the one-ahead
// prefetch blocked its retirement: perf put 45% of the echo server's user
// time at 10,000 connections on that instruction. So every kBatch pops the
// next kBatch threads are prefetched together, their walks overlapping:
// kStackLinesWoken lines above each saved sp (the switch frame and the park
// path's frames, about 600 bytes from park() up to the interposed read) and
// the record's park line (wake_result and the fields park() clears). Echo
// at 10,000 connections, 6 interleaved 4 s runs: server user CPU per round
// trip 1.53 -> 0.97 us, 85,300 -> 90,000 round trips/s (the epoll server
// 95,400). Yields do not turn batches on: at 10,000 yielding threads they
// measured 12.1 -> 13.6 ns, the walk along kBatch records being serial,
// while a yield queue is in allocation order, which the hardware prefetchers
// already follow. Also measured and rejected: prefetching the woken
// threads' watchers, waiters and records during the harvest (no change once
// batches were in), and prefetching one record further ahead on yields
// (100,000-thread yield twice as slow, 67 ns).
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
      prefetched_through_ = nullptr;
      in_batches_ = false;
    } else if (!in_batches_) {
      prefetch_resume_lines(owner(head_), kStackLinesNext);
    } else if (prefetched_through_ == nullptr || node == prefetched_through_) {
      prefetch_next_batch();
    }
    node->next = nullptr;
    return owner(node);
  }

  // pop_front() then push_back(thread) in one, for a yield: returns the
  // front and queues `thread` behind the rest, or returns nullptr and queues
  // nothing when the queue is empty. Two threads taking turns leave and find
  // the queue with one thread in it, and no branch goes through empty.
  GreenThread *rotate(GreenThread *thread) {
    ListNode *node = head_;
    if (node == nullptr) {
      return nullptr;
    }
    if (in_batches_) [[unlikely]] {
      GreenThread *front = pop_front();
      push_back(thread);
      return front;
    }
    ListNode *queued = static_cast<RunLink *>(thread);
    queued->next = nullptr;
    ListNode *after = node->next;
    if (after == nullptr) {
      head_ = queued; // the front was alone: `thread` (running, hot) is next
    } else {
      head_ = after;
      tail_->next = queued;
      prefetch_resume_lines(owner(after), kStackLinesNext);
    }
    tail_ = queued;
    node->next = nullptr;
    return owner(node);
  }

  // Chooses how the pops from now on prefetch; see the comment above.
  void prefetch_in_batches(bool in_batches) {
    in_batches_ = in_batches;
    prefetched_through_ = nullptr;
  }

  // Forgets every thread without touching it (in the child of fork).
  void abandon_all() {
    head_ = tail_ = prefetched_through_ = nullptr;
    in_batches_ = false;
  }

private:
  static GreenThread *owner(ListNode *node) {
    return static_cast<GreenThread *>(static_cast<RunLink *>(node));
  }

  // The first `lines` cache lines from a parked thread's saved sp up: the
  // switch frame (64 bytes) and the frames of the functions that parked,
  // which it reads first when resumed.
  static void prefetch_resume_lines(const GreenThread *thread, ptrdiff_t lines) {
    const auto *frame = static_cast<const char *>(thread->context.sp);
    for (ptrdiff_t line = 0; line < lines; ++line) {
      __builtin_prefetch(frame + line * kCacheLine, 1);
    }
  }

  void prefetch_next_batch() {
    ListNode *node = head_;
    for (int count = 1;; ++count) {
      const GreenThread *thread = owner(node);
      prefetch_resume_lines(thread, kStackLinesWoken);
      __builtin_prefetch(&thread->wake_result, 1);
      if (count == kBatch || node->next == nullptr) {
        break;
      }
      node = node->next;
    }
    prefetched_through_ = node;
  }

  static constexpr int kBatch = 8;
  static constexpr ptrdiff_t kStackLinesNext = 3;
  static constexpr ptrdiff_t kStackLinesWoken = 8;
  static constexpr ptrdiff_t kCacheLine = 64;

  ListNode *head_ = nullptr;
  ListNode *tail_ = nullptr;
  ListNode *prefetched_through_ = nullptr; // in batches: the last thread prefetched
  bool in_batches_ = false;
};

} // namespace sprig
