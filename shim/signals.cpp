// signals.cpp - the program's side of signals on green threads: dispositions, masks, sending,
// pending sets and the waits for a signal (the engine is runtime/signals/signals.cpp).
//
// Masks are per green thread and read here, not from the kernel. The
// kernel still judges what it would judge: a bad pointer faults or gives
// EFAULT where it would, in its order (new set read first, old set written
// after the change). glibc's pthread_sigmask reads the new set itself, so a
// bad one faults in the program, as natively.
#include "signals.hpp"
#include "program_memory.hpp"
#include "real.hpp"
#include "runtime_entry.hpp"
#include "shim.hpp"
#include "worker.hpp"

#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SPRIG_EXPORT __attribute__((visibility("default")))

namespace sprig::shim {

namespace {

using signals::raw_syscall;
using signals::SignalSet;

constexpr size_t kKernelSetBytes = sizeof(SignalSet); // what the kernel reads and writes

// The mask after pthread_sigmask(how, set): 0, or -EINVAL.
int apply(int how, SignalSet current, SignalSet set, SignalSet *result) {
  switch (how) {
  case SIG_BLOCK:
    *result = current | set;
    return 0;
  case SIG_UNBLOCK:
    *result = current & ~set;
    return 0;
  case SIG_SETMASK:
    *result = set;
    return 0;
  default:
    return -EINVAL;
  }
}

// pthread_sigmask's body: 0 or -errno.
int change_mask(int how, const sigset_t *set, sigset_t *old) {
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  SignalSet before = self->signal_mask;
  if (set != nullptr) {
    SignalSet wanted = signals::set_of(set); // read by glibc too: a bad pointer faults
    SignalSet after = 0;
    if (int rc = apply(how, before, wanted, &after); rc != 0) {
      return rc;
    }
    signals::change_mask(*worker, self, after);
  }
  if (old != nullptr) {
    // The kernel writes its one word of the set, after the change.
    if (copy_to_program(old, &before, kKernelSetBytes) != 0) {
      return -EFAULT;
    }
  }
  return 0;
}

// The set a signal wait takes (never SIGKILL, SIGSTOP or glibc's own), read
// as the kernel reads it: 0 or -EFAULT.
long read_set(const sigset_t *set, SignalSet *signals_out) {
  SignalSet signals_read = 0;
  if (long rc = copy_from_program(&signals_read, set, kKernelSetBytes); rc != 0) {
    return rc;
  }
  *signals_out = signals_read & ~signals::kNeverBlocked;
  return 0;
}

// Takes a signal of `wanted` pending in the kernel (for the worker's OS
// thread or the process) without waiting: its number, or 0.
int take_from_kernel(SignalSet wanted, siginfo_t *info) {
  timespec zero{};
  long rc = raw_syscall(SYS_rt_sigtimedwait, reinterpret_cast<long>(&wanted),
                        reinterpret_cast<long>(info), reinterpret_cast<long>(&zero), sizeof wanted);
  return rc > 0 ? static_cast<int>(rc) : 0;
}

// The wait of sigtimedwait and its family: the signal's number, or -errno
// (-EAGAIN at the timeout, -EINTR when a handler for another signal ran).
// A signal comes from sprig's queues (pthread_kill, signals routed to this
// thread) or from the kernel's pending sets (a signal every thread blocks
// stays there); a signalfd of the set tells the reactor about the latter.
int wait_for_signal(SignalSet wanted, siginfo_t *info, Deadline deadline) {
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  int signal_fd = -1;
  int result = 0;
  for (;;) {
    if (int taken = signals::take_queued(*worker, self, wanted, info); taken != 0) {
      result = taken;
      break;
    }
    if (int taken = take_from_kernel(wanted, info); taken != 0) {
      result = taken;
      break;
    }
    if (deadline != kNoDeadline && deadline <= monotonic_now_ns()) {
      result = -EAGAIN;
      break;
    }
    if (signal_fd < 0) {
      long fd = raw_syscall(SYS_signalfd4, -1, reinterpret_cast<long>(&wanted), sizeof wanted,
                            SFD_NONBLOCK | SFD_CLOEXEC);
      if (fd < 0) {
        result = static_cast<int>(fd);
        break;
      }
      signal_fd = static_cast<int>(fd);
    }
    self->sigwait_set = wanted;
    int rc = worker->reactor().wait_fd(signal_fd, kFdReadable, deadline, Readiness::kNotReady);
    self->sigwait_set = 0;
    if (rc == -ETIMEDOUT) {
      result = -EAGAIN;
      break;
    }
    if (rc == -ECANCELED || (rc == -EINTR && signals::handler_ran(self))) {
      result = rc;
      break;
    }
  }
  if (signal_fd >= 0) {
    worker->reactor().forget_fd(signal_fd);
    raw_syscall(SYS_close, signal_fd, 0, 0, 0);
  }
  return result;
}

int sigtimedwait_body(const sigset_t *set, siginfo_t *info, const timespec *timeout) {
  SignalSet wanted = 0;
  if (long rc = read_set(set, &wanted); rc != 0) {
    return static_cast<int>(rc);
  }
  Deadline deadline = kNoDeadline;
  if (timeout != nullptr) {
    timespec interval{};
    if (long rc = copy_from_program(&interval, timeout, sizeof interval); rc != 0) {
      return static_cast<int>(rc);
    }
    if (interval.tv_sec < 0 || !valid_nanoseconds(interval)) {
      return -EINVAL;
    }
    deadline = deadline_after_interval(interval.tv_sec, interval.tv_nsec);
  }
  siginfo_t taken{};
  int rc = wait_for_signal(wanted, &taken, deadline);
  if (rc > 0 && info != nullptr && copy_to_program(info, &taken, sizeof taken) != 0) {
    return -EFAULT;
  }
  return rc;
}

} // namespace

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) {
  return -change_mask(how, set, old);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  return set_errno_result(change_mask(how, set, old));
}

