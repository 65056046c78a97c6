// runtime_entry.hpp - the span of an interposed call on a green thread: signals wait until it
// ends, then run their handlers before the call returns to the program.
#pragma once

#include "signals.hpp"
#include "worker.hpp"

namespace sprig::shim {

// While it lives, the trampoline leaves signals for the running thread in
// the worker's inbox instead of running their handlers at once: sprig's
// structures may be mid-change. On the way out (the outermost entry only)
// the thread takes what was queued for it, as the kernel runs handlers on
// the way out of a system call. The result and errno of the call are kept.
class RuntimeEntry {
public:
  RuntimeEntry(Worker *worker, GreenThread *self)
      : worker_(worker), self_(self), was_inside_(worker->signals().in_runtime) {
    worker->signals().in_runtime = true;
    ++self->runtime_depth;
  }
  ~RuntimeEntry() {
    --self_->runtime_depth;
    Worker *worker = worker_;
    if (worker->running_seen_from_outside() != self_) [[unlikely]] {
      worker = Worker::current(); // the thread moved while it waited (Worker::try_move_here)
    }
    signals::WorkerSignals &state = worker->signals();
    state.in_runtime = was_inside_;
    if (!was_inside_ && state.work()) [[unlikely]] {
      signals::deliver(*worker, self_);
    }
  }
  RuntimeEntry(const RuntimeEntry &) = delete;
  RuntimeEntry &operator=(const RuntimeEntry &) = delete;

private:
  Worker *worker_;
  GreenThread *self_;
  bool was_inside_;
};

} // namespace sprig::shim
