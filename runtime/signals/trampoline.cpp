// trampoline.cpp - the handler the kernel has for every signal the program handles: it runs the
// program's handler in the kernel's frame or leaves the signal in the worker's inbox (design in
// signals.hpp).
#include "signals.hpp"
#include "signals_internal.hpp"

#include "worker.hpp"

#include <cerrno>
#include <link.h>
#include <ucontext.h>
#include <unistd.h>
#include <uv.h>

namespace sprig::signals {

namespace {

// sprig's own code and libuv's: a handler never runs in the middle of them.
struct CodeRange {
  uintptr_t low = 0;
  uintptr_t high = 0;
};
CodeRange g_own_code[2];

int find_code_range(dl_phdr_info *info, size_t, void *data) {
  auto *range = static_cast<CodeRange *>(data);
  for (int index = 0; index < info->dlpi_phnum; ++index) {
    const ElfW(Phdr) &header = info->dlpi_phdr[index];
    if (header.p_type != PT_LOAD || (header.p_flags & PF_X) == 0) {
      continue;
    }
    uintptr_t low = info->dlpi_addr + header.p_vaddr;
    uintptr_t high = low + header.p_memsz;
    if (range->low >= low && range->low < high) {
      range->low = low;
      range->high = high;
      return 1;
    }
  }
  return 0;
}

CodeRange code_range_of(const void *address) {
  CodeRange range{reinterpret_cast<uintptr_t>(address), 0};
  if (dl_iterate_phdr(find_code_range, &range) == 0) {
    return CodeRange{};
  }
  return range;
}

bool in_own_code(uintptr_t address) {
  for (const CodeRange &range : g_own_code) {
    if (address >= range.low && address < range.high) {
      return true;
    }
  }
  return false;
}

struct HandlerCall {
  const struct sigaction *action;
  int signal_number;
  siginfo_t *info;
  void *context;
};

void run_handler_call(HandlerCall *call) {
  if ((call->action->sa_flags & SA_SIGINFO) != 0) {
    call->action->sa_sigaction(call->signal_number, call->info, call->context);
  } else {
    call->action->sa_handler(call->signal_number);
  }
}

// Calls run_handler_call(call) with the stack pointer at `top` (16-byte
// aligned), and comes back to this stack.
void run_handler_call_on(HandlerCall *call, uintptr_t top) {
  asm volatile("mov %%rsp, %%rbx\n\t"
               "mov %[top], %%rsp\n\t"
               "call *%[function]\n\t"
               "mov %%rbx, %%rsp"
               : "+D"(call)
               : [top] "r"(top), [function] "r"(run_handler_call)
               : "rbx", "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc",
                 "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                 "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

} // namespace

// A handler with SA_ONSTACK runs on the thread's alternate signal stack,
// when it set one and is not on it already (sigaltstack then reports
// SS_ONSTACK to the handler, as natively). `thread` is null on an OS thread
// that is not a worker: the kernel's choice of stack stands there.
void call_handler(const GreenThread *thread, const struct sigaction &action, int signal_number,
                  siginfo_t *info, void *context) {
  HandlerCall call{&action, signal_number, info, context};
  if ((action.sa_flags & SA_ONSTACK) != 0 && thread != nullptr && thread->alt_stack_size != 0) {
    char here = 0;
    if (!on_alternate_stack(thread, reinterpret_cast<uintptr_t>(&here))) {
      uintptr_t top =
          (reinterpret_cast<uintptr_t>(thread->alt_stack_base) + thread->alt_stack_size) &
          ~uintptr_t{15};
      run_handler_call_on(&call, top);
      return;
    }
  }
  run_handler_call(&call);
}

namespace {

bool directed_at_running(int signal_number, const siginfo_t *info) {
  if (info->si_code == SI_TKILL) {
    return true; // tgkill/tkill on the worker: raise() inside libc, abort()
  }
  // What a write on a broken pipe or past RLIMIT_FSIZE raises: SI_USER from
  // this process, for the writer.
  return (signal_number == SIGPIPE || signal_number == SIGXFSZ) && info->si_code == SI_USER &&
         info->si_pid == getpid();
}

bool push_inbox(WorkerSignals &state, const siginfo_t *info, bool to_running) {
  for (InboxSlot &slot : state.slots) {
    bool expected = false;
    // ready doubles as the claim: a nested trampoline skips a claimed slot.
    if (slot.ready.load(std::memory_order_acquire) ||
        !slot.ready.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      continue;
    }
    slot.info = *info;
    slot.to_running = to_running;
    std::atomic_signal_fence(std::memory_order_release);
    state.inbox.fetch_add(1, std::memory_order_release);
    return true;
  }
  ++state.dropped;
  return false;
}

// libc's sigreturn stub (mov $15, %rax; syscall: 9 bytes), learnt from the
// trampoline's return address.
std::atomic<uintptr_t> g_restorer{0};
constexpr uintptr_t kRestorerBytes = 9;

// Runs the handler on the running thread in the kernel's signal frame; the
// kernel has applied the handler's mask (the trampoline is installed with
// the program's sa_mask and SA_NODEFER), and sprig's record follows it.
// The caller has marked the worker in_runtime; `program_in_runtime` is the
// mark the interrupted code had, which the handler runs with.
void deliver_in_frame(Worker &worker, GreenThread *running, const struct sigaction &action,
                      int signal_number, siginfo_t *info, ucontext_t *interrupted,
                      bool program_in_runtime) {
  if (!is_handler(action)) {
    return; // changed meanwhile: the kernel has the new action for the next one
  }
  WorkerSignals &state = worker.signals();
  SignalSet before = running->signal_mask;
  SignalSet during = mask_during(before, action, signal_number);
  if ((action.sa_flags & SA_RESETHAND) != 0) {
    reset_to_default(signal_number);
  }
  // Interrupted on the way out of another handler (libc's sigreturn
  // stub): the kernel mask is still that handler's, and sprig has already
  // recorded the mask the outer sigreturn restores. The thread's mask is
  // the recorded one then, not the interrupted frame's.
  auto rip = static_cast<uintptr_t>(interrupted->uc_mcontext.gregs[REG_RIP]);
  uintptr_t restorer = g_restorer.load(std::memory_order_relaxed);
  bool leaving_a_handler = rip - restorer < kRestorerBytes;
  SignalSet kernel_before = state.kernel_mask;
  state.kernel_mask = during; // what the kernel set for the handler
  set_thread_mask(worker, running, during);
  state.in_runtime = program_in_runtime;
  call_handler(running, action, signal_number, info, interrupted);
  state.in_runtime = true;
  if (leaving_a_handler) {
    state.kernel_mask = kernel_before; // the outer sigreturn sets it right after
    set_thread_mask(worker, running, before);
  } else {
    SignalSet after = set_of(&interrupted->uc_sigmask) & ~kNeverBlocked;
    state.kernel_mask = after; // sigreturn sets it
    set_thread_mask(worker, running, after);
  }
}

// The trampoline on a worker: decides who takes the signal (see
// signals.hpp). Runs marked in_runtime, so that a signal nested in its own
// calls into libc (errno, getpid) waits in the inbox.
void route_from_trampoline(Worker &worker, int signal_number, siginfo_t *info,
                           ucontext_t *interrupted, bool program_in_runtime) {
  struct sigaction action = g_actions[signal_number];
  if (worker.in_vfork_child()) [[unlikely]] {
    // The child of vfork, in the parent's memory: the handler runs in it
    // at once, as natively; the worker's queues are the parent's.
    if (is_handler(action)) {
      call_handler(nullptr, action, signal_number, info, interrupted);
    }
    return;
  }
  WorkerSignals &state = worker.signals();
  GreenThread *running = worker.running();
  SignalSet signal = bit(signal_number);
  if ((signal & kFaultSignals) != 0 && info->si_code > 0) {
    // A fault of the code that runs: its handler runs now, wherever it is.
    if (running != nullptr) {
      deliver_in_frame(worker, running, action, signal_number, info, interrupted,
                       program_in_runtime);
    } else if (is_handler(action)) {
      call_handler(nullptr, action, signal_number, info, interrupted);
    }
    return;
  }
  bool to_running = directed_at_running(signal_number, info);
  // Main first, here or (as threads move) on another worker, where post() sends it.
  bool main_first = state.main_thread != nullptr && state.main_thread != running &&
                    (g_move_on_wake || worker.owns(state.main_thread)) &&
                    accepts(state.main_thread, signal);
  if (running != nullptr && !program_in_runtime &&
      !in_own_code(static_cast<uintptr_t>(interrupted->uc_mcontext.gregs[REG_RIP])) &&
      (running->signal_mask & signal) == 0 && running->sigwait_set == 0 &&
      (to_running || !main_first) && is_handler(action)) {
    // The running thread takes it here, in the kernel's frame, as natively.
    deliver_in_frame(worker, running, action, signal_number, info, interrupted, program_in_runtime);
    return;
  }
  push_inbox(state, info, to_running);
  worker.reactor().wake_from_signal_handler();
}

// The trampoline: the handler the kernel has for every signal the program handles.
void on_kernel_signal(int signal_number, siginfo_t *info, void *context) {
  // The kernel returns from a handler to the restorer glibc's sigaction
  // installed (__restore_rt): this frame's return address.
  g_restorer.store(reinterpret_cast<uintptr_t>(__builtin_return_address(0)),
                   std::memory_order_relaxed);
  Worker *worker = Worker::current();
  if (worker != nullptr) {
    WorkerSignals &state = worker->signals();
    bool program_in_runtime = state.in_runtime;
    state.in_runtime = true; // before any call into libc
    int saved_errno = errno;
    route_from_trampoline(*worker, signal_number, info, static_cast<ucontext_t *>(context),
                          program_in_runtime);
    errno = saved_errno;
    state.in_runtime = program_in_runtime;
    return;
  }
  // Another OS thread (the pool, running a job with its caller's mask): a
  // process-directed signal may go to any thread that takes it, and the
  // green threads are on the worker.
  int saved_errno = errno;
  if (Worker *forward = g_forward_to.load(std::memory_order_acquire); forward != nullptr) {
    push_inbox(forward->signals(), info, false);
    forward->reactor().wake_from_signal_handler();
  } else if (struct sigaction action = g_actions[signal_number]; is_handler(action)) {
    call_handler(nullptr, action, signal_number, info, context);
  }
  errno = saved_errno;
}

} // namespace

void install_trampoline(int signal_number, const struct sigaction &program) {
  struct sigaction kernel {};
  kernel.sa_sigaction = on_kernel_signal;
  kernel.sa_mask = program.sa_mask;
  kernel.sa_flags =
      SA_SIGINFO | (program.sa_flags & (SA_RESTART | SA_NODEFER | SA_NOCLDSTOP | SA_NOCLDWAIT));
  if ((bit(signal_number) & kFaultSignals) != 0) {
    // A fault may be a stack overflow: the trampoline needs the worker's
    // alternate stack (sprig's), and moves to the thread's own from there.
    kernel.sa_flags |= SA_ONSTACK;
  }
  g_kernel_sigaction(signal_number, &kernel, nullptr);
}

void learn_own_code() {
  g_own_code[0] = code_range_of(reinterpret_cast<const void *>(&on_kernel_signal));
  g_own_code[1] = code_range_of(reinterpret_cast<const void *>(&uv_run));
}

} // namespace sprig::signals
