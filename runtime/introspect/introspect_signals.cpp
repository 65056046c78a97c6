// introspect_signals.cpp - the dump signal (SPRIG_DUMP_SIGNAL) and the stack-overflow report on
// an alternate signal stack.
//
// The dump signal's handler only writes to an eventfd the reactor watches;
// the dump itself is made on the scheduler context (thread records and wait
// queues may be mid-change in whatever code the signal interrupted).
//
// The overflow report: a SIGSEGV handler on an alternate stack of the
// worker's OS thread looks at the fault address. On the guard page below the
// running green thread's stack, it reports the thread, its stack size and
// its backtrace, then lets the process die of SIGSEGV as it would natively:
// the handler puts back the default action and returns, so the faulting
// instruction faults again. Any other SIGSEGV gets the same default death at
// once. The handler is installed only when SIGSEGV still has its default
// action at start (a sanitizer or a library constructor may have one); a
// program that installs its own later replaces it, as sigaction says, and
// gets every SIGSEGV, overflows included: sigaction passes fault signals
// to the kernel as the program asks (runtime/signals/signals.hpp), and reports
// sprig's handler as SIG_DFL, which is what the program had.
#include "backtrace.hpp"
#include "introspect.hpp"
#include "reactor.hpp"
#include "signals.hpp"
#include "sys.hpp"
#include "text_buffer.hpp"
#include "worker.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

namespace sprig::observe {

namespace {

// ---- the dump signal ---------------------------------------------------------

struct DumpSignal {
  int number = 0;
  volatile int fd = -1;      // read by the handler
  uv_poll_t *poll = nullptr; // malloc'ed: freed by its close callback
  struct sigaction previous {};
};

DumpSignal g_dump;

void on_dump_signal(int) {
  uint64_t one = 1;
  sys::write(g_dump.fd, &one, sizeof one); // keeps errno
}

void on_dump_requested(uv_poll_t *handle, int, int) {
  uint64_t count = 0;
  sys::read(g_dump.fd, &count, sizeof count);
  Worker *worker = static_cast<Reactor *>(handle->loop->data)->worker();
  TextBuffer out;
  out.append("sprig: thread dump (signal %d, SPRIG_DUMP_SIGNAL)\n", g_dump.number);
  dump_threads(*worker, true, out);
  out.write_to(STDERR_FILENO);
}

int make_event_fd(Reactor &reactor) {
  long fd = sys::call(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    return -1;
  }
  // Far from the program's fd numbers, as the control socket.
  long high = sys::fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 900);
  if (high >= 0) {
    sys::close(static_cast<int>(fd));
    fd = high;
  }
  reactor.note_own_fd(static_cast<int>(fd), true);
  return static_cast<int>(fd);
}

void free_handle(uv_handle_t *handle) { free(handle); }

void start_polling(Reactor &reactor) {
  auto *poll = static_cast<uv_poll_t *>(malloc(sizeof(uv_poll_t)));
  if (poll == nullptr) {
    return;
  }
  if (uv_poll_init(reactor.loop(), poll, g_dump.fd) != 0) {
    free(poll);
    return;
  }
  uv_poll_start(poll, UV_READABLE, on_dump_requested);
  uv_unref(reinterpret_cast<uv_handle_t *>(poll)); // not a reason to keep running
  g_dump.poll = poll;
}

void stop_polling(Reactor &reactor) {
  if (g_dump.poll != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t *>(g_dump.poll), free_handle);
    g_dump.poll = nullptr;
  }
  if (g_dump.fd >= 0) {
    reactor.note_own_fd(g_dump.fd, false);
    sys::close(g_dump.fd);
    g_dump.fd = -1;
  }
}

void start_dump_signal(Worker &worker, int number) {
  g_dump.number = number;
  g_dump.fd = make_event_fd(worker.reactor());
  if (g_dump.fd < 0) {
    return;
  }
  start_polling(worker.reactor());
  struct sigaction action {};
  action.sa_handler = on_dump_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  signals::kernel_sigaction(number, &action, &g_dump.previous);
  signals::reserve(number);
}

// ---- the stack-overflow report ---------------------------------------------------

constexpr size_t kAltStackSize = size_t{256} * 1024;
constexpr int64_t kReportTimeLimitS = 2;

