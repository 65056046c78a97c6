// off_worker.cpp - a blocking libc call on a helper OS thread while the caller parks (the design
// is in off_worker.hpp).
#include "off_worker.hpp"

#include "real.hpp"
#include "worker.hpp"

#include <cerrno>
#include <csignal>

namespace sprig::shim {

namespace {

// glibc's cancellation unwinds through libgcc, which it loads on first use.
constexpr size_t kHelperStackBytes = size_t{256} * 1024;

} // namespace

int OffWorkerCall::start() {
  worker_ = Worker::current();
  thread_ = worker_->running();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kHelperStackBytes);
  // Every signal blocked: the program's signals are for its green threads,
  // and glibc keeps SIGCANCEL open for pthread_cancel.
  sigset_t all;
  sigfillset(&all);
  pthread_attr_setsigmask_np(&attr, &all);
  int rc = real::pthread_create(&helper_, &attr, helper_main, this);
  pthread_attr_destroy(&attr);
  if (rc == 0) {
    worker_->reactor().expect_remote_wake();
  }
  return rc;
}

void *OffWorkerCall::helper_main(void *pointer) {
  auto *call = static_cast<OffWorkerCall *>(pointer);
  int result = 0;
  pthread_cleanup_push(helper_cancelled, call);
  result = call->body_(call->context_);
  pthread_cleanup_pop(0);
  // A cancel that came as the body returned must not end the thread inside
  // finish() (the wake-up's write is a cancellation point).
  int ignored = 0;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &ignored);
  call->finish(result);
  return nullptr;
}

void OffWorkerCall::helper_cancelled(void *pointer) {
  auto *call = static_cast<OffWorkerCall *>(pointer);
  call->cancelled_ = true;
  call->finish(ECANCELED);
}

void OffWorkerCall::finish(int result) {
  Worker *worker = worker_;
  GreenThread *thread = thread_;
  result_ = result;
  uint64_t parked = state_.exchange(kDone, std::memory_order_acq_rel);
  // From here on this object may be gone: only the copies are used.
  if (parked != kIdle) {
    worker->wake_from_other_thread(thread, parked, 0);
  }
}

void OffWorkerCall::cancel() { real::pthread_cancel(helper_); }

int OffWorkerCall::wait(WaitReason reason, const void *object, bool cancellable) {
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  bool cancel_sent = false;
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
    if (rc == -ECANCELED && cancellable && !cancel_sent) {
      cancel();
      cancel_sent = true;
    }
  }
  worker->reactor().remote_wake_arrived();
  // The helper is joinable, so that pthread_cancel above never meets an
  // ended thread; after finish() it only returns.
  while (real::pthread_tryjoin_np(helper_, nullptr) == EBUSY) {
    real::sched_yield();
  }
  return result_;
}

} // namespace sprig::shim
