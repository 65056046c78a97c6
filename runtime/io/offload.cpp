// offload.cpp - sprig_offload: blocking work on the libuv thread pool while the caller parks.
#include "api_common.hpp"
#include "signals.hpp"
#include "sprig.h"

using sprig::Worker;

namespace {

constexpr int kPending = 1;

struct OffloadRequest {
  uv_work_t work;
  void (*function)(void *);
  void *argument;
  sprig::GreenThread *thread;
  Worker *worker;
  sprig::signals::SignalSet signal_mask; // the caller's, for children the work starts
  int status; // kPending, then 0 or a negative libuv error (UV_ECANCELED)
};

void run_on_pool(uv_work_t *work) {
  auto *request = static_cast<OffloadRequest *>(work->data);
  sprig::signals::run_with_mask(request->signal_mask, request->function, request->argument);
}

void finished(uv_work_t *work, int status) {
  auto *request = static_cast<OffloadRequest *>(work->data);
  request->status = status;
  request->worker->wake(request->thread, 0);
}

void start(void *pointer) {
  auto *request = static_cast<OffloadRequest *>(pointer);
  sprig::signals::PoolStartGuard pool_start;
  int rc = uv_queue_work(request->worker->reactor().loop(), &request->work, run_on_pool, finished);
  if (rc != 0) {
    finished(&request->work, rc);
  }
}

void cancel(void *pointer) {
  auto *request = static_cast<OffloadRequest *>(pointer);
  // Succeeds only while no pool thread has started the work; `finished`
  // then runs with UV_ECANCELED.
  uv_cancel(reinterpret_cast<uv_req_t *>(&request->work));
}

} // namespace

int sprig_offload(void (*fn)(void *arg), void *arg, int64_t timeout_ns) {
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  sprig::Timeout timeout;
  if (fn == nullptr) {
    return -EINVAL;
  }
  if (int rc = decode_timeout(timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  Worker *worker = Worker::current();
  OffloadRequest request{};
  request.work.data = &request;
  request.function = fn;
  request.argument = arg;
  request.thread = worker->running();
  request.worker = worker;
  request.signal_mask = request.thread->signal_mask;
  request.status = kPending;
  worker->park_after_scheduler_call(start, &request, sprig::WaitReason::kOffload, nullptr,
                                    timeout.deadline);
  if (request.status == kPending) {
    // The deadline passed first: cancel if not started, and in any case wait
    // for the pool to let go of `request`.
    worker->park_after_scheduler_call(cancel, &request, sprig::WaitReason::kOffload, nullptr,
                                      sprig::kNoDeadline);
    while (request.status == kPending) {
      worker->park(sprig::WaitReason::kOffload, nullptr, sprig::kNoDeadline);
    }
  }
  if (request.status == UV_ECANCELED) {
    return -ETIMEDOUT;
  }
  return request.status;
}
