// signals.cpp - masks, queues, routing and handler calls for green threads (design in signals.hpp;
// the kernel's side, the trampoline, is trampoline.cpp; the dispositions and the rest of the
// process-wide side are signals_process.cpp).
#include "signals.hpp"
#include "signals_internal.hpp"

#include "worker.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ucontext.h>

namespace sprig::signals {

namespace {
// <linux/signal.h>'s SS_AUTODISARM, and the kernel's MINSIGSTKSZ (glibc's
// is sysconf's, which may be larger: the kernel judges).
constexpr int kAutoDisarm = static_cast<int>(1U << 31);
constexpr size_t kKernelMinimumStack = 2048;
} // namespace

SignalSet mask_during(SignalSet before, const struct sigaction &action, int signal_number) {
  return (before | set_of(&action.sa_mask) |
          ((action.sa_flags & SA_NODEFER) != 0 ? 0 : bit(signal_number))) &
         ~kNeverBlocked;
}

bool is_handler(const struct sigaction &action) {
  return action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
}

bool on_alternate_stack(const GreenThread *thread, uintptr_t sp) {
  auto base = reinterpret_cast<uintptr_t>(thread->alt_stack_base);
  return thread->alt_stack_size != 0 && sp > base && sp - base <= thread->alt_stack_size;
}

namespace {

bool alive(const GreenThread *thread) {
  return (thread->state == ThreadState::kRunnable || thread->state == ThreadState::kRunning ||
          thread->state == ThreadState::kParked) &&
         !thread->exiting;
}

} // namespace

// Natively a thread takes a signal it does not block, and a thread in
// sigwait one it waits for.
bool accepts(const GreenThread *thread, SignalSet signal) {
  return alive(thread) &&
         ((thread->signal_mask & signal) == 0 || (thread->sigwait_set & signal) != 0);
}

namespace {

void refresh_deliverable(WorkerSignals &state, GreenThread *thread) {
  bool now = (thread->signals_queued & ~thread->signal_mask) != 0;
  if (now != thread->signal_deliverable) {
    thread->signal_deliverable = now;
    state.deliverable += now ? 1 : static_cast<uint32_t>(-1);
  }
}

} // namespace

// Records the running thread's mask; the kernel's follows.
void set_thread_mask(Worker &worker, GreenThread *self, SignalSet mask) {
  WorkerSignals &state = worker.signals();
  if (self->signal_mask != mask) {
    bool was_base = self->signal_mask == state.base_mask;
    bool is_base = mask == state.base_mask;
    if (was_base != is_base) {
      state.own_mask_threads += is_base ? static_cast<uint32_t>(-1) : 1;
    }
    self->signal_mask = mask;
  }
  if (state.kernel_mask != mask) {
    set_kernel_mask(worker, mask);
  }
  refresh_deliverable(state, self);
}

namespace {

// Picks the thread a process-directed signal goes to (see signals.hpp).
GreenThread *choose(Worker &worker, int signal_number) {
  SignalSet signal = bit(signal_number);
  WorkerSignals &state = worker.signals();
  if (state.main_thread != nullptr && worker.owns(state.main_thread) &&
      accepts(state.main_thread, signal)) {
    return state.main_thread;
  }
  // The running thread, unless a waker on another worker has just claimed
  // it as it parks (Worker::try_move_here): it counts there now.
  if (GreenThread *running = worker.running();
      running != nullptr && worker.owns(running) && accepts(running, signal)) {
    return running;
  }
  GreenThread *fallback = nullptr;
  worker.for_each_thread([&](GreenThread *thread) {
    if (fallback != nullptr && fallback->state != ThreadState::kParked) {
      return;
    }
    if (!accepts(thread, signal)) {
      return;
    }
    bool wakes = thread->state != ThreadState::kParked || handler_wakes(thread->wait_reason) ||
                 (thread->sigwait_set & signal) != 0;
    if (fallback == nullptr || wakes) {
      fallback = thread;
    }
  });
  return fallback;
}

void remove_queued(WorkerSignals &state, size_t index) {
  for (size_t next = index + 1; next < state.queued.size(); ++next) {
    state.queued[next - 1] = state.queued[next];
  }
  state.queued.pop_back();
}

SignalSet queued_bits(const WorkerSignals &state, const GreenThread *target) {
  SignalSet bits = 0;
  for (const Queued &entry : state.queued) {
    if (entry.target == target) {
      bits |= bit(entry.info.si_signo);
    }
  }
  return bits;
}

// Takes the first entry for `target` with a signal in `wanted` (lowest
// number first, as the kernel does): its number, or 0.
int take_entry(WorkerSignals &state, GreenThread *target, SignalSet wanted, siginfo_t *info) {
  SignalSet candidates =
      (target != nullptr ? target->signals_queued : state.process_pending) & wanted;
  if (candidates == 0) {
    return 0;
  }
  int signal_number = __builtin_ctzll(candidates) + 1;
  for (size_t index = 0; index < state.queued.size(); ++index) {
    if (state.queued[index].target == target &&
        state.queued[index].info.si_signo == signal_number) {
      *info = state.queued[index].info;
      remove_queued(state, index);
      break;
    }
  }
  if (target != nullptr) {
    target->signals_queued = queued_bits(state, target);
    refresh_deliverable(state, target);
  } else {
    state.process_pending = queued_bits(state, nullptr);
  }
  return signal_number;
}

// Runs the handler of one signal on the running thread, as the kernel would
// on its return to user space (see signals.hpp).
void invoke(Worker &worker, GreenThread *self, siginfo_t *info) {
  int signal_number = info->si_signo;
  struct sigaction action = action_of(signal_number);
  if (action.sa_handler == SIG_IGN) {
    return;
  }
  if (action.sa_handler == SIG_DFL) {
    act_on_default(signal_number);
    return;
  }
  int saved_errno = errno;
  WorkerSignals &state = worker.signals();
  SignalSet before = self->signal_mask;
  SignalSet during = mask_during(before, action, signal_number);
  if ((action.sa_flags & SA_RESETHAND) != 0) {
    reset_to_default(signal_number);
  }
  ucontext_t context;
  getcontext(&context);
  to_sigset(before, &context.uc_sigmask);
  set_thread_mask(worker, self, during);
  self->signal_handler_ran = true;
  if ((action.sa_flags & SA_RESTART) == 0) {
    self->signal_restarts = false;
  }
  bool was_in_runtime = state.in_runtime;
  state.in_runtime = false;
  call_handler(self, action, signal_number, info, &context);
  state.in_runtime = was_in_runtime;
  set_thread_mask(worker, self, set_of(&context.uc_sigmask) & ~kNeverBlocked);
  errno = saved_errno;
}

} // namespace

SignalSet set_of(const sigset_t *set) {
  SignalSet signals;
  memcpy(&signals, set, sizeof signals);
  return signals;
}

long raw_syscall(long number, long first, long second, long third, long fourth) {
  long result;
  register long r10 asm("r10") = fourth;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(first), "S"(second), "d"(third), "r"(r10)
               : "rcx", "r11", "memory");
  return result;
}

