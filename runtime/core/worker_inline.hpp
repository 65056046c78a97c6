// worker_inline.hpp - the bodies of Worker's inline members: the switch, the yield, the timers'
// guard and the walks over a worker's threads. Included by worker.hpp only; read with it.
#pragma once

#include "worker.hpp"

namespace sprig {

template <typename Fn> void Worker::for_each_thread(Fn fn) const {
  OwnedThreadsPin pin(*this);
  auto if_here = [&](GreenThread *thread) {
    if (owns(thread)) {
      fn(thread);
    }
  };
  for_each_record(if_here);
  if (g_move_on_wake) {
    for (int index = 0; index < kMaxIndexedWorkers; ++index) {
      if (Worker *other = by_index(index); other != nullptr && other != this) {
        other->for_each_record(if_here);
      }
    }
  }
}

template <typename Fn> void Worker::for_each_record(Fn fn) const {
  lock_records();
  for (GreenThread *thread : slots_) {
    if (thread->state != ThreadState::kFree) {
      fn(thread);
    }
  }
  unlock_records();
}

inline void Worker::yield() {
  GreenThread *self = running_;
  if (dispatch_budget_ > 0) [[likely]] {
    --dispatch_budget_;
    GreenThread *next = run_queue_.rotate(self);
    if (next == nullptr) {
      return; // a lone yield: nobody else wants to run
    }
    transition<ThreadState::kRunning, ThreadState::kRunnable>(*self);
    switch_to(self, next, false);
  } else {
    // running_ is never null on a green thread: switch_to cleared it for
    // the scheduler, and whoever resumed this thread set it back.
    // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
    transition<ThreadState::kRunning, ThreadState::kRunnable>(*self);
    run_queue_.push_back(self);
    switch_to(self, nullptr, false); // the batch is over: the scheduler polls
  }
}

inline void Worker::lock_timers() const {
  if (g_move_on_wake) {
    while (timers_lock_.test_and_set(std::memory_order_acquire)) {
      __builtin_ia32_pause();
    }
  }
}

inline void Worker::unlock_timers() const {
  if (g_move_on_wake) {
    timers_lock_.clear(std::memory_order_release);
  }
}

inline void Worker::insert_timer(GreenThread *thread) {
  lock_timers();
  timers_.insert(thread);
  unlock_timers();
}

inline void Worker::remove_timer(GreenThread *thread) {
  lock_timers();
  if (thread->in_timer_heap) {
    timers_.remove(thread);
  }
  unlock_timers();
}

inline void Worker::switch_to(GreenThread *self, GreenThread *next, bool self_is_done) {
  const bool per_thread = identity::g_per_thread;
  if (!per_thread) {
    save_shared_thread_state(self);
  }
  ++stats_.switches;
  if (observe::g_trace_switches) [[unlikely]] {
    observe::trace_switch(self, next, self_is_done);
  }
  if (next != nullptr) {
    transition<ThreadState::kRunnable, ThreadState::kRunning>(*next);
    set_running(next);
    follow_signal_mask(next);
    if (per_thread) {
      identity::install(next->thread_pointer); // no TLS is read from here to the switch
    }
    context_switch(self->context, next->context, self_is_done);
  } else {
    set_running(nullptr);
    if (per_thread) {
      identity::install(scheduler_thread_pointer_);
    }
    context_switch(self->context, scheduler_context_, self_is_done);
  }
  // Resumed: whoever switched here has set its running_ to self, and %fs.
  // Not this worker when the thread moved (try_move_here): then `this`, and
  // every Worker pointer the thread's frames hold, is where it parked.
  Worker *resumed_on = this;
  if (__atomic_load_n(&running_, __ATOMIC_RELAXED) != self) [[unlikely]] {
    resumed_on = current();
  }
  if (resumed_on->exited_ != nullptr) [[unlikely]] {
    resumed_on->after_switch();
  }
  if (!per_thread) {
    restore_shared_thread_state(self);
  }
}

inline void Worker::save_shared_thread_state(GreenThread *self) {
  self->saved_errno = *errno_;
  void **exception_state = exception_state_; // read once: the stores below may alias it
  if (exception_state != nullptr) {
    self->saved_exception_state[0] = exception_state[0];
    self->saved_exception_state[1] = exception_state[1];
  }
}

inline void Worker::restore_shared_thread_state(GreenThread *self) {
  *errno_ = self->saved_errno;
  void **exception_state = exception_state_;
  if (exception_state != nullptr) {
    exception_state[0] = self->saved_exception_state[0];
    exception_state[1] = self->saved_exception_state[1];
  }
}

inline void Worker::follow_signal_mask(const GreenThread *next) {
  if (signals_.own_mask_threads != 0) [[unlikely]] {
    if (next->signal_mask != signals_.kernel_mask) {
      signals::set_kernel_mask(*this, next->signal_mask);
    }
  }
}

} // namespace sprig
