// off_worker.hpp - one blocking libc call made on a helper OS thread while the calling green thread
// parks: the waits of process-shared objects that glibc alone can make.
//
// A process-shared condition variable or barrier is glibc's, in memory that
// other processes use too (shared_sync.hpp). Its wait can only be glibc's
// own, which sleeps in the kernel; made on the worker it would stop every
// green thread there. So the call runs on a helper OS thread, and the caller
// parks until the helper reports.
//
// Helpers are pooled: one that has finished a call waits for the next (10 s,
// then it ends), and a call finds a new helper made for it only when none is
// idle. So a wait costs a wake-up of a helper, not a thread's start (~30 us),
// and as many calls may wait at once as there are threads to make.
//
// The hand-over is one atomic word, `state_`: kIdle, then the serial of the
// park the caller is in (published before it parks), then kDone, which the
// helper swaps in after writing the result. Whoever moves second acts: the
// helper wakes a caller that has published its park, and a caller finds kDone
// before it parks. After its swap the helper reads only copies, so the
// caller may return (and this object on its stack end) as soon as it sees
// kDone.
//
// A call always runs to its end: a helper is never cancelled (it would not
// know whose call it is in by then). A caller that must stop waiting
// (pthread_cancel) interrupts the call instead, the way the call allows: a
// condition wait is ended by a broadcast, a spurious wake-up for the others.
//
// Rejected: libuv's thread pool (sprig_offload). It has four threads by
// default, and a condition wait may hold one for good: four such waits would
// starve every DNS lookup and every other offloaded call of the process.
#pragma once

#include "green_thread.hpp"

#include <atomic>
#include <cstdint>

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

  // Hands the call to a helper: 0, or a positive errno value when no helper
  // is idle and no thread can be made (EAGAIN), as pthread_create says it.
  int start();
  // True once the body has returned.
  bool done() const { return state_.load(std::memory_order_acquire) == kDone; }
  // Parks the calling green thread until the body has returned, and gives its
  // result. Signal handlers run meanwhile and the wait goes on. When a
  // pthread_cancel of the caller wakes it, `interrupt(context)` (if given) is
  // called once to make the body return soon; `cancelled()` then says so.
  int wait(WaitReason reason, const void *object, void (*interrupt)(void *) = nullptr);
  bool cancelled() const { return cancelled_; }

private:
  friend class HelperPool;
  static constexpr uint64_t kIdle = 0;
  static constexpr uint64_t kDone = UINT64_MAX;

  // On the helper: runs the body and reports.
  void run();

  int (*body_)(void *);
  void *context_;
  Worker *worker_ = nullptr;
  GreenThread *thread_ = nullptr;
  OffWorkerCall *next_ = nullptr; // in the pool's queue
  int result_ = 0;
  bool cancelled_ = false;
  std::atomic<uint64_t> state_{kIdle};
};

} // namespace sprig::shim
