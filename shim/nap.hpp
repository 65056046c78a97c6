// nap.hpp - naps that double up to a bound: how a parked green thread looks again for a change
// that may come without a wake-up it would see.
#pragma once

#include <cstdint>

namespace sprig::shim {

// The pthread_once latecomers and the futex waiters: their waker may be an OS
// thread or another process (1 ms, then doubling up to 64 ms).
inline constexpr int64_t kUnseenWakeFirstNapNs = 1'000'000;
inline constexpr int64_t kUnseenWakeLongestNapNs = 64'000'000;

// A waiter on a process-shared lock or semaphore (shared_sync.hpp): its
// waker is usually another process, and the wait is often short.
inline constexpr int64_t kSharedObjectFirstNapNs = 20'000;
inline constexpr int64_t kSharedObjectLongestNapNs = 4'000'000;

class DoublingNap {
public:
  constexpr DoublingNap(int64_t first_ns, int64_t longest_ns)
      : next_ns_(first_ns), longest_ns_(longest_ns) {}
  // The length of the next nap; the one after it is twice as long, up to the bound.
  int64_t take() {
    int64_t nap = next_ns_;
    next_ns_ = next_ns_ * 2 < longest_ns_ ? next_ns_ * 2 : longest_ns_;
    return nap;
  }

private:
  int64_t next_ns_;
  int64_t longest_ns_;
};

} // namespace sprig::shim
