// shim.hpp - the green implementations behind the generated exports, one per SPRIG_HOOK row.
#pragma once

#include "hooks_prelude.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <new>

namespace sprig {
struct GreenThread;
} // namespace sprig

namespace sprig::shim {

// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def
#define SPRIG_HOOK(ret, name, params, args) ret name params;
#define SPRIG_HOOK_FOREIGN(ret, name, params, args)                                                \
  ret name params;                                                                                 \
  ret foreign_##name params;
#define SPRIG_HOOK_CUSTOM(ret, name, params, args)
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_FOREIGN
#undef SPRIG_HOOK_CUSTOM
// NOLINTEND(bugprone-macro-parentheses)

// The pthread_t of a green thread: its thread pointer (struct pthread) in
// TlsMode::kPerThread, which glibc's own functions accept; its handle
// (Worker::handle_of) in TlsMode::kShared.
pthread_t pthread_of(const GreenThread *thread);
// The live green thread of the calling worker that `thread` names, or nullptr.
GreenThread *green_thread_of(pthread_t thread);

// The one place a runtime result (a value or -errno) becomes a libc-style
// one: the value, or -1 with errno set. For int and ssize_t results alike.
template <typename Result> Result set_errno_result(Result rc) {
  if (rc < 0) {
    errno = static_cast<int>(-rc);
    return -1;
  }
  return rc;
}

// A green object living inside a glibc object that glibc itself may have used
// first (natively, before main) carries a marker word right behind it. With
// the marker, the green layout is in place; without it (all-zero static
// initializer, or glibc's idle state), `make_green` builds the green object
// in place and the marker is set.
inline constexpr uint32_t kGreenLayoutMarker = 0x53505247; // "GRPS"

template <typename Green> constexpr size_t green_marker_word() {
  return (sizeof(Green) + sizeof(uint32_t) - 1) / sizeof(uint32_t);
}

template <typename Green, typename Native> void mark_green_layout(Native *object) {
  static_assert((green_marker_word<Green>() + 1) * sizeof(uint32_t) <= sizeof(Native));
  reinterpret_cast<uint32_t *>(object)[green_marker_word<Green>()] = kGreenLayoutMarker;
}

// Whether the green layout is in place (reads the object, never writes it).
template <typename Green, typename Native> bool has_green_layout(const Native *object) {
  static_assert((green_marker_word<Green>() + 1) * sizeof(uint32_t) <= sizeof(Native));
  return reinterpret_cast<const uint32_t *>(object)[green_marker_word<Green>()] ==
         kGreenLayoutMarker;
}

template <typename Green, typename Native, typename MakeGreen>
Green &green_layout(Native *object, MakeGreen make_green) {
  static_assert(sizeof(Green) <= sizeof(Native) && alignof(Green) <= alignof(Native));
  if (!has_green_layout<Green>(object)) {
    make_green();
    mark_green_layout<Green>(object);
  }
  return *std::launder(reinterpret_cast<Green *>(object));
}

} // namespace sprig::shim