void to_sigset(SignalSet signals, sigset_t *set) {
  sigemptyset(set);
  memcpy(set, &signals, sizeof signals);
}

void set_kernel_mask(Worker &worker, SignalSet mask) {
  worker.signals().kernel_mask = mask;
  // Never glibc's own signals: another worker's setuid() waits for this
  // OS thread's SIGSETXID handler.
  raw_set_mask(mask & ~kNeverBlocked);
}

bool handler_wakes(WaitReason reason) {
  switch (reason) {
  case WaitReason::kMutex:
  case WaitReason::kCond:
  case WaitReason::kRwlockRead:
  case WaitReason::kRwlockWrite:
  case WaitReason::kBarrier:
  case WaitReason::kOnce:
    return true;
  default:
    return interruptible(reason);
  }
}

bool interruptible(WaitReason reason) {
  switch (reason) {
  case WaitReason::kSleep:
  case WaitReason::kJoin:
  case WaitReason::kSemaphore:
  case WaitReason::kFdRead:
  case WaitReason::kFdWrite:
  case WaitReason::kFdReadWrite:
  case WaitReason::kPoll:
  case WaitReason::kFutex:
  case WaitReason::kSignal:
    return true;
  default:
    return false;
  }
}

void after_fork_in_child(Worker &worker, GreenThread *self) {
  WorkerSignals &state = worker.signals();
  state.queued.clear();
  state.process_pending = 0;
  state.deliverable = 0;
  for (InboxSlot &slot : state.slots) {
    slot.ready.store(false, std::memory_order_relaxed);
  }
  state.inbox.store(0, std::memory_order_relaxed);
  self->signals_queued = 0;
  self->signal_deliverable = false;
  state.own_mask_threads = self->signal_mask != state.base_mask ? 1 : 0;
  g_forward_to.store(&worker, std::memory_order_release);
}

