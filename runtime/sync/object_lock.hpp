// object_lock.hpp - the lock that guards a green sync object when several workers run.
//
// With one worker a green object needs no lock: its users take turns on one
// OS thread. With several (SPRIG_WORKERS > 1) each object's state and wait
// queues are guarded by one of kStripes spinlocks, chosen by the object's
// address, as the kernel hashes futex words to buckets.
//
// Why stripes and not a lock in each object: the green objects live inside
// pthread_mutex_t, sem_t and the rest, whose bytes are full or are marked by
// glibc (shim/shared_sync.hpp); and a parked thread must find the lock of the
// queue it is on from the queue alone (GreenThread::queue_guard), for a
// timeout or a signal to take it off.
//
// Rules: a stripe is held for a few dozen instructions, never across a
// switch (Worker::park_linked releases it just before), and never two at a
// time, so two objects that share a stripe cannot deadlock. The uncontended
// cost is one atomic exchange; with one worker, one predicted branch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sprig {

// Set before the second worker starts, never cleared while it runs.
inline bool g_multi_worker = false;

struct alignas(64) ObjectStripe {
  std::atomic<uint32_t> word{0};
};

class ObjectGuard {
public:
  explicit ObjectGuard(const void *key) : key_(key) {
    if (g_multi_worker) {
      lock_key(key_);
      held_ = true;
    }
  }
  ~ObjectGuard() { release(); }
  ObjectGuard(const ObjectGuard &) = delete;
  ObjectGuard &operator=(const ObjectGuard &) = delete;

  void release() {
    if (held_) {
      unlock_key(key_);
      held_ = false;
    }
  }
  void relock() {
    if (g_multi_worker && !held_) {
      lock_key(key_);
      held_ = true;
    }
  }
  const void *key() const { return key_; }

  static void lock_key(const void *key) {
    std::atomic<uint32_t> &stripe = stripe_of(key);
    while (stripe.exchange(1, std::memory_order_acquire) != 0)
      [[unlikely]] {
        while (stripe.load(std::memory_order_relaxed) != 0) {
          __builtin_ia32_pause();
        }
      }
  }
  static void unlock_key(const void *key) { stripe_of(key).store(0, std::memory_order_release); }
  // In the child of fork(): the threads that held stripes are gone.
  static void reset_all() {
    for (ObjectStripe &stripe : g_stripes) {
      stripe.word.store(0, std::memory_order_relaxed);
    }
  }

private:
  static constexpr size_t kStripes = 1024;
  static inline ObjectStripe g_stripes[kStripes];
  static std::atomic<uint32_t> &stripe_of(const void *key) {
    auto address = reinterpret_cast<uintptr_t>(key);
    return g_stripes[((address >> 4) ^ (address >> 14)) % kStripes].word;
  }

  const void *key_;
  bool held_ = false;
};

} // namespace sprig
