// hooks.cpp - the exported interposers, generated from hooks.def: green callers go green, others go
// to libc.
#include "call_counts.hpp"
#include "cancel.hpp"
#include "real.hpp"
#include "runtime_entry.hpp"
#include "shim.hpp"
#include "worker.hpp"

#define SPRIG_EXPORT __attribute__((visibility("default")))

// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def
// One body for both kinds of row; `enter` runs first on a green thread (a
// cancellation point's guard, or nothing), inside the RuntimeEntry that
// holds signals back until the call is done.
#define SPRIG_EXPORT_HOOK(ret, name, params, args, enter)                                          \
  extern "C" SPRIG_EXPORT ret name params {                                                        \
    if (sprig::Worker *worker = sprig::Worker::current(); worker != nullptr) {                     \
      if (sprig::GreenThread *self = worker->running(); self != nullptr) {                         \
        sprig::shim::RuntimeEntry entry(worker, self);                                             \
        enter;                                                                                     \
        return sprig::shim::counted_call(self, sprig::shim::kCall_##name,                          \
                                         [=] { return sprig::shim::name args; });                  \
      }                                                                                            \
    }                                                                                              \
    return sprig::real::resolved(sprig::real::name) args;                                          \
  }
#define SPRIG_HOOK(ret, name, params, args) SPRIG_EXPORT_HOOK(ret, name, params, args, (void)0)
#define SPRIG_HOOK_CANCEL(ret, name, params, args)                                                 \
  SPRIG_EXPORT_HOOK(ret, name, params, args, sprig::shim::CancellationPoint point(self))
#define SPRIG_HOOK_CUSTOM(ret, name, params, args)
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CANCEL
#undef SPRIG_HOOK_CUSTOM
#undef SPRIG_EXPORT_HOOK
// NOLINTEND(bugprone-macro-parentheses)
