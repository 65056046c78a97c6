// call_counts.hpp - SPRIG_STATS: counting the interposed calls of green threads, by name.
#pragma once

#include "clock.hpp"
#include "green_thread.hpp"
#include "introspect.hpp"
#include "worker.hpp"

namespace sprig::shim {

// One index per row of hooks.def, custom rows included.
enum CallIndex : unsigned {
// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def
#define SPRIG_HOOK(ret, name, params, args) kCall_##name,
#define SPRIG_HOOK_CUSTOM SPRIG_HOOK
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM
  // NOLINTEND(bugprone-macro-parentheses)
  kCallIndexCount
};

extern observe::CallCount g_call_counts[kCallIndexCount];

// Hands the table to the runtime's statistics (once, before main).
void register_call_counts();

// Counts one call for as long as it lives: whether it parked its thread, or
// held the worker for kBlockedCallNs or more without parking. Made only when
// observe::g_count_calls is set (a single predictable branch otherwise).
class CallCounter {
public:
  CallCounter(const GreenThread *self, CallIndex index)
      : self_(self), index_(index), park_serial_(self->park_serial), start_ns_(monotonic_now_ns()) {
  }
  ~CallCounter() {
    observe::CallCount &count = g_call_counts[index_];
    ++count.calls;
    if (self_->park_serial != park_serial_) {
      ++count.parked;
    } else if (monotonic_now_ns() - start_ns_ >= observe::kBlockedCallNs) {
      ++count.blocked;
    }
  }
  CallCounter(const CallCounter &) = delete;
  CallCounter &operator=(const CallCounter &) = delete;

private:
  const GreenThread *self_;
  CallIndex index_;
  uint64_t park_serial_;
  int64_t start_ns_;
};

// The counted path, out of line: kept inline, its counter's state made
// every export save six registers even with SPRIG_STATS off.
template <typename Call>
[[gnu::noinline, gnu::cold]] auto call_and_count(const GreenThread *self, CallIndex index,
                                                 Call call) -> decltype(call()) {
  CallCounter counter(self, index);
  return call();
}

// Makes a green thread's interposed call, `call()`, counted while
// SPRIG_STATS is on: the one shape every counted export shares.
template <typename Call>
auto counted_call(const GreenThread *self, CallIndex index, Call call) -> decltype(call()) {
  if (observe::g_count_calls) [[unlikely]] {
    return call_and_count(self, index, call);
  }
  return call();
}

// A call count only, for exports that never return (pthread_exit, exit) or
// never park (keys, pthread_yield); counted for green callers, as the others.
inline void count_green_call(CallIndex index) {
  if (observe::g_count_calls && Worker::current_thread() != nullptr) [[unlikely]] {
    ++g_call_counts[index].calls;
  }
}

} // namespace sprig::shim