int raise(int signal_number) {
  int rc = pthread_kill(pthread_of(Worker::current_thread()), signal_number);
  return rc == 0 ? 0 : set_errno_result(-rc);
}

int sigpending(sigset_t *set) {
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  SignalSet in_kernel = 0;
  raw_syscall(SYS_rt_sigpending, reinterpret_cast<long>(&in_kernel), sizeof in_kernel, 0, 0);
  SignalSet pending = (in_kernel | signals::pending_for(*worker, self)) & self->signal_mask;
  return set_errno_result(static_cast<int>(copy_to_program(set, &pending, kKernelSetBytes)));
}

// The kernel reads the new stack first (EFAULT), judges it, and writes the
// old one last (EFAULT, with the change made).
int sigaltstack(const stack_t *stack, stack_t *old) {
  stack_t wanted{};
  if (stack != nullptr && copy_from_program(&wanted, stack, sizeof wanted) != 0) {
    return set_errno_result(-EFAULT);
  }
  stack_t current{};
  int rc = signals::alternate_stack(Worker::current_thread(), stack != nullptr ? &wanted : nullptr,
                                    &current);
  if (rc == 0 && old != nullptr && copy_to_program(old, &current, sizeof current) != 0) {
    rc = -EFAULT;
  }
  return set_errno_result(rc);
}

int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout) {
  return set_errno_result(sigtimedwait_body(set, info, timeout));
}

int sigwaitinfo(const sigset_t *set, siginfo_t *info) {
  return set_errno_result(sigtimedwait_body(set, info, nullptr));
}

// glibc's sigwait takes no EINTR: it waits again.
int sigwait(const sigset_t *set, int *signal_number) {
  for (;;) {
    int rc = sigtimedwait_body(set, nullptr, nullptr);
    if (rc > 0) {
      *signal_number = rc;
      return 0;
    }
    if (rc != -EINTR) {
      return -rc;
    }
  }
}

// Waits with `mask` as the thread's mask until a handler has run: -EINTR
// (or -ECANCELED); the mask is put back after the handler.
int sigsuspend(const sigset_t *mask) {
  SignalSet during = 0;
  if (long rc = copy_from_program(&during, mask, kKernelSetBytes); rc != 0) {
    return set_errno_result(static_cast<int>(rc));
  }
  Worker *worker = Worker::current();
  GreenThread *self = worker->running();
  SignalSet before = self->signal_mask;
  signals::change_mask(*worker, self, during); // runs what is pending and now unblocked
  int rc = -EINTR;
  while (!signals::handler_ran(self)) {
    rc = worker->park(WaitReason::kSignal, nullptr, kNoDeadline);
    if (rc == -ECANCELED) {
      break;
    }
    rc = -EINTR;
  }
  self->signal_handler_ran = false; // already reported: the mask change below starts afresh
  signals::change_mask(*worker, self, before);
  return set_errno_result(rc);
}

