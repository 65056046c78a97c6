// shared_sync.cpp - process-shared mutexes, rwlocks and semaphores: glibc's try functions on the
// worker, between naps (the design is in shared_sync.hpp).
#include "shared_sync.hpp"

#include "clock.hpp"
#include "nap.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "signals.hpp"
#include "sync.hpp"
#include "vector.hpp"
#include "wait_queue.hpp"
#include "worker.hpp"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

namespace sprig::shim::shared {

namespace {

// glibc's marks (see shared_sync.hpp's table).
constexpr int kMutexSharedBit = 128;   // PTHREAD_MUTEX_PSHARED_BIT
constexpr int kMutexRobustBit = 16;    // PTHREAD_MUTEX_ROBUST_NORMAL_NP
constexpr int kMutexKindBits = 0x7f;   // the kind without the shared bit
constexpr unsigned kCondSharedBit = 1; // __PTHREAD_COND_SHARED_MASK in __wrefs
constexpr int kFutexShared = 128;      // a barrier's or a semaphore's `shared`/`private` int
constexpr size_t kBarrierSharedOffset = 12;
constexpr size_t kSemaphoreSharedOffset = 8;
constexpr int kSharedObjectSpins = 32;

int int_at(const void *object, size_t offset) {
  int value;
  memcpy(&value, static_cast<const char *>(object) + offset, sizeof value);
  return value;
}

int mutex_kind(const pthread_mutex_t *mutex) {
  return __atomic_load_n(&mutex->__data.__kind, __ATOMIC_RELAXED);
}
// Kinds whose owner glibc checks (by kernel thread ID): all but the plain
// normal and adaptive ones.
bool owner_checked(const pthread_mutex_t *mutex) {
  int kind = mutex_kind(mutex) & kMutexKindBits;
  return kind != PTHREAD_MUTEX_NORMAL && kind != PTHREAD_MUTEX_ADAPTIVE_NP;
}
int mutex_type(const pthread_mutex_t *mutex) { return mutex_kind(mutex) & 3; }

// ---- which green thread holds what glibc thinks this OS thread holds --------

struct Holding {
  const void *object;
  uint64_t holder; // Worker::handle_of
};

class Holdings {
public:
  uint64_t holder_of(const void *object) {
    Guard guard(lock_);
    for (const Holding &entry : entries_) {
      if (entry.object == object) {
        return entry.holder;
      }
    }
    return 0;
  }
  void note(const void *object, uint64_t holder) {
    Guard guard(lock_);
    for (Holding &entry : entries_) {
      if (entry.object == object) {
        entry.holder = holder;
        return;
      }
    }
    entries_.push_back({object, holder});
  }
  void clear() {
    lock_.clear(std::memory_order_relaxed);
    entries_.resize(0);
  }
  void forget(const void *object) {
    Guard guard(lock_);
    for (Holding &entry : entries_) {
      if (entry.object == object) {
        entry = entries_[entries_.size() - 1];
        entries_.resize(entries_.size() - 1);
        return;
      }
    }
  }

private:
  class Guard {
  public:
    explicit Guard(std::atomic_flag &flag) : flag_(flag) {
      while (flag_.test_and_set(std::memory_order_acquire)) {
      }
    }
    ~Guard() { flag_.clear(std::memory_order_release); }
    Guard(const Guard &) = delete;
    Guard &operator=(const Guard &) = delete;

