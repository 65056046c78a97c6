// off_worker.hpp - one blocking libc call made on an OS thread of its own while the calling green
// thread parks: the waits of process-shared objects that glibc alone can make.
//
// A process-shared condition variable or barrier is glibc's, in memory that
// other processes use too (shared_sync.hpp). Its wait can only be glibc's
// own, which sleeps in the kernel; made on the worker it would stop every
// green thread there. So the call runs on a helper OS thread made for it, and
// the caller parks until the helper reports.
//
// The hand-over is one atomic word, `state_`: kIdle, then the serial of the
// park the caller is in (published before it parks), then kDone, which the
// helper swaps in after writing the result. Whoever moves second acts: the
// helper wakes a caller that has published its park, and a caller finds kDone
// before it parks. After its swap the helper reads only copies, so the
// caller may return (and this object on its stack end) as soon as it sees
// kDone. The helper is joinable, and the caller joins it after kDone.
//
// Rejected: libuv's thread pool (sprig_offload). It has four threads by
// default, and a condition wait may hold one for good: four such waits would
// starve every DNS lookup and every other offloaded call of the process.
#pragma once

#include "green_thread.hpp"

#include <atomic>
#include <cstdint>
#include <pthread.h>

namespace sprig {
class Worker;
}

namespace sprig::shim {

class OffWorkerCall {
public:
  // `body(context)` runs on the helper; its result is what wait() returns.
  OffWorkerCall(int (*body)(void *), void *context) : body_(body), context_(context) {}
  OffWorkerCall(const OffWorkerCall &) = delete;
  OffWorkerCall &operator=(const OffWorkerCall &) = delete;

  // Starts the helper: 0, or a positive errno value when no thread can be
  // made (EAGAIN), as pthread_create says it.
  int start();
  // True once the body has returned (or ended by cancellation).
  bool done() const { return state_.load(std::memory_order_acquire) == kDone; }
  // Parks the calling green thread until the body has returned, and gives its
  // result. Signal handlers run meanwhile and the wait goes on. With
  // `cancellable`, a pthread_cancel of the caller cancels the helper (the
  // body must then be in a cancellation point of glibc's) and waits for it to
  // end; `cancelled()` then says so.
  int wait(WaitReason reason, const void *object, bool cancellable);
  bool cancelled() const { return cancelled_; }
  // Cancels the helper (the body must be in one of glibc's cancellation
  // points); wait() then returns when it has ended.
  void cancel();

private:
  static constexpr uint64_t kIdle = 0;
  static constexpr uint64_t kDone = UINT64_MAX;

  static void *helper_main(void *pointer);
  static void helper_cancelled(void *pointer);
  void finish(int result);

  int (*body_)(void *);
  void *context_;
  Worker *worker_ = nullptr;
  GreenThread *thread_ = nullptr;
  pthread_t helper_{};
  int result_ = 0;
  bool cancelled_ = false;
  std::atomic<uint64_t> state_{kIdle};
};

} // namespace sprig::shim
