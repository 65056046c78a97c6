// real.hpp - pointers to the libc functions the shim interposes, resolved before main.
#pragma once

#include "hooks_prelude.hpp"

namespace sprig::real {

// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def
#define SPRIG_HOOK(ret, name, params, args) extern ret(*name) params;
#define SPRIG_HOOK_CUSTOM SPRIG_HOOK
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM
// NOLINTEND(bugprone-macro-parentheses)

// Resolves every pointer; on a missing symbol prints one line and exits(127).
// Runs as an early constructor of libsprig.so; safe to call again.
void resolve_all();

// The real function `pointer` holds, resolving every pointer first when the
// call comes before libsprig.so's constructor ran.
template <typename Function> Function resolved(Function &pointer) {
  if (pointer == nullptr) [[unlikely]] {
    resolve_all();
  }
  return pointer;
}

} // namespace sprig::real
