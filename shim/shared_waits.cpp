// shared_waits.cpp - waits on process-shared condition variables and barriers: glibc's, on a
// helper OS thread (the design is in shared_sync.hpp and off_worker.hpp).
#include "off_worker.hpp"
#include "real.hpp"
#include "shared_sync.hpp"
#include "sync.hpp"
#include "worker.hpp"

#include <atomic>
#include <cerrno>
#include <new>

namespace sprig::shim::shared {

namespace {

Mutex &green(pthread_mutex_t *mutex) { return *std::launder(reinterpret_cast<Mutex *>(mutex)); }

// What the helper needs for glibc's condition wait.
struct CondWait {
  pthread_cond_t *cond;
  bool timed;
  bool explicit_clock; // pthread_cond_clockwait; else the variable's own clock
  clockid_t clock;
  struct timespec when;
  pthread_mutex_t relay = PTHREAD_MUTEX_INITIALIZER; // the helper's mutex for glibc's wait
  std::atomic<bool> relay_locked{false};
};

int wait_on_helper(void *pointer) {
  auto *wait = static_cast<CondWait *>(pointer);
  real::pthread_mutex_lock(&wait->relay);
  wait->relay_locked.store(true, std::memory_order_release);
  int rc = 0;
  if (!wait->timed) {
    rc = real::pthread_cond_wait(wait->cond, &wait->relay);
  } else if (wait->explicit_clock) {
    rc = real::pthread_cond_clockwait(wait->cond, &wait->relay, wait->clock, &wait->when);
  } else {
    rc = real::pthread_cond_timedwait(wait->cond, &wait->relay, &wait->when);
  }
  real::pthread_mutex_unlock(&wait->relay);
  return rc;
}

// Ends the helper's wait early: a broadcast, which the other waiters take for
// a spurious wake-up (a condition wait may have those).
void end_helper_wait(void *pointer) {
  real::pthread_cond_broadcast(static_cast<CondWait *>(pointer)->cond);
}

// True once glibc has counted the helper as a waiter: its wait unlocks the
// relay only after that.
bool helper_counted(const CondWait &wait) {
  return wait.relay_locked.load(std::memory_order_acquire) &&
         __atomic_load_n(&wait.relay.__data.__lock, __ATOMIC_ACQUIRE) == 0;
}

// The program's mutex, whichever kind it is: 0 or a positive errno value.
int owns(pthread_mutex_t *mutex) {
  if (is_shared(mutex)) {
    return 0; // glibc's own check comes with the unlock
  }
  return green(mutex).owner() == Worker::current_thread() ? 0 : EPERM;
}
int unlock(pthread_mutex_t *mutex) {
  return is_shared(mutex) ? mutex_unlock(mutex) : -green(mutex).unlock();
}
int relock(pthread_mutex_t *mutex) {
  return is_shared(mutex) ? mutex_lock(mutex, CLOCK_REALTIME, nullptr)
                          : -green(mutex).lock(kNoDeadline);
}

} // namespace

int cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
              const struct timespec *abstime) {
  if (int rc = owns(mutex); rc != 0) {
    return rc;
  }
  CondWait wait{cond, abstime != nullptr, clock != kOwnClock, clock,
                abstime != nullptr ? *abstime : timespec{}};
  OffWorkerCall call(wait_on_helper, &wait);
  if (call.start() != 0) {
    // No thread to wait on: a spurious wake-up, which callers look past.
    if (int rc = unlock(mutex); rc != 0) {
      return rc;
    }
    Worker::current()->park(WaitReason::kCond, cond, monotonic_now_ns() + 1'000'000);
    return relock(mutex);
  }
  Worker *worker = Worker::current();
  while (!helper_counted(wait) && !call.done()) {
    if (worker->others_runnable()) {
      worker->yield();
    } else {
      real::sched_yield();
    }
  }
  if (int unlocked = unlock(mutex); unlocked != 0) {
    end_helper_wait(&wait); // not the caller's (EPERM): nothing to wait for
    call.wait(WaitReason::kCond, cond);
    return unlocked;
  }
  int rc = call.wait(WaitReason::kCond, cond, end_helper_wait);
  int relocked = relock(mutex);
  if (relocked != 0) {
    return relocked; // EOWNERDEAD, as glibc's wait says it
  }
  return call.cancelled() ? 0 : rc;
}

int green_cond_wait_shared_mutex(CondVar &cond, pthread_mutex_t *mutex, Deadline deadline) {
  // Linked before the unlock: a green signaller after it finds this thread.
  GreenThread *self = Worker::current_thread();
  cond.link_waiter(self);
  if (int rc = mutex_unlock(mutex); rc != 0) {
    cond.unlink_waiter(self);
    return rc;
  }
  int rc = cond.park_linked_waiter(deadline);
  if (Worker *worker = Worker::current(); worker->signals().work()) [[unlikely]] {
    signals::deliver(*worker, self);
  }
  if (int relocked = relock(mutex); relocked != 0) {
    return relocked;
  }
  return rc == -EINTR || rc == -ECANCELED ? 0 : -rc;
}

namespace {

int barrier_wait_on_helper(void *barrier) {
  return real::pthread_barrier_wait(static_cast<pthread_barrier_t *>(barrier));
}

} // namespace

int barrier_wait(pthread_barrier_t *barrier) {
  OffWorkerCall call(barrier_wait_on_helper, barrier);
  if (int rc = call.start(); rc != 0) {
    return rc;
  }
  return call.wait(WaitReason::kBarrier, barrier);
}

} // namespace sprig::shim::shared
