// spinlock.cpp - pthread spinlocks whose contended green callers yield instead of spinning.
//
// The lock word is glibc's own (x86-64): 1 unlocked, 0 or less locked, taken
// by a compare-and-swap from 1 to 0 and released by storing 1. So a spinlock
// is shared correctly with OS threads sprig does not run (libuv's pool, or
// threads started before main) and across processes, and a lock that was
// never initialised (all zero) is held, as natively.
//
// A green thread that finds the lock held cannot spin: the holder may be
// another green thread of the same worker, parked or waiting for its turn.
// It yields, so the other runnable green threads (the holder among them) run
// first; after kYieldsBeforeNapping tries in a row it parks for a short nap
// that doubles up to kLongestNap, so a holder that parked for long (a
// spinlock held across a sleep or I/O) does not keep the worker busy.
#include "nap.hpp"
#include "shim.hpp"
#include "worker.hpp"

#include <cerrno>

namespace sprig::shim {

namespace {

constexpr int kUnlocked = 1;
constexpr int kLocked = 0;
constexpr int kYieldsBeforeNapping = 64;
constexpr int64_t kFirstNap = 10'000;      // 10 us
constexpr int64_t kLongestNap = 1'000'000; // 1 ms

bool try_take(pthread_spinlock_t *lock) {
  int expected = kUnlocked;
  return __atomic_compare_exchange_n(lock, &expected, kLocked, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED);
}

} // namespace

int pthread_spin_init(pthread_spinlock_t *lock, int /*pshared*/) {
  __atomic_store_n(lock, kUnlocked, __ATOMIC_RELEASE);
  return 0;
}

int pthread_spin_destroy(pthread_spinlock_t * /*lock*/) { return 0; }

int pthread_spin_lock(pthread_spinlock_t *lock) {
  Worker *worker = Worker::current();
  DoublingNap nap(kFirstNap, kLongestNap);
  for (int tries = 0; !try_take(lock); ++tries) {
    if (tries < kYieldsBeforeNapping) {
      worker->yield();
      continue;
    }
    // Only the deadline wakes this park: unlocking does not look for waiters.
    worker->park(WaitReason::kMutex, const_cast<int *>(lock), monotonic_now_ns() + nap.take());
  }
  return 0;
}

int pthread_spin_trylock(pthread_spinlock_t *lock) { return try_take(lock) ? 0 : EBUSY; }

int pthread_spin_unlock(pthread_spinlock_t *lock) {
  __atomic_store_n(lock, kUnlocked, __ATOMIC_RELEASE);
  return 0;
}

} // namespace sprig::shim
