// shim.hpp - the green implementations behind the generated exports, one per SPRIG_HOOK row.
#pragma once

#include "hooks_prelude.hpp"

#include <cerrno>
#include <cstdint>

namespace sprig::shim {

// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def
#define SPRIG_HOOK(ret, name, params, args) ret name params;
#define SPRIG_HOOK_CUSTOM(ret, name, params, args)
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM
// NOLINTEND(bugprone-macro-parentheses)

// pthread_t values the shim hands out are green thread handles.
inline pthread_t to_pthread(uint64_t handle) { return static_cast<pthread_t>(handle); }
inline uint64_t to_handle(pthread_t thread) { return static_cast<uint64_t>(thread); }

// The one place a runtime result (0 or -errno) becomes a libc-style one:
// 0, or -1 with errno set.
inline int set_errno_result(int rc) {
  if (rc < 0) {
    errno = -rc;
    return -1;
  }
  return rc;
}

} // namespace sprig::shim
