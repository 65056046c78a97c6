// futex.cpp - futex(2) through syscall(2): FUTEX_WAIT parks the green thread, FUTEX_WAKE wakes it.
//
// Language runtimes that do not use pthread's waits (Rust's std: Mutex,
// Condvar, Barrier, Once, thread::park) put a thread to sleep with
// syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, ...). In
// the kernel that sleep would stop the worker, and with it the green thread
// that is to wake it: the program hangs. So a green caller's wait parks on a
// queue keyed by the word's address, and a wake wakes the green waiters of
// that address first, then passes what is left of its count to the kernel
// for waiters that are OS threads.
//
// Exactness: the word is compared and the thread linked under the bucket's
// guard, which every green waker takes, so none can slip in (FUTEX_WAIT's
// atomicity). A waker
// the shim does not see (an OS thread, another process on a shared futex,
// a raw syscall instruction) wakes no green waiter; such a waiter notices
// the word change at its next nap (1 ms, doubling to 64 ms), and returns 0,
// which futex(2) allows (callers re-check their condition). Every other
// futex operation, and every other system call, goes to libc's syscall().
#include "call_counts.hpp"
#include "clock.hpp"
#include "nap.hpp"
#include "program_memory.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "signals.hpp"
#include "wait_queue.hpp"
#include "worker.hpp"

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <linux/futex.h>
#include <sys/syscall.h>

namespace sprig::shim {

namespace {

constexpr size_t kBuckets = 256;

// Waiters by address, each bucket under the ObjectGuard of its queue. A waiter's bitset travels in
// GreenThread::wait_data.
WaitQueue g_buckets[kBuckets];

WaitQueue &bucket_of(const void *word) {
  auto address = reinterpret_cast<uintptr_t>(word);
  return g_buckets[(address >> 2) * 0x9E3779B97F4A7C15ULL >> 56];
}

long fail(int error) {
  errno = error;
  return -1;
}

// The deadline of a FUTEX_WAIT (relative, monotonic) or FUTEX_WAIT_BITSET
// (absolute, monotonic or with FUTEX_CLOCK_REALTIME realtime) timeout.
int deadline_of(int command, int operation, const timespec *timeout, Deadline *deadline) {
  *deadline = kNoDeadline;
  if (timeout == nullptr) {
    return 0;
  }
  timespec copy{};
  if (copy_from_program(&copy, timeout, sizeof copy) != 0) {
    return -EFAULT;
  }
  if (copy.tv_sec < 0 || copy.tv_nsec < 0 || copy.tv_nsec >= 1'000'000'000) {
    return -EINVAL;
  }
  if (command == FUTEX_WAIT) {
    *deadline = monotonic_now_ns() + copy.tv_sec * 1'000'000'000 + copy.tv_nsec;
    return 0;
  }
  clockid_t clock = (operation & FUTEX_CLOCK_REALTIME) != 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  if (absolute_to_deadline(clock, copy, deadline) != 0) {
    return -EINVAL;
  }
  return 0;
}

long green_wait(const uint32_t *word, uint32_t expected, int command, int operation,
                const timespec *timeout, uint32_t bitset) {
  if (command == FUTEX_WAIT_BITSET && bitset == 0) {
    return fail(EINVAL);
  }
  Deadline deadline = kNoDeadline;
  if (int rc = deadline_of(command, operation, timeout, &deadline); rc != 0) {
    return fail(-rc);
  }
  if (reinterpret_cast<uintptr_t>(word) % alignof(uint32_t) != 0) {
    return fail(EINVAL);
  }
  GreenThread *self = Worker::current_thread();
  WaitQueue &queue = bucket_of(word);
  // The compare and the link under the bucket's guard: a waker on another
  // worker takes it too, so it cannot slip in between.
  ObjectGuard guard(&queue);
  uint32_t value = 0;
  if (copy_from_program(&value, word, sizeof value) != 0) {
    return fail(EFAULT);
  }
  if (value != expected) {
    return fail(EAGAIN);
  }
  for (DoublingNap nap(kUnseenWakeFirstNapNs, kUnseenWakeLongestNapNs);;) {
    self->wait_data = reinterpret_cast<void *>(static_cast<uintptr_t>(bitset));
    int64_t wake_at = monotonic_now_ns() + nap.take();
    int rc = queue.park(WaitReason::kFutex, word, deadline < wake_at ? deadline : wake_at, guard);
    self->wait_data = nullptr;
    if (rc == 0) {
      return 0; // woken by a FUTEX_WAKE
    }
    if (rc == -EINTR && signals::handler_ran(self) &&
        (deadline != kNoDeadline || !signals::call_restarts(self))) {
      // The kernel restarts an untimed FUTEX_WAIT after a handler with
      // SA_RESTART; a timed one, or any without it, fails with EINTR.
      return fail(EINTR);
    }
    if (deadline != kNoDeadline && monotonic_now_ns() >= deadline) {
      return fail(ETIMEDOUT);
    }
    guard.relock();
    if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != expected) {
      return 0; // woken by a waker sprig does not see
    }
  }
}

// Wakes up to `count` green waiters on `word` whose bitset meets `bitset`.
int wake_green(const void *word, int count, uint32_t bitset) {
  int woken = 0;
  WaitQueue &queue = bucket_of(word);
  ObjectGuard guard(&queue);
  queue.for_each([&](GreenThread *thread) {
    auto waiter_bitset = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(thread->wait_data));
    if (woken < count && thread->wait_object == word && (waiter_bitset & bitset) != 0) {
      queue.wake(thread, 0);
      ++woken;
    }
  });
  return woken;
}

} // namespace

} // namespace sprig::shim

