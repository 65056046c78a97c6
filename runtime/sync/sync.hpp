// sync.hpp - green mutex, condition variable, rwlock, semaphore, barrier and once.
//
// Each primitive parks green threads on a WaitQueue and never blocks the OS
// thread. Its users may run on different workers: every operation holds the
// object's ObjectGuard (keyed by its wait queue's address; a no-op with one
// worker), and a waker hands over to a thread of another worker through that
// worker's inbox. Hand-off is FIFO: on release the longest waiter is given the
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
  // For a caller that is not a green thread (a worker's scheduler, libuv's
  // pool, an OS thread sprig did not make) while several workers run: a green
  // thread of another worker may hold the mutex at the same time, and the
  // caller cannot park, so it spins (sync_mutex.cpp, "Foreign callers").
  int lock_foreign();
  int try_lock_foreign();
  int unlock_foreign();
  bool busy() const { return owner_ != nullptr || !waiters_.empty(); }
  GreenThread *owner() const { return owner_; }
  MutexKind kind() const { return static_cast<MutexKind>(kind_); }

private:
  friend class CondVar;
  int try_lock_guarded(GreenThread *self);
  int unlock_guarded(GreenThread *self);
  static GreenThread *foreign_owner();
  GreenThread *owner_ = nullptr; // bytes 0-7
  unsigned recursion_ = 0;       // 8-11
  // 12-15: 1 while owner_ was handed the mutex by unlock() and has not yet
  // returned from its park; a foreign caller may take it back then.
  unsigned handed_ = 0;
  int kind_;          // 16-19: a MutexKind value
  int unused2_ = 0;   // 20-23
  WaitQueue waiters_; // 24-39
};

class CondVar {
public:
  explicit CondVar(clockid_t clock) : clock_(clock) {}
  CondVar() = default;
  // Unlocks, waits until signalled or the deadline, relocks. A recursive
  // mutex is released and regained at its full depth.
  int wait(Mutex &mutex, Deadline deadline);
  void signal() {
    ObjectGuard guard(&waiters_);
    waiters_.wake_one();
  }
  void broadcast() {
    ObjectGuard guard(&waiters_);
    waiters_.wake_all();
  }
  // A wait in two steps, for a caller with a mutex of its own to release in
  // between (a process-shared one, shim/shared_sync.hpp): link, release,
  // then park_linked_waiter.
  void link_waiter(GreenThread *self) {
    ObjectGuard guard(&waiters_);
    waiters_.link_running(self, &waiters_);
  }
  int park_linked_waiter(Deadline deadline);
  // Undoes link_waiter when the caller does not park after all (a waker
  // that claimed it meanwhile is let finish: the thread parks for it).
  void unlink_waiter(GreenThread *self);
  bool busy() const { return !waiters_.empty(); }
  clockid_t clock() const { return clock_; }

private:
  WaitQueue waiters_;                // bytes 0-15
  clockid_t clock_ = CLOCK_REALTIME; // 16-19: CLOCK_REALTIME is 0
};

// The values of glibc's PTHREAD_RWLOCK_PREFER_*_NP kinds, plus sprig's FIFO.
// Which waiter gets the lock when it is released, and whether a new reader may
// join readers that hold it while a writer waits:
enum class RwLockKind : int {
  // glibc's default (and PTHREAD_RWLOCK_INITIALIZER's all-zero state): a new
  // reader gets in whenever no writer holds the lock, even past a waiting
  // writer; a writer's unlock admits every waiting reader before any writer.
  kPreferReader = 0,
  // PTHREAD_RWLOCK_PREFER_WRITER_NP: new readers still join held read locks,
  // but a writer's unlock hands the lock to the next waiting writer first.
  kPreferWriter = 1,
  // PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP: a waiting writer also holds
  // back new readers (a reader locking again behind a waiting writer waits).
  kPreferWriterNonrecursive = 2,
  // The direct API (sprig_rwlock_*): served strictly in arrival order; a
  // waiting writer holds back readers that arrive after it.
  kFifo = 3,
};

// RwLock is laid out to live inside pthread_rwlock_t (56 bytes, see
// shim/rwlock.cpp): all-zero bytes are an unlocked kPreferReader lock, as
// PTHREAD_RWLOCK_INITIALIZER is, and the kind sits where glibc keeps it
// (__data.__flags, byte 48), so PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP
// works too. A default-constructed RwLock (the direct API's) is kFifo.
class RwLock {
public:
  RwLock() = default;
  explicit RwLock(RwLockKind kind) : kind_(static_cast<int>(kind)) {}
  // -EDEADLK: the caller holds the write lock. A passed deadline means try
  // once (-ETIMEDOUT).
  int read_lock(Deadline deadline);
  int write_lock(Deadline deadline);
  // Never park: -EBUSY when the lock cannot be taken at once (also when the
  // caller holds the write lock, as glibc's try functions say).
  int try_read_lock();
  int try_write_lock();
  int unlock();
  bool busy() const { return writer_ != nullptr || readers_ != 0 || !waiters_.empty(); }
  RwLockKind kind() const { return static_cast<RwLockKind>(kind_); }

private:
  bool reader_may_enter() const;
  bool writer_may_enter() const { return writer_ == nullptr && readers_ == 0 && waiters_.empty(); }
  void admit_reader(GreenThread *thread);
  void grant_waiters();
  void grant_writer(GreenThread *thread);
  void grant_reader(GreenThread *thread);
  void grant_all_readers();

  GreenThread *writer_ = nullptr; // bytes 0-7
  unsigned readers_ = 0;          // 8-11: read holds
  unsigned writers_waiting_ = 0;  // 12-15: writers on waiters_
  unsigned readers_waiting_ = 0;  // 16-19: readers on waiters_
  // 20-31: zero; bytes 28-31 are glibc's __shared, which is not zero in a
  // process-shared lock (shim/shared_sync.hpp).
  unsigned unused_[3] = {};
  WaitQueue waiters_; // 32-47: wait_data: 1 for a writer, 0 for a reader
  int kind_ = static_cast<int>(RwLockKind::kFifo); // 48-51: a RwLockKind value
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

// Barrier fits in pthread_barrier_t (see shim/barrier.cpp).
class Barrier {
public:
  explicit Barrier(unsigned count) : count_(count) {}
  int wait(Deadline deadline); // 1 for the serial thread, 0 for others
  bool busy() const { return !waiters_.empty(); }
  unsigned count() const { return count_; }

private:
  unsigned count_;       // bytes 0-3
  unsigned arrived_ = 0; // 4-7
  unsigned rounds_ =
      0; // 8-11: completed rounds: a waiter a signal took out knows if its round ended
  // 12-15: zero; glibc keeps 128 there in a process-shared barrier
  // (shim/shared_sync.hpp).
  unsigned unused_ = 0;
  WaitQueue waiters_; // 16-31
};

// The state word of a once control: 0 not run, 1 running, 2 done. The waiters
// queue lives behind `waiters` (allocated by the first thread that must wait).
int once_run(int *state, void **waiters, void (*init)(void));

} // namespace sprig
