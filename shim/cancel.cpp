// cancel.cpp - pthread_cancel and its state on green threads, deferred cancellation only.
//
// A cancel sets cancel_pending on the target. The target acts on it at the
// next cancellation point it reaches with cancellation enabled: an
// interposed call marked SPRIG_HOOK_CANCEL in hooks.def, or
// pthread_testcancel. If the target is parked inside such a call, in a wait
// that can be abandoned (a sleep, join, condition, semaphore, fd or poll
// wait), pthread_cancel wakes it with -ECANCELED; the call's own code then
// undoes its wait (a condition wait reacquires the mutex first, as natively)
// and the CancellationPoint ends the thread on its way out.
//
// Rejected: asynchronous cancellation. A green thread computing runs on the
// worker's OS thread and cannot be stopped anywhere without a signal that
// would also hit whatever the worker runs next; an asynchronous cancel type
// is recorded and acted on as deferred (sprig(7)).
#include "cancel.hpp"
#include "call_counts.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "signals.hpp"
#include "worker.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <unistd.h>

using sprig::Worker;

namespace sprig::shim {

namespace {

// Waits that cancellation may interrupt: their code unlinks itself from
// whatever it waited on when it wakes early. Offload, DNS and remote waits
// are finished by another OS thread that still writes into the waiter's
// frame, so they run to the end and the cancel acts on return.
bool interruptible(WaitReason reason) {
  switch (reason) {
  case WaitReason::kSleep:
  case WaitReason::kJoin:
  case WaitReason::kCond:
  case WaitReason::kSemaphore:
  case WaitReason::kFdRead:
  case WaitReason::kFdWrite:
  case WaitReason::kFdReadWrite:
  case WaitReason::kPoll:
  case WaitReason::kSignal:
    return true;
  default:
    return false;
  }
}

// On the target's worker: a cancel ends the wait of a thread parked in a
// cancellation point.
void wake_if_cancellable(GreenThread *target, void * /*unused*/) {
  Worker *owner = target->worker; // the calling worker, pinned: this runs there
  if (owner != nullptr && target->state == ThreadState::kParked && target->cancel_pending &&
      target->in_cancellation_point && interruptible(target->wait_reason)) {
    owner->wake(target, -ECANCELED);
  }
}

} // namespace

int pthread_cancel(pthread_t thread) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  if (target->state == ThreadState::kExited || target->exiting) {
    return 0; // glibc: 0 for a thread that has ended but is not joined yet
  }
  target->cancel_pending = true;
  if (target->cancel_disabled) {
    return 0; // acted on when the target enables cancellation again
  }
  if (target == Worker::current_thread()) {
    if (target->cancel_asynchronous) {
      exit_green_thread(target, PTHREAD_CANCELED);
    }
    return 0;
  }
  Worker *worker = Worker::current();
  Worker::OwnedThreadsPin pin(*worker); // the target stays here if it is here
  if (!worker->owns(target)) {
    // Looked at by the target's worker, which alone changes its state.
    Worker::post_call(target, wake_if_cancellable, nullptr);
    return 0;
  }
  wake_if_cancellable(target, nullptr);
  return 0;
}

int pthread_setcancelstate(int state, int *old_state) {
  if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE) {
    return EINVAL;
  }
  GreenThread *self = Worker::current_thread();
  if (old_state != nullptr) {
    *old_state = self->cancel_disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
  }
  if (!self->exiting) { // an exiting thread stays uncancellable
    self->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
  }
  if (self->cancel_asynchronous) {
    act_on_pending_cancel(self); // natively acted on at once in this type
  }
  return 0;
}

int pthread_setcanceltype(int type, int *old_type) {
  if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS) {
    return EINVAL;
  }
  GreenThread *self = Worker::current_thread();
  if (old_type != nullptr) {
    *old_type = self->cancel_asynchronous ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
  }
  self->cancel_asynchronous = type == PTHREAD_CANCEL_ASYNCHRONOUS;
  if (self->cancel_asynchronous) {
    act_on_pending_cancel(self);
  }
  return 0;
}

void pthread_testcancel() { act_on_pending_cancel(Worker::current_thread()); }

// A green thread has no OS thread of its own to signal: the signal is
// queued for it in sprig, and its handler runs on it (runtime/signals/signals.hpp);
// a wait that a signal interrupts ends with EINTR there. A thread that
// signals itself runs the handler before this returns, as natively.
//
// The checks keep glibc's order: its own signals (cancellation and setxid,
// the first two real-time ones) are refused first; a thread that is exiting
// or has exited is sent nothing, so any other number gives 0 there; only
// then does the kernel judge the number.
namespace {
int send_to_thread(pthread_t thread, int signal_number, siginfo_t info);
} // namespace

int pthread_kill(pthread_t thread, int signal_number) {
  siginfo_t info{};
  info.si_code = SI_TKILL;
  return send_to_thread(thread, signal_number, info);
}

// pthread_sigqueue: as pthread_kill, with the value in the siginfo (SI_QUEUE).
int pthread_sigqueue(pthread_t thread, int signal_number, const union sigval value) {
  siginfo_t info{};
  info.si_code = SI_QUEUE;
  info.si_value = value;
  return send_to_thread(thread, signal_number, info);
}

namespace {

int send_to_thread(pthread_t thread, int signal_number, siginfo_t info) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  bool ended = target->state == ThreadState::kExited || target->exiting;
  if (ended && info.si_code == SI_QUEUE) {
    return ESRCH; // glibc's pthread_sigqueue looks at the thread first
  }
  if (signal_number == signals::kSignalCancel || signal_number == signals::kSignalSetxid) {
    return EINVAL;
  }
  if (ended) {
    return 0;
  }
  if (signal_number < 0 || signal_number >= NSIG) {
    return EINVAL;
  }
  if (signal_number == 0) {
    return 0;
  }
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  info.si_signo = signal_number;
  info.si_pid = getpid();
  info.si_uid = getuid();
  Worker::OwnedThreadsPin pin(*worker); // the target stays here if it is here
  if (!worker->owns(target)) {
    // Queued by the target's worker, which keeps its signal state.
    return -signals::post_on_its_worker(target, info, false);
  }
  signals::post(*worker, target, info);
  if (target == self) {
    signals::deliver(*worker, self);
  }
  return 0;
}

} // namespace

} // namespace sprig::shim

// glibc's pthread.h redirects pthread_yield to sched_yield, so a program
// built today calls sched_yield; older binaries still call this symbol, and
// libc's version would reach its own sched_yield, not sprig's.
extern "C" __attribute__((visibility("default"))) int
sprig_exported_pthread_yield() __asm__("pthread_yield");
extern "C" int sprig_exported_pthread_yield() {
  sprig::shim::count_green_call(sprig::shim::kCall_pthread_yield);
  if (Worker::current_thread() != nullptr) {
    Worker::current()->yield();
    return 0;
  }
  return sprig::real::resolved(sprig::real::pthread_yield)();
}