// Variadic, so written out instead of generated. Six arguments are taken
// whatever the number, as glibc's syscall() passes them on.
// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc names it __sysno
extern "C" __attribute__((visibility("default"))) long syscall(long number, ...) {
  va_list arguments;
  va_start(arguments, number);
  long a1 = va_arg(arguments, long);
  long a2 = va_arg(arguments, long);
  long a3 = va_arg(arguments, long);
  long a4 = va_arg(arguments, long);
  long a5 = va_arg(arguments, long);
  long a6 = va_arg(arguments, long);
  va_end(arguments);
  auto *real_syscall = sprig::real::resolved(sprig::real::syscall);
  sprig::GreenThread *self = sprig::Worker::current_thread();
  if (number != SYS_futex || self == nullptr) {
    return real_syscall(number, a1, a2, a3, a4, a5, a6);
  }
  using namespace sprig::shim;
  count_green_call(kCall_syscall);
  auto *word = reinterpret_cast<uint32_t *>(a1);
  auto operation = static_cast<int>(a2);
  int command = operation & FUTEX_CMD_MASK;
  auto value = static_cast<uint32_t>(a3);
  auto bitset = static_cast<uint32_t>(a6);
  switch (command) {
  case FUTEX_WAIT:
    return green_wait(word, value, command, operation, reinterpret_cast<const timespec *>(a4),
                      FUTEX_BITSET_MATCH_ANY);
  case FUTEX_WAIT_BITSET:
    return green_wait(word, value, command, operation, reinterpret_cast<const timespec *>(a4),
                      bitset);
  case FUTEX_WAKE:
  case FUTEX_WAKE_BITSET: {
    uint32_t wake_bitset = command == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : bitset;
    if (command == FUTEX_WAKE_BITSET && wake_bitset == 0) {
      errno = EINVAL;
      return -1;
    }
    int count = static_cast<int>(value) < 0 ? INT_MAX : static_cast<int>(value);
    int woken = wake_green(word, count, wake_bitset);
    if (woken >= count) {
      return woken;
    }
    // The rest for waiters that are OS threads (and the kernel's checks:
    // an unmapped word is EFAULT there too).
    long more = real_syscall(number, a1, a2, static_cast<long>(count - woken), a4, a5, a6);
    if (more < 0) {
      return woken > 0 ? woken : more;
    }
    return woken + more;
  }
  default:
    return real_syscall(number, a1, a2, a3, a4, a5, a6);
  }
}