  private:
    std::atomic_flag &flag_;
  };
  std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
  Vector<Holding> entries_;
};

Holdings g_holdings;

uint64_t self_handle() { return Worker::handle_of(Worker::current_thread()); }

// ---- green threads of this process waiting for an object --------------------
// An unlock or a post by a green thread here wakes them at once; one by
// another process is seen at the waiter's next nap.

constexpr size_t kWaitingBuckets = 64;
WaitQueue g_waiting[kWaitingBuckets];

WaitQueue &waiting_for(const void *object) {
  auto address = reinterpret_cast<uintptr_t>(object);
  return g_waiting[(address >> 3) * 0x9E3779B97F4A7C15ULL >> 58];
}

// Wakes the first green waiter for `object`, or all of them.
void wake_waiting(const void *object, bool all) {
  WaitQueue &queue = waiting_for(object);
  ObjectGuard guard(&queue);
  bool woken = false;
  queue.for_each([&](GreenThread *thread) {
    if ((all || !woken) && thread->wait_object == object) {
      queue.wake(thread, 0);
      woken = true;
    }
  });
}

// Runs `call` with the thread pointer whose robust list the kernel walks for
// this OS thread, when the running green thread has an identity of its own.
template <typename Call> int under_kernel_identity(const pthread_mutex_t *mutex, Call call) {
  Worker *worker = Worker::current();
  void *kernel_identity = worker->kernel_thread_pointer();
  void *own_identity = worker->running()->thread_pointer;
  if ((mutex_kind(mutex) & kMutexRobustBit) == 0 || !identity::g_per_thread ||
      kernel_identity == nullptr || kernel_identity == own_identity) {
    return call();
  }
  identity::install(kernel_identity);
  int rc = call();
  identity::install(own_identity);
  return rc;
}

// Calls `attempt` (0 or a positive errno, `busy` while another holds the
// object) until it stops saying busy, napping in between; ETIMEDOUT at the
// deadline. Handlers of signals that come meanwhile run, and the wait goes
// on; with `interruptible`, sem_wait's rules apply instead (EINTR, restarts,
// ECANCELED), as negative values.
template <typename Attempt>
int retry_between_naps(Attempt attempt, int busy, WaitReason reason, const void *object,
                       Deadline deadline, bool interruptible) {
  // While nothing else can run on this worker, a few tries between yields of
  // the CPU first: another process often releases the object within
  // microseconds, well before a nap (a timer and a reactor poll) would end.
  for (int spin = 0; spin < kSharedObjectSpins && !Worker::current()->others_runnable(); ++spin) {
    int rc = attempt();
    if (rc != busy) {
      return rc;
    }
    real::sched_yield();
  }
  for (DoublingNap nap(kSharedObjectFirstNapNs, kSharedObjectLongestNapNs);;) {
    int rc = attempt();
    if (rc != busy) {
      return rc;
    }
    int64_t now = monotonic_now_ns();
    if (deadline != kNoDeadline && now >= deadline) {
      return interruptible ? -ETIMEDOUT : ETIMEDOUT;
    }
    int64_t wake_at = now + nap.take();
    WaitQueue &queue = waiting_for(object);
    ObjectGuard guard(&queue);
    int parked = queue.park(reason, object, deadline < wake_at ? deadline : wake_at, guard);
    if (!interruptible || parked == -ETIMEDOUT || parked == 0) {
      continue;
    }
    if (parked == -ECANCELED) {
      return -ECANCELED;
    }
    if (parked == -EINTR && signals::handler_ran(Worker::current_thread()) &&
        (deadline != kNoDeadline || !signals::call_restarts(Worker::current_thread()))) {
      return -EINTR;
    }
  }
}

Deadline deadline_of(clockid_t clock, const struct timespec *abstime) {
  Deadline deadline = kNoDeadline;
  if (abstime != nullptr) {
    absolute_to_deadline(clock, *abstime, &deadline); // the caller checked abstime
  }
  return deadline;
}

int try_mutex(pthread_mutex_t *mutex, bool waiting) {
  if (owner_checked(mutex)) {
    uint64_t holder = g_holdings.holder_of(mutex);
    if (holder != 0 && holder != self_handle()) {
      return EBUSY; // another green thread of this OS thread holds it
    }
    if (holder != 0 && waiting && mutex_type(mutex) == PTHREAD_MUTEX_ERRORCHECK) {
      return EDEADLK;
    }
  }
  int rc = under_kernel_identity(mutex, [mutex] { return real::pthread_mutex_trylock(mutex); });
  if ((rc == 0 || rc == EOWNERDEAD) && owner_checked(mutex)) {
    g_holdings.note(mutex, self_handle());
    if (mutex_type(mutex) != PTHREAD_MUTEX_RECURSIVE || mutex->__data.__count == 1) {
      // glibc wrote the kernel thread ID as the owner, and compares it at
      // unlock: the thread stays on this worker while it holds the mutex.
      ++Worker::current_thread()->locks_owned_by_tid;
    }
  }
  return rc;
}

} // namespace

bool is_shared(const pthread_mutex_t *mutex) { return (mutex_kind(mutex) & kMutexSharedBit) != 0; }

bool is_shared(const pthread_cond_t *cond) {
  return (cond->__data.__wrefs & kCondSharedBit) != 0 && !has_green_layout<CondVar>(cond);
}

bool is_shared(const pthread_rwlock_t *rwlock) { return rwlock->__data.__shared != 0; }

bool is_shared(const pthread_barrier_t *barrier) {
  return int_at(barrier, kBarrierSharedOffset) == kFutexShared;
}

bool is_shared(const sem_t *sem) {
  return int_at(sem, kSemaphoreSharedOffset) == kFutexShared && !has_green_layout<Semaphore>(sem);
}

int mutex_trylock(pthread_mutex_t *mutex) { return try_mutex(mutex, false); }

int mutex_lock(pthread_mutex_t *mutex, clockid_t clock, const struct timespec *abstime) {
  return retry_between_naps([mutex] { return try_mutex(mutex, true); }, EBUSY, WaitReason::kMutex,
                            mutex, deadline_of(clock, abstime), false);
}

int mutex_unlock(pthread_mutex_t *mutex) {
  bool checked = owner_checked(mutex);
  bool last = true;
  if (checked) {
    uint64_t holder = g_holdings.holder_of(mutex);
    if (holder != 0 && holder != self_handle()) {
      return EPERM; // glibc would see its own thread ID there
    }
    // Read before the unlock, while only this thread may change it.
    last = mutex_type(mutex) != PTHREAD_MUTEX_RECURSIVE || mutex->__data.__count <= 1;
  }
  int rc = under_kernel_identity(mutex, [mutex] { return real::pthread_mutex_unlock(mutex); });
  if (rc == 0 && last) {
    if (checked) {
      g_holdings.forget(mutex);
      if (GreenThread *self = Worker::current_thread(); self->locks_owned_by_tid > 0) {
        --self->locks_owned_by_tid;
      }
    }
    wake_waiting(mutex, false);
  }
  return rc;
}

// ---- rwlocks: glibc records the writer by thread ID -------------------------

int rwlock_trylock(pthread_rwlock_t *rwlock, bool write) {
  uint64_t writer = g_holdings.holder_of(rwlock);
  if (writer != 0 && writer != self_handle()) {
    return EBUSY;
  }
  int rc = write ? real::pthread_rwlock_trywrlock(rwlock) : real::pthread_rwlock_tryrdlock(rwlock);
  if (rc == 0 && write) {
    g_holdings.note(rwlock, self_handle());
    ++Worker::current_thread()->locks_owned_by_tid; // as for a mutex, above
  }
  return rc;
}

int rwlock_lock(pthread_rwlock_t *rwlock, bool write, clockid_t clock,
                const struct timespec *abstime) {
  if (g_holdings.holder_of(rwlock) == self_handle()) {
    return EDEADLK; // glibc's answer to its writer locking again
  }
  return retry_between_naps([rwlock, write] { return rwlock_trylock(rwlock, write); }, EBUSY,
                            write ? WaitReason::kRwlockWrite : WaitReason::kRwlockRead, rwlock,
                            deadline_of(clock, abstime), false);
}

int rwlock_unlock(pthread_rwlock_t *rwlock) {
  uint64_t writer = g_holdings.holder_of(rwlock);
  if (writer != 0 && writer != self_handle()) {
    // Another green thread of this OS thread holds the write lock, so this
    // caller holds none; glibc, seeing its own thread ID, would release the
    // writer's.
    return EPERM;
  }
  int rc = real::pthread_rwlock_unlock(rwlock);
  if (rc == 0 && writer != 0) {
    g_holdings.forget(rwlock);
    if (GreenThread *self = Worker::current_thread(); self->locks_owned_by_tid > 0) {
      --self->locks_owned_by_tid;
    }
  }
  if (rc == 0) {
    wake_waiting(rwlock, true);
  }
  return rc;
}

// ---- semaphores ------------------------------------------------------------

void after_fork_in_child() {
  g_holdings.clear();
  for (WaitQueue &queue : g_waiting) {
    new (&queue) WaitQueue();
  }
}

int sem_post(sem_t *sem) {
  if (real::sem_post(sem) != 0) {
    return -errno;
  }
  wake_waiting(sem, false);
  return 0;
}

int sem_wait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
  auto attempt = [sem] { return real::sem_trywait(sem) == 0 ? 0 : -errno; };
  return retry_between_naps(attempt, -EAGAIN, WaitReason::kSemaphore, sem,
                            deadline_of(clock, abstime), true);
}

} // namespace sprig::shim::shared