struct OverflowGuard {
  bool handler_installed = false;
  void *alt_stack = nullptr; // the worker's alternate signal stack, if sprig's
  size_t stack_size_default = 0;
};

OverflowGuard g_overflow;

void say(const char *text) { sys::write(STDERR_FILENO, text, strlen(text)); }

// The default action again, for this fault and any after it.
void restore_default_action() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  signals::kernel_sigaction(SIGSEGV, &action, nullptr);
}

// The report must end in the SIGSEGV death even if unwinding hangs (a lock
// held by the code that overflowed): a timer sends SIGSEGV to this thread,
// which, unblocked and at its default action, ends the process.
void arm_death_timer() {
  struct sigevent event {};
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = SIGSEGV;
  event._sigev_un._tid = static_cast<pid_t>(sys::call(SYS_gettid));
  int timer = 0;
  if (sys::call(SYS_timer_create, CLOCK_MONOTONIC, &event, &timer) == 0) {
    itimerspec when{};
    when.it_value.tv_sec = kReportTimeLimitS;
    sys::call(SYS_timer_settime, timer, 0, &when, nullptr);
  }
  sigset_t segv;
  sigemptyset(&segv);
  sigaddset(&segv, SIGSEGV);
  sys::call(SYS_rt_sigprocmask, SIG_UNBLOCK, &segv, nullptr, sizeof(uint64_t));
}

bool is_overflow(const GreenThread &thread, const siginfo_t &info, const ucontext_t &context) {
  if (info.si_code <= 0 || thread.stack.low == nullptr) {
    return false; // sent by kill or tgkill, or not on a green stack
  }
  auto fault = reinterpret_cast<uintptr_t>(info.si_addr);
  auto low = reinterpret_cast<uintptr_t>(thread.stack.low);
  size_t page = StackPool::page_size();
  if (fault >= low - page && fault < low) {
    return true; // the guard page
  }
  // A frame larger than a page may step over the guard: the stack pointer
  // has left the stack and the fault lies just below it.
  auto sp = static_cast<uintptr_t>(context.uc_mcontext.gregs[REG_RSP]);
  return sp < low + page && fault < low && low - fault < size_t{1} << 20;
}

void report_overflow(const GreenThread &thread, const ucontext_t &context) {
  control_forget_path(); // the process is about to die
  char line[512];
  snprintf(line, sizeof line,
           "sprig: green thread %llu (%s) overflowed its %zu KiB stack\n"
           "sprig: a larger one: SPRIG_STACK_SIZE (now %zu KiB; such as SPRIG_STACK_SIZE=%zuK), "
           "or pthread_attr_setstacksize for this thread\n",
           static_cast<unsigned long long>(thread.id), thread.name[0] != '\0' ? thread.name : "-",
           thread.stack.size / 1024, g_overflow.stack_size_default / 1024,
           thread.stack.size / 1024 * 4);
  say(line);
  arm_death_timer();
  if (!unwinder_load()) {
    say("sprig: (no backtrace: libunwind.so.8 is not available)\n");
    return;
  }
  // The innermost frames, and the outermost ones (where the recursion
  // began); runs of one frame repeated are said once.
  constexpr int kEnd = 16;
  uintptr_t inner[kEnd];
  uintptr_t outer[kEnd];
  int inner_count = 0;
  long total = 0;
  int outer_count = backtrace_ends(context, true, inner, kEnd, &inner_count, outer, kEnd, &total);
  if (outer_count < 0) {
    return;
  }
  uintptr_t ips[2 * kEnd];
  long numbers[2 * kEnd];
  int count = 0;
  for (int index = 0; index < inner_count; ++index, ++count) {
    ips[count] = inner[index];
    numbers[count] = index;
  }
  for (int index = 0; index < outer_count; ++index, ++count) {
    ips[count] = outer[index];
    numbers[count] = total - outer_count + index;
  }
  // A run of one ip is said once, across the frames left out between the
  // two ends too (a recursion); any other gap is said as such.
  for (int index = 0; index < count;) {
    int run = 1;
    while (index + run < count && ips[index + run] == ips[index]) {
      ++run;
    }
    char name[256];
    symbolize(ips[index], numbers[index] == 0, name, sizeof name);
    long first = numbers[index];
    long last = numbers[index + run - 1];
    if (last > first) {
      snprintf(line, sizeof line, "  #%ld-#%ld 0x%016lx %s (%ld frames)\n", first, last,
               static_cast<unsigned long>(ips[index]), name, last - first + 1);
    } else {
      snprintf(line, sizeof line, "  #%ld 0x%016lx %s\n", first,
               static_cast<unsigned long>(ips[index]), name);
    }
    say(line);
    if (index + run < count && numbers[index + run] > last + 1) {
      snprintf(line, sizeof line, "  ... %ld frames left out\n", numbers[index + run] - last - 1);
      say(line);
    }
    index += run;
  }
}

