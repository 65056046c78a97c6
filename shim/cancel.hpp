// cancel.hpp - pthread cancellation on green threads: where a pending cancel takes effect, and the
// exit that unwinds the thread's stack.
#pragma once

#include "green_thread.hpp"

#include <pthread.h>

namespace sprig::shim {

// Ends the calling green thread as pthread_exit(value) does natively: unwinds
// its stack, running pthread_cleanup_push handlers and C++ destructors, then
// the key destructors, then the thread is done (shim/thread_exit.cpp).
[[noreturn]] void exit_green_thread(GreenThread *self, void *value);

// Acts on a pending, enabled cancel: the thread exits with PTHREAD_CANCELED.
inline void act_on_pending_cancel(GreenThread *self) {
  if (self->cancel_pending && !self->cancel_disabled) [[unlikely]] {
    exit_green_thread(self, PTHREAD_CANCELED);
  }
}

// The span of an interposed call that is a cancellation point (the
// SPRIG_HOOK_CANCEL rows of hooks.def): a cancel pending on entry or on
// return ends the thread, and pthread_cancel may interrupt a wait inside.
class CancellationPoint {
public:
  explicit CancellationPoint(GreenThread *self)
      : self_(self), was_inside_(self->in_cancellation_point) {
    act_on_pending_cancel(self);
    self->in_cancellation_point = true;
  }
  ~CancellationPoint() {
    self_->in_cancellation_point = was_inside_;
    act_on_pending_cancel(self_);
  }
  CancellationPoint(const CancellationPoint &) = delete;
  CancellationPoint &operator=(const CancellationPoint &) = delete;

private:
  GreenThread *self_;
  bool was_inside_;
};

} // namespace sprig::shim