int pause() {
  sigset_t mask;
  signals::to_sigset(Worker::current_thread()->signal_mask, &mask);
  return sprig::shim::sigsuspend(&mask);
}

} // namespace sprig::shim

// ---- the exports that are not plain dispatch ------------------------------------

namespace {

bool valid_signal_number(int signal_number) { return signal_number >= 1 && signal_number < NSIG; }

// Whether the program's table is the one to use: sprig keeps it, and the
// caller is not the child of a vfork, whose changes are its own (the
// kernel's, for the child alone).
bool keeps_table() {
  if (!sprig::signals::g_active.load(std::memory_order_relaxed)) {
    return false;
  }
  sprig::Worker *worker = sprig::Worker::current();
  return worker == nullptr || !worker->in_vfork_child();
}

// Keeps the thread's mask in step with the one siglongjmp puts back (a jump
// out of a handler restores the mask sigsetjmp saved, with its own system
// call).
void note_jump(const __jmp_buf_tag *env) {
  sprig::Worker *worker = sprig::Worker::current();
  if (worker == nullptr || worker->running() == nullptr || env->__mask_was_saved == 0) {
    return;
  }
  sprig::GreenThread *self = worker->running();
  sprig::signals::SignalSet mask =
      sprig::signals::set_of(&env->__saved_mask) & ~sprig::signals::kNeverBlocked;
  sprig::signals::change_mask(*worker, self, mask);
}

} // namespace

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's __sig, __act, __oact
extern "C" SPRIG_EXPORT int sigaction(int signal_number, const struct sigaction *action,
                                      struct sigaction *previous) {
  if (!keeps_table() || !valid_signal_number(signal_number)) {
    return sprig::real::resolved(sprig::real::sigaction)(signal_number, action, previous);
  }
  // glibc copies both structures itself: a bad pointer faults in the
  // program, after the change for a bad `previous`, as natively.
  struct sigaction wanted {};
  if (action != nullptr) {
    wanted = *action;
  }
  struct sigaction old {};
  int rc = sprig::signals::set_action(signal_number, action != nullptr ? &wanted : nullptr,
                                      previous != nullptr ? &old : nullptr);
  if (rc == 0 && previous != nullptr) {
    *previous = old;
  }
  return sprig::shim::set_errno_result(rc);
}

// glibc's signal(): BSD semantics (the signal blocked in its handler,
// SA_RESTART), through sprig's sigaction.
// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's __sig, __handler
extern "C" SPRIG_EXPORT sighandler_t signal(int signal_number, sighandler_t handler) {
  if (!keeps_table()) {
    return sprig::real::resolved(sprig::real::signal)(signal_number, handler);
  }
  if (handler == SIG_ERR || !valid_signal_number(signal_number) ||
      signal_number == sprig::signals::kSignalCancel ||
      signal_number == sprig::signals::kSignalSetxid) {
    errno = EINVAL;
    return SIG_ERR;
  }
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, signal_number);
  action.sa_flags = SA_RESTART;
  struct sigaction old {};
  if (sigaction(signal_number, &action, &old) != 0) {
    return SIG_ERR;
  }
  return old.sa_handler;
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's __env, __val
extern "C" SPRIG_EXPORT void siglongjmp(sigjmp_buf env, int value) {
  note_jump(env);
  sprig::real::resolved(sprig::real::siglongjmp)(env, value);
  __builtin_unreachable();
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's __env, __val
extern "C" SPRIG_EXPORT void longjmp(jmp_buf env, int value) {
  note_jump(env);
  sprig::real::resolved(sprig::real::longjmp)(env, value);
  __builtin_unreachable();
}

extern "C" SPRIG_EXPORT void __longjmp_chk(jmp_buf env, int value) {
  note_jump(env);
  sprig::real::resolved(sprig::real::__longjmp_chk)(env, value);
  __builtin_unreachable();
}