void on_segv(int number, siginfo_t *info, void *context_pointer) {
  int saved_errno = errno;
  auto *context = static_cast<ucontext_t *>(context_pointer);
  Worker *worker = Worker::current();
  GreenThread *thread = worker == nullptr ? nullptr : worker->running();
  restore_default_action();
  if (thread != nullptr && is_overflow(*thread, *info, *context)) {
    report_overflow(*thread, *context);
  } else if (info->si_code <= 0) {
    // Sent, not caused: send it again, to be taken at the default action
    // once this handler returns.
    sys::call(SYS_tgkill, getpid(), sys::call(SYS_gettid), number);
  }
  errno = saved_errno;
  // Returning runs the faulting instruction again: the default action now.
}

// An alternate stack for the calling OS thread, where the overflow report
// and the fault trampoline run: its memory, or nullptr when the thread has
// one already (not sprig's to replace) or none can be made.
void *give_alternate_stack() {
  stack_t alternate{};
  if (sigaltstack(nullptr, &alternate) != 0 || (alternate.ss_flags & SS_DISABLE) == 0) {
    return nullptr;
  }
  void *memory = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) {
    return nullptr;
  }
  alternate.ss_sp = memory;
  alternate.ss_size = kAltStackSize;
  alternate.ss_flags = 0;
  if (sigaltstack(&alternate, nullptr) != 0) {
    munmap(memory, kAltStackSize);
    return nullptr;
  }
  return memory;
}

void take_alternate_stack(void *memory) {
  if (memory == nullptr) {
    return;
  }
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == memory &&
      (current.ss_flags & SS_ONSTACK) == 0) {
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    munmap(memory, kAltStackSize);
  }
  // Else the program put its own in place and ours stays mapped (it may
  // still be in use by a handler).
}

void start_overflow_report(Worker &worker) {
  g_overflow.stack_size_default = worker.stacks().default_size();
  struct sigaction current {};
  if (signals::kernel_sigaction(SIGSEGV, nullptr, &current) != 0) {
    return;
  }
  bool ours = (current.sa_flags & SA_SIGINFO) != 0 && current.sa_sigaction == on_segv;
  if (!ours && current.sa_handler != SIG_DFL) {
    return; // the program's (or a sanitizer's): it stays
  }
  void *memory = give_alternate_stack();
  if (memory == nullptr) {
    return;
  }
  g_overflow.alt_stack = memory;
  struct sigaction action {};
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  signals::kernel_sigaction(SIGSEGV, &action, nullptr);
  signals::note_own_action(SIGSEGV, action);
  g_overflow.handler_installed = true;
}

void stop_overflow_report() {
  take_alternate_stack(g_overflow.alt_stack);
  g_overflow.alt_stack = nullptr;
}

} // namespace

void signals_start(Worker &worker, const Config &config) {
  start_overflow_report(worker);
  if (config.dump_signal != 0) {
    start_dump_signal(worker, config.dump_signal);
  }
}

void signals_stop(Worker &worker) {
  stop_overflow_report();
  if (g_dump.number != 0) {
    signals::kernel_sigaction(g_dump.number, &g_dump.previous, nullptr);
    stop_polling(worker.reactor());
    g_dump.number = 0;
  }
}

void *worker_signals_start() { return give_alternate_stack(); }

void worker_signals_stop(void *alternate_stack) { take_alternate_stack(alternate_stack); }

void signals_after_fork_in_child(Reactor &reactor) {
  if (g_dump.fd < 0) {
    return;
  }
  // The eventfd is shared with the parent: a signal to the child would make
  // the parent dump. A fresh one replaces it.
  stop_polling(reactor);
  g_dump.fd = make_event_fd(reactor);
  if (g_dump.fd >= 0) {
    start_polling(reactor);
  }
}

} // namespace sprig::observe