void on_spawn(Worker &worker, GreenThread *thread, const GreenThread *creator) {
  WorkerSignals &state = worker.signals();
  thread->signal_mask = creator != nullptr ? creator->signal_mask : state.base_mask;
  thread->signals_queued = 0;
  thread->sigwait_set = 0;
  thread->signal_deliverable = false;
  thread->signal_handler_ran = false;
  thread->signal_restarts = true;
  // A new thread has no alternate stack; main keeps the OS thread's.
  const stack_t &initial = state.initial_alt_stack;
  bool inherits = creator == nullptr && (initial.ss_flags & SS_DISABLE) == 0;
  thread->alt_stack_base = inherits ? initial.ss_sp : nullptr;
  thread->alt_stack_size = inherits ? initial.ss_size : 0;
  thread->alt_stack_flags = inherits ? (initial.ss_flags & kAutoDisarm) : 0;
  if (thread->signal_mask != state.base_mask) {
    ++state.own_mask_threads;
  } else if (state.own_mask_threads == 0 && state.kernel_mask != state.base_mask) {
    set_kernel_mask(worker, state.base_mask); // it had no thread: it blocked every signal
  }
}

void on_exit(Worker &worker, GreenThread *thread) {
  WorkerSignals &state = worker.signals();
  if (thread->signal_mask != state.base_mask) {
    --state.own_mask_threads;
    thread->signal_mask = state.base_mask;
    bool last = worker.alive() <= 1 && worker.group() != nullptr;
    SignalSet uniform = last ? kBlockedWithNoThread : state.base_mask;
    if (state.own_mask_threads == 0 && state.kernel_mask != uniform) {
      set_kernel_mask(worker, uniform);
    }
  }
  if (thread->signals_queued != 0) {
    // Natively a thread's pending signals end with it.
    for (size_t index = state.queued.size(); index-- > 0;) {
      if (state.queued[index].target == thread) {
        remove_queued(state, index);
      }
    }
    thread->signals_queued = 0;
  }
  refresh_deliverable(state, thread);
  if (state.main_thread == thread) {
    state.main_thread = nullptr;
  }
}

namespace {

// A signal for a thread of another worker, on its way there.
struct SignalLetter {
  uint64_t handle; // the thread, unless it ended meanwhile and its record was reused
  siginfo_t info;
  bool or_process;
};

void post_arrived(GreenThread *target, void *letter_pointer) {
  SignalLetter letter = *static_cast<SignalLetter *>(letter_pointer);
  free(letter_pointer);
  Worker &here = *Worker::current(); // the target's worker: calls go there (Worker::post_call)
  bool still_there = Worker::find(letter.handle) == target && target->state != ThreadState::kExited;
  if (still_there && (!letter.or_process || accepts(target, bit(letter.info.si_signo)))) {
    post(here, target, letter.info);
  } else if (letter.or_process) {
    post(here, nullptr, letter.info);
  }
}

// True when main, which would take this process-directed signal, runs on
// another worker (it moved there, Worker::try_move_here): the signal is
// posted to it there.
bool sent_to_main_elsewhere(Worker &worker, const siginfo_t &info) {
  GreenThread *main_thread = worker.signals().main_thread;
  if (main_thread == nullptr || !main_thread->is_main || !g_move_on_wake ||
      worker.owns(main_thread) || !accepts(main_thread, bit(info.si_signo))) {
    return false;
  }
  return post_on_its_worker(main_thread, info, true) == 0; // else taken here
}

} // namespace

