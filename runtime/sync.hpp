// sync.hpp - green mutex, condition variable, rwlock, semaphore, barrier and once.
//
// Each primitive parks green threads on a WaitQueue and never blocks the OS
// thread. Objects belong to one worker (no atomics: a worker is one OS
// thread). Hand-off is FIFO: on release the longest waiter is given the
// object directly, so a thread that releases and immediately re-acquires
// cannot starve the waiters (it queues behind them). Errors are negative
// errno values.
#pragma once

#include "clock.hpp"
#include "wait_queue.hpp"

#include <cstdint>
#include <ctime>

namespace sprig {

// The values of glibc's PTHREAD_MUTEX_* types; 3 (adaptive) acts as normal.
enum class MutexKind : int { kNormal = 0, kRecursive = 1, kErrorCheck = 2 };

// Mutex and CondVar are laid out to live inside pthread_mutex_t and
// pthread_cond_t (see shim/sync.cpp): all-zero bytes are an unlocked normal
// mutex and a CLOCK_REALTIME condition variable, as PTHREAD_MUTEX_INITIALIZER
// and PTHREAD_COND_INITIALIZER are, and the mutex kind sits where glibc's
// static initializers put it (__data.__kind, byte 16).
class Mutex {
public:
  explicit Mutex(MutexKind kind) : kind_(static_cast<int>(kind)) {}
  // deadline 0 (already passed) means try once: -EBUSY when held.
  int lock(Deadline deadline);
  int try_lock();
  int unlock();
  bool busy() const { return owner_ != nullptr || !waiters_.empty(); }
  GreenThread *owner() const { return owner_; }
  MutexKind kind() const { return static_cast<MutexKind>(kind_); }

private:
  friend class CondVar;
  GreenThread *owner_ = nullptr; // bytes 0-7
  unsigned recursion_ = 0;       // 8-11
  unsigned unused_ = 0;          // 12-15
  int kind_;                     // 16-19: a MutexKind value
  int unused2_ = 0;              // 20-23
  WaitQueue waiters_;            // 24-39
};

class CondVar {
public:
  explicit CondVar(clockid_t clock) : clock_(clock) {}
  CondVar() = default;
  // Unlocks, waits until signalled or the deadline, relocks. A recursive
  // mutex is released and regained at its full depth.
  int wait(Mutex &mutex, Deadline deadline);
  void signal() { waiters_.wake_one(); }
  void broadcast() { waiters_.wake_all(); }
  bool busy() const { return !waiters_.empty(); }
  clockid_t clock() const { return clock_; }

private:
  WaitQueue waiters_;                // bytes 0-15
  clockid_t clock_ = CLOCK_REALTIME; // 16-19: CLOCK_REALTIME is 0
};

class RwLock {
public:
  int read_lock(Deadline deadline);
  int write_lock(Deadline deadline);
  int unlock();
  bool busy() const { return writer_ != nullptr || readers_ != 0 || !waiters_.empty(); }

private:
  void grant_waiters();
  GreenThread *writer_ = nullptr;
  unsigned readers_ = 0;
  WaitQueue waiters_; // wait_data: 1 for a writer, 0 for a reader
};

class Semaphore {
public:
  explicit Semaphore(unsigned initial) : count_(initial) {}
  int wait(Deadline deadline); // -EAGAIN for a passed deadline and count 0
  int post();
  unsigned value() const { return count_; }
  bool busy() const { return !waiters_.empty(); }

private:
  WaitQueue waiters_; // bytes 0-15; the whole object fits in sem_t
  unsigned count_;
};

class Barrier {
public:
  explicit Barrier(unsigned count) : count_(count) {}
  int wait(Deadline deadline); // 1 for the serial thread, 0 for others
  bool busy() const { return !waiters_.empty(); }

private:
  unsigned count_;
  unsigned arrived_ = 0;
  WaitQueue waiters_;
};

// The state word of a once control: 0 not run, 1 running, 2 done. The waiters
// queue lives behind `waiters` (allocated by the first thread that must wait).
int once_run(int *state, void **waiters, void (*init)(void));

} // namespace sprig
