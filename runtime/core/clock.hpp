// clock.hpp - monotonic time in nanoseconds and timeout-to-deadline conversion.
#pragma once

#include <cerrno>
#include <cstdint>
#include <ctime>

namespace sprig {

// A point on CLOCK_MONOTONIC in nanoseconds. kNoDeadline never passes.
using Deadline = int64_t;
inline constexpr Deadline kNoDeadline = INT64_MAX;
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

inline int64_t clock_now_ns(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return now.tv_sec * kNanosPerSecond + now.tv_nsec;
}

inline int64_t monotonic_now_ns() { return clock_now_ns(CLOCK_MONOTONIC); }

// Turns an API timeout (SPRIG_FOREVER = -1, or >= 0 ns) into a deadline.
// Returns -EINVAL for other negative values.
inline int timeout_to_deadline(int64_t timeout_ns, Deadline *deadline) {
  if (timeout_ns == -1) {
    *deadline = kNoDeadline;
    return 0;
  }
  if (timeout_ns < 0) {
    return -EINVAL;
  }
  int64_t now = monotonic_now_ns();
  *deadline = timeout_ns > kNoDeadline - now ? kNoDeadline : now + timeout_ns;
  return 0;
}

// True when a timespec's nanoseconds are in [0, 1 s), as the kernel and
// glibc require of every timeout and deadline.
inline bool valid_nanoseconds(const timespec &time) {
  return time.tv_nsec >= 0 && time.tv_nsec < kNanosPerSecond;
}

// The deadline `seconds` and `nanos` from now (a valid interval: seconds >= 0,
// 0 <= nanos < 1 s); an interval too long to count reaches kNoDeadline.
inline Deadline deadline_after_interval(int64_t seconds, int64_t nanos) {
  Deadline deadline = kNoDeadline;
  if (seconds < INT64_MAX / kNanosPerSecond - 1) {
    timeout_to_deadline(seconds * kNanosPerSecond + nanos, &deadline);
  }
  return deadline;
}

// Turns an absolute time on `clock` (CLOCK_REALTIME or CLOCK_MONOTONIC) into a
// monotonic deadline. A realtime deadline is converted once, at the call: a
// later jump of the wall clock does not move it.
inline int absolute_to_deadline(clockid_t clock, const timespec &when, Deadline *deadline) {
  if (!valid_nanoseconds(when)) {
    return -EINVAL;
  }
  if (when.tv_sec < 0) {
    *deadline = monotonic_now_ns();
    return 0;
  }
  if (when.tv_sec >= INT64_MAX / kNanosPerSecond - 1) {
    *deadline = kNoDeadline;
    return 0;
  }
  int64_t target = when.tv_sec * kNanosPerSecond + when.tv_nsec;
  if (clock == CLOCK_MONOTONIC) {
    *deadline = target;
    return 0;
  }
  if (clock != CLOCK_REALTIME) {
    return -EINVAL;
  }
  int64_t mono_now = monotonic_now_ns();
  int64_t remaining = target - clock_now_ns(CLOCK_REALTIME);
  *deadline = remaining <= 0 ? mono_now : mono_now + remaining;
  return 0;
}

} // namespace sprig