int post_on_its_worker(GreenThread *target, const siginfo_t &info, bool or_process) {
  auto *letter = static_cast<SignalLetter *>(malloc(sizeof(SignalLetter)));
  if (letter == nullptr) {
    return -EAGAIN;
  }
  *letter = SignalLetter{Worker::handle_of(target), info, or_process};
  Worker::post_call(target, post_arrived, letter);
  return 0;
}

void post(Worker &worker, GreenThread *target, const siginfo_t &info) {
  Worker::OwnedThreadsPin pin(worker); // the thread chosen stays here
  WorkerSignals &state = worker.signals();
  int signal_number = info.si_signo;
  SignalSet signal = bit(signal_number);
  if (target == nullptr) {
    if (sent_to_main_elsewhere(worker, info)) {
      return;
    }
    target = choose(worker, signal_number);
  }
  struct sigaction action = action_of(signal_number);
  if (target == nullptr) {
    if (signal_number < SIGRTMIN && (state.process_pending & signal) != 0) {
      return; // a standard signal is pending once
    }
    state.queued.push_back(Queued{nullptr, info});
    state.process_pending |= signal;
    return;
  }
  bool blocked = (target->signal_mask & signal) != 0 && (target->sigwait_set & signal) == 0;
  if (!blocked && action.sa_handler == SIG_IGN) {
    return; // natively discarded when it is generated
  }
  if (!blocked && action.sa_handler == SIG_DFL && (target->sigwait_set & signal) == 0) {
    act_on_default(signal_number);
    return;
  }
  if (signal_number < SIGRTMIN && (target->signals_queued & signal) != 0) {
    return;
  }
  state.queued.push_back(Queued{target, info});
  target->signals_queued |= signal;
  refresh_deliverable(state, target);
  if (blocked || target->state != ThreadState::kParked) {
    return;
  }
  if ((target->sigwait_set & signal) != 0) {
    worker.wake(target, -EAGAIN); // sigwait looks again
  } else if (handler_wakes(target->wait_reason)) {
    worker.wake(target, -EINTR);
  }
}

bool may_move(const Worker &to, const GreenThread *thread) {
  // Counted by no worker: nothing queued for it, and the mask every thread has.
  return thread->signals_queued == 0 && !thread->signal_deliverable && thread->sigwait_set == 0 &&
         thread->signal_mask == to.signals().base_mask;
}

void drain_inbox(Worker &worker) {
  Worker::OwnedThreadsPin pin(worker); // the running thread stays here if it is here
  WorkerSignals &state = worker.signals();
  while (state.inbox.load(std::memory_order_acquire) != 0) {
    for (InboxSlot &slot : state.slots) {
      if (!slot.ready.load(std::memory_order_acquire)) {
        continue;
      }
      std::atomic_signal_fence(std::memory_order_acquire);
      // A trampoline runs to its end before this code goes on, so a
      // ready slot is written.
      siginfo_t info = slot.info;
      bool to_running = slot.to_running;
      slot.ready.store(false, std::memory_order_release);
      state.inbox.fetch_sub(1, std::memory_order_acq_rel);
      GreenThread *running = worker.running();
      post(worker, to_running && running != nullptr && worker.owns(running) ? running : nullptr,
           info);
    }
  }
}

void deliver(Worker &worker, GreenThread *self) {
  WorkerSignals &state = worker.signals();
  // sprig's bookkeeping calls into libc (getcontext, memcpy), where the
  // trampoline would take the code for the program's: a signal arriving
  // there must wait in the inbox (invoke clears the mark for the handler).
  bool was_in_runtime = state.in_runtime;
  state.in_runtime = true;
  if (state.inbox.load(std::memory_order_acquire) != 0) {
    drain_inbox(worker);
  }
  self->signal_handler_ran = false;
  self->signal_restarts = true;
  siginfo_t info;
  while ((self->signals_queued & ~self->signal_mask) != 0) {
    if (take_entry(state, self, ~self->signal_mask, &info) == 0) {
      break;
    }
    invoke(worker, self, &info);
  }
  state.in_runtime = was_in_runtime;
}

