// worker_wake.cpp - waking parked green threads: on their own worker, through another worker's
// mail, or by moving them to the waker's worker (try_move_here); and expiring deadlines.
#include "worker.hpp"

#include <cerrno>

namespace sprig {

// Takes a thread of this worker off the wait queue it is linked on, if a
// waker has not claimed it yet; true when it is free to be woken (it was
// on no queue, or was taken off here).
bool Worker::take_back(GreenThread *thread) {
  const void *key = thread->queue_guard;
  if (key == nullptr) {
    return true;
  }
  ObjectGuard guard(key);
  WaitQueue *queue = __atomic_load_n(&thread->waiting_on, __ATOMIC_ACQUIRE);
  if (queue == nullptr) {
    return false; // claimed: only its waker wakes it
  }
  queue->unlink(thread);
  thread->queue_guard = nullptr;
  return true;
}

void Worker::wake(GreenThread *thread, int result) {
  if (thread->state != ThreadState::kParked) {
    return;
  }
  if (!take_back(thread)) {
    remove_timer(thread); // a claimed thread waits for its waker alone
    return;
  }
  remove_timer(thread);
  thread->wake_result = result;
  transition(*thread, ThreadState::kRunnable);
  run_queue_.push_back(thread);
}

void Worker::wake_claimed(GreenThread *thread, int result) {
  thread->queue_guard = nullptr;
  remove_timer(thread);
  thread->wake_result = result;
  transition<ThreadState::kParked, ThreadState::kRunnable>(*thread);
  run_queue_.push_back(thread);
}

bool Worker::try_move_here(GreenThread *thread, Worker *owner, int result) {
  if (!g_move_on_wake || !thread->may_move || thread->locks_owned_by_tid != 0 ||
      !run_queue_.empty() || movers_ != nullptr || owner->running_seen_from_outside() == nullptr) {
    return false; // it would wait here as long, or its worker is idle and runs it at once
  }
  // Against OwnedThreadsPin, both sides sequentially consistent: the owner
  // pins, then reads a thread's worker; this stores it, then reads the
  // pins. Either the owner sees the thread gone, or this sees the pin.
  thread->worker.store(this, std::memory_order_seq_cst);
  if (owner->pins_.load(std::memory_order_seq_cst) != 0 || !signals::may_move(*this, thread)) {
    thread->worker.store(owner, std::memory_order_seq_cst);
    return false;
  }
  // Its timeout, if any, is moot now that it is claimed: out of its old
  // worker's heap before it can park anywhere again.
  owner->remove_timer(thread);
  // Counted away from home from here on; counted back only once it has left
  // the worker it is on (adopt_movers): until then it may still be on its
  // way out of it, asking current() where it is.
  if (owner == home_of(thread)) {
    owner->emigrants_.fetch_add(1, std::memory_order_relaxed);
  }
  owner->alive_.fetch_sub(1, std::memory_order_relaxed);
  owner->placed_.fetch_sub(1, std::memory_order_relaxed);
  placed_.fetch_add(1, std::memory_order_relaxed);
  thread->mail_result = result;
  thread->mail_next = movers_;
  movers_ = thread;
  return true;
}

void Worker::adopt_movers() {
  while (movers_ != nullptr) {
    GreenThread *thread = movers_;
    movers_ = thread->mail_next;
    thread->mail_next = nullptr;
    // Its old worker may still be on its way out of it: the switch stores
    // the stack pointer last (context_switch_x86_64.S).
    while (__atomic_load_n(&thread->context.sp, __ATOMIC_ACQUIRE) == nullptr) {
      __builtin_ia32_pause();
    }
    identity::move_to(thread->thread_pointer, this, scheduler_thread_pointer_);
    if (home_of(thread) == this) { // back home: its range names this worker again
      emigrants_.fetch_sub(1, std::memory_order_relaxed);
    }
    count_alive();
    ++stats_.threads_moved_in;
    wake_claimed(thread, thread->mail_result);
  }
}

void Worker::post_claimed_wake(GreenThread *thread, int result) {
  reactor_.post_mail(thread, false, thread->park_serial, result);
}

void Worker::post_arrival(GreenThread *thread) { reactor_.post_mail(thread, true, 0, 0); }

void Worker::post_call(GreenThread *thread, void (*call)(GreenThread *, void *), void *argument) {
  thread->worker.load(std::memory_order_seq_cst)
      ->reactor_.post(Reactor::RemoteKind::kCall, thread, 0, 0, call, argument);
}

void Worker::arrive(GreenThread *thread) {
  count_alive();
  signals::on_spawn(*this, thread, thread);
  run_queue_.push_back(thread);
}

void Worker::expire_timers(int64_t now_ns) {
  OwnedThreadsPin pin(*this); // a thread due here stays here while it is woken
  for (;;) {
    lock_timers();
    GreenThread *due = !timers_.empty() && timers_.earliest() <= now_ns ? timers_.top() : nullptr;
    unlock_timers();
    if (due == nullptr) {
      return;
    }
    if (!owns(due)) [[unlikely]] {
      // A waker on another worker is moving it (try_move_here): it takes
      // the timer out, or gives the thread back, in a moment.
      __builtin_ia32_pause();
      continue;
    }
    wake(due, -ETIMEDOUT);
  }
}

void Worker::wake_from_other_thread(GreenThread *thread, uint64_t park_serial, int result) {
  reactor_.post(Reactor::RemoteKind::kThisPark, thread, park_serial, result);
}

} // namespace sprig
