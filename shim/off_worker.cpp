// off_worker.cpp - a blocking libc call on a pooled helper OS thread while the caller parks (the
// design is in off_worker.hpp).
#include "off_worker.hpp"

#include "real.hpp"
#include "signals.hpp"
#include "worker.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <pthread.h>

namespace sprig::shim {

namespace {

constexpr size_t kHelperStackBytes = size_t{256} * 1024;
constexpr time_t kIdleHelperSeconds = 10;

} // namespace

// The helpers and the calls waiting for one. Its lock and condition variable
// are glibc's, used through real:: by the worker and the helpers alike; the
// lock is held only to queue or take a call.
class HelperPool {
public:
  int submit(OffWorkerCall *call) {
    real::pthread_mutex_lock(&lock_);
    if (!fork_handler_set_) {
      pthread_atfork(nullptr, nullptr, forget_in_child);
      fork_handler_set_ = true;
    }
    // Each queued call needs a helper that is waiting, or a new one: a busy
    // helper may be in a wait that never ends.
    if (queued_ + 1 > waiting_) {
      if (int rc = start_helper(); rc != 0) {
        real::pthread_mutex_unlock(&lock_);
        return rc;
      }
    }
    call->next_ = nullptr;
    (tail_ == nullptr ? head_ : tail_->next_) = call;
    tail_ = call;
    ++queued_;
    real::pthread_cond_signal(&work_);
    real::pthread_mutex_unlock(&lock_);
    return 0;
  }

private:
  static void *helper_main(void *pool) {
    static_cast<HelperPool *>(pool)->serve();
    return nullptr;
  }

  int start_helper() {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, kHelperStackBytes);
    // Every signal blocked: the program's signals are for its green threads.
    sigset_t all;
    sigfillset(&all);
    pthread_attr_setsigmask_np(&attr, &all);
    pthread_t helper;
    int rc = real::pthread_create(&helper, &attr, helper_main, this);
    pthread_attr_destroy(&attr);
    if (rc == 0) {
      signals::after_os_thread_created();
    }
    return rc;
  }

  void serve() {
    real::pthread_mutex_lock(&lock_);
    for (;;) {
      timespec until{};
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_sec += kIdleHelperSeconds;
      while (head_ == nullptr) {
        ++waiting_;
        int rc = real::pthread_cond_timedwait(&work_, &lock_, &until);
        --waiting_;
        if (rc == ETIMEDOUT && head_ == nullptr) {
          real::pthread_mutex_unlock(&lock_);
          return;
        }
      }
      OffWorkerCall *call = head_;
      head_ = call->next_;
      if (head_ == nullptr) {
        tail_ = nullptr;
      }
      --queued_;
      real::pthread_mutex_unlock(&lock_);
      call->run();
      real::pthread_mutex_lock(&lock_);
    }
  }

  // In the child of fork(): the helpers were not copied, nor were the
  // threads whose calls are queued.
  static void forget_in_child();

  pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t work_ = PTHREAD_COND_INITIALIZER;
  OffWorkerCall *head_ = nullptr;
  OffWorkerCall *tail_ = nullptr;
  int queued_ = 0;
  int waiting_ = 0; // helpers waiting for a call
  bool fork_handler_set_ = false;
};

namespace {

HelperPool g_helpers;

} // namespace

void HelperPool::forget_in_child() {
  g_helpers.lock_ = PTHREAD_MUTEX_INITIALIZER;
  g_helpers.work_ = PTHREAD_COND_INITIALIZER;
  g_helpers.head_ = nullptr;
  g_helpers.tail_ = nullptr;
  g_helpers.queued_ = 0;
  g_helpers.waiting_ = 0;
}

int OffWorkerCall::start() {
  worker_ = Worker::current();
  thread_ = worker_->running();
  int rc = g_helpers.submit(this);
  if (rc == 0) {
    worker_->reactor().expect_remote_wake();
  }
  return rc;
}

void OffWorkerCall::run() {
  Worker *worker = worker_;
  GreenThread *thread = thread_;
  result_ = body_(context_);
  uint64_t parked = state_.exchange(kDone, std::memory_order_acq_rel);
  // From here on this object may be gone: only the copies are used.
  if (parked != kIdle) {
    worker->wake_from_other_thread(thread, parked, 0);
  }
}

int OffWorkerCall::wait(WaitReason reason, const void *object, void (*interrupt)(void *)) {
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  for (;;) {
    uint64_t expected = kIdle;
    uint64_t serial = self->park_serial + 1; // the number park() gives this park
    if (!state_.compare_exchange_strong(expected, serial, std::memory_order_acq_rel)) {
      break; // done
    }
    int rc = worker->park(reason, object, kNoDeadline);
    expected = serial;
    if (!state_.compare_exchange_strong(expected, kIdle, std::memory_order_acq_rel)) {
      break; // done (woken by the helper, or it finished as a signal woke this thread)
    }
    if (rc == -ECANCELED && interrupt != nullptr && !cancelled_) {
      cancelled_ = true;
      interrupt(context_);
    }
  }
  worker->reactor().remote_wake_arrived();
  return result_;
}

} // namespace sprig::shim