void change_mask(Worker &worker, GreenThread *self, SignalSet mask) {
  WorkerSignals &state = worker.signals();
  mask &= ~kNeverBlocked;
  SignalSet unblocked = self->signal_mask & ~mask;
  set_thread_mask(worker, self, mask);
  if ((unblocked & state.process_pending) != 0) {
    // Pending for the process: the first thread to unblock one takes it.
    for (Queued &entry : state.queued) {
      if (entry.target == nullptr && (bit(entry.info.si_signo) & unblocked) != 0) {
        entry.target = self;
        self->signals_queued |= bit(entry.info.si_signo);
      }
    }
    state.process_pending = queued_bits(state, nullptr);
    refresh_deliverable(state, self);
  }
  deliver(worker, self);
}

int alternate_stack(GreenThread *self, const stack_t *wanted, stack_t *current) {
  char here = 0;
  bool on = on_alternate_stack(self, reinterpret_cast<uintptr_t>(&here));
  current->ss_sp = self->alt_stack_base;
  current->ss_size = self->alt_stack_size;
  current->ss_flags = (self->alt_stack_size == 0 ? SS_DISABLE
                       : on                      ? SS_ONSTACK
                                                 : 0) |
                      self->alt_stack_flags;
  if (wanted == nullptr) {
    return 0;
  }
  if (on) {
    return -EPERM;
  }
  int mode = wanted->ss_flags & ~kAutoDisarm;
  if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0) {
    return -EINVAL;
  }
  if (mode == SS_DISABLE) {
    self->alt_stack_base = nullptr;
    self->alt_stack_size = 0;
    self->alt_stack_flags = 0;
    return 0;
  }
  if (wanted->ss_size < kKernelMinimumStack) {
    return -ENOMEM;
  }
  self->alt_stack_base = wanted->ss_sp;
  self->alt_stack_size = wanted->ss_size;
  self->alt_stack_flags = wanted->ss_flags & kAutoDisarm;
  return 0;
}

bool handler_ran(const GreenThread *self) { return self->signal_handler_ran; }

bool call_restarts(const GreenThread *self) {
  return !self->signal_handler_ran || self->signal_restarts;
}

bool may_wake_a_thread(const Worker &worker) {
  SignalSet handled = 0;
  for (int number = 1; number <= kMaxSignal; ++number) {
    if (is_handler(g_actions[number])) {
      handled |= bit(number);
    }
  }
  bool wakes = false;
  worker.for_each_thread([&](GreenThread *thread) {
    if (thread->state == ThreadState::kParked &&
        (thread->wait_reason == WaitReason::kSignal || thread->sigwait_set != 0 ||
         (interruptible(thread->wait_reason) && (handled & ~thread->signal_mask) != 0))) {
      wakes = true;
    }
  });
  return wakes;
}

void before_blocking_poll(Worker &worker) {
  WorkerSignals &state = worker.signals();
  SignalSet blocked_by_all = state.base_mask;
  if (worker.alive() == 0 && worker.group() != nullptr) {
    blocked_by_all = kBlockedWithNoThread;
  } else if (state.own_mask_threads != 0) {
    blocked_by_all = ~SignalSet{0};
    worker.for_each_thread([&](GreenThread *thread) {
      if (alive(thread)) {
        blocked_by_all &= thread->signal_mask;
      }
    });
    blocked_by_all &= ~kNeverBlocked;
  }
  if (state.kernel_mask != blocked_by_all) {
    set_kernel_mask(worker, blocked_by_all);
  }
}

int take_queued(Worker &worker, GreenThread *self, SignalSet wanted, siginfo_t *info) {
  WorkerSignals &state = worker.signals();
  if (state.inbox.load(std::memory_order_acquire) != 0) {
    drain_inbox(worker);
  }
  int taken = take_entry(state, self, wanted, info);
  return taken != 0 ? taken : take_entry(state, nullptr, wanted, info);
}

SignalSet pending_for(const Worker &worker, const GreenThread *self) {
  return self->signals_queued | worker.signals().process_pending;
}

} // namespace sprig::signals
