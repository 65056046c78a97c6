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
// One body for every kind of row. On a green thread, `enter` runs first (a
// cancellation point's guard, or nothing), inside the RuntimeEntry that holds
// signals back until the call is done; every other caller gets `other`.
#define SPRIG_EXPORT_HOOK(ret, name, params, args, enter, other)                                   \
  extern "C" SPRIG_EXPORT ret name params {                                                        \
    if (sprig::Worker *worker = sprig::Worker::current(); worker != nullptr) {                     \
      if (sprig::GreenThread *self = worker->running(); self != nullptr) {                         \
        sprig::shim::RuntimeEntry entry(worker, self);                                             \
        enter;                                                                                     \
        return sprig::shim::counted_call(self, sprig::shim::kCall_##name,                          \
                                         [=] { return sprig::shim::name args; });                  \
      }                                                                                            \
    }                                                                                              \
    return other;                                                                                  \
  }
#define SPRIG_REAL_CALL(name, args) sprig::real::resolved(sprig::real::name) args
#define SPRIG_HOOK(ret, name, params, args)                                                        \
  SPRIG_EXPORT_HOOK(ret, name, params, args, (void)0, SPRIG_REAL_CALL(name, args))
#define SPRIG_HOOK_CANCEL(ret, name, params, args)                                                 \
  SPRIG_EXPORT_HOOK(ret, name, params, args, sprig::shim::CancellationPoint point(self),           \
                    SPRIG_REAL_CALL(name, args))
// With several workers, a green thread already inside sprig's code (the
// program's malloc, called as sprig grows a timer heap while the thread
// parks) must not park again: it takes the foreign path too.
#define SPRIG_HOOK_FOREIGN(ret, name, params, args)                                                \
  SPRIG_EXPORT_HOOK(                                                                               \
      ret, name, params, args,                                                                     \
      if (self->runtime_depth > 1 && sprig::g_multi_worker) {                                      \
        return sprig::shim::foreign_##name args;                                                   \
      },                                                                                           \
      sprig::g_multi_worker ? sprig::shim::foreign_##name args : SPRIG_REAL_CALL(name, args))
#define SPRIG_HOOK_CUSTOM(ret, name, params, args)
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CANCEL
#undef SPRIG_HOOK_FOREIGN
#undef SPRIG_HOOK_CUSTOM
#undef SPRIG_REAL_CALL
#undef SPRIG_EXPORT_HOOK
// NOLINTEND(bugprone-macro-parentheses)
