// introspect_watchdog.cpp - SPRIG_WATCHDOG_MS: an OS thread that warns when one green thread
// keeps its worker from switching for longer than that.
//
// The watchdog samples the worker's switch counter and running thread a few
// times per period. The same thread running with no switch for the whole
// period is a thread computing, or blocked in a call sprig could not make
// green: it gets one warning per such stretch, with its name and for how
// long. Where it is:
//   - computing (the worker's OS thread is running in /proc): SIGURG to the
//     worker; its handler records the instruction pointers of the
//     interrupted stack (libunwind's local unwinding, async-signal-safe once
//     loaded) and the watchdog names them. SIGURG is ignored by default and
//     almost never used by programs; it is used only while its action is
//     the default or sprig's, so a program's own handler never gets it.
//   - blocked in the kernel: no signal (it would make the program's call
//     fail with EINTR); the warning names the system call from
//     /proc/self/task/TID/syscall instead of a backtrace.
// The counter and the running pointer are read without synchronisation:
// a stale value costs one sample period, never a false warning of a thread
// that switched (the counter only grows).
#include "backtrace.hpp"
#include "introspect.hpp"
#include "signals.hpp"
#include "sys.hpp"
#include "text_buffer.hpp"
#include "worker.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace sprig::observe {

namespace {

struct Watchdog {
  pthread_t thread{};
  bool running = false;
  std::atomic<bool> stop{false};
  Worker *worker = nullptr;
  int64_t threshold_ns = 0;
  pid_t worker_tid = 0;
  bool sampling_signal = false; // SIGURG is sprig's
};

Watchdog g_watchdog;

// Filled by the SIGURG handler on the worker's OS thread.
std::atomic<bool> g_sample_wanted{false};
std::atomic<bool> g_sample_ready{false};
uintptr_t g_sample_ips[kMaxBacktraceFrames];
int g_sample_count = 0;

void on_sample_signal(int, siginfo_t *, void *context) {
  if (!g_sample_wanted.exchange(false)) {
    return; // a SIGURG of the kernel's (out-of-band data): nothing to do
  }
  int saved_errno = errno;
  g_sample_count =
      backtrace_ips(*static_cast<ucontext_t *>(context), true, g_sample_ips, kMaxBacktraceFrames);
  errno = saved_errno;
  g_sample_ready.store(true, std::memory_order_release);
}

bool sampling_signal_is_ours() {
  struct sigaction current {};
  return signals::kernel_sigaction(SIGURG, nullptr, &current) == 0 &&
         (current.sa_flags & SA_SIGINFO) != 0 && current.sa_sigaction == on_sample_signal;
}

void install_sampling_signal() {
  struct sigaction current {};
  if (signals::kernel_sigaction(SIGURG, nullptr, &current) != 0 ||
      (current.sa_handler != SIG_DFL && !sampling_signal_is_ours())) {
    return;
  }
  struct sigaction action {};
  action.sa_sigaction = on_sample_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  g_watchdog.sampling_signal = signals::kernel_sigaction(SIGURG, &action, nullptr) == 0;
}

// The worker OS thread's state letter in /proc (R running, S sleeping, D
// disk wait), and its system call number when it is in one (-1 otherwise).
char worker_state(long *syscall_number) {
  char path[64];
  char text[512];
  *syscall_number = -1;
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(g_watchdog.worker_tid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return '?';
  }
  long length = sys::read(fd, text, sizeof text - 1);
  sys::close(fd);
  if (length <= 0) {
    return '?';
  }
  text[length] = '\0';
  const char *after_name = strrchr(text, ')');
  char state = after_name != nullptr && after_name[1] == ' ' ? after_name[2] : '?';
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall",
           static_cast<int>(g_watchdog.worker_tid));
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    length = sys::read(fd, text, sizeof text - 1);
    sys::close(fd);
    if (length > 0) {
      text[length] = '\0';
      if (text[0] >= '0' && text[0] <= '9') {
        *syscall_number = strtol(text, nullptr, 10);
      }
    }
  }
  return state;
}

const char *syscall_name(long number) {
  switch (number) {
  case SYS_read:
    return "read";
  case SYS_write:
    return "write";
  case SYS_pread64:
    return "pread64";
  case SYS_pwrite64:
    return "pwrite64";
  case SYS_futex:
    return "futex";
  case SYS_nanosleep:
    return "nanosleep";
  case SYS_clock_nanosleep:
    return "clock_nanosleep";
  case SYS_poll:
    return "poll";
  case SYS_ppoll:
    return "ppoll";
  case SYS_select:
    return "select";
  case SYS_pselect6:
    return "pselect6";
  case SYS_epoll_wait:
    return "epoll_wait";
  case SYS_epoll_pwait:
    return "epoll_pwait";
  case SYS_accept:
    return "accept";
  case SYS_accept4:
    return "accept4";
  case SYS_connect:
    return "connect";
  case SYS_recvfrom:
    return "recvfrom";
  case SYS_sendto:
    return "sendto";
  case SYS_wait4:
    return "wait4";
  case SYS_flock:
    return "flock";
  case SYS_fcntl:
    return "fcntl";
  case SYS_fsync:
    return "fsync";
  case SYS_fdatasync:
    return "fdatasync";
  case SYS_openat:
    return "openat";
  case SYS_pause:
    return "pause";
  case SYS_rt_sigsuspend:
    return "rt_sigsuspend";
  case SYS_rt_sigtimedwait:
    return "rt_sigtimedwait";
  default:
    return nullptr;
  }
}

void sleep_ns(int64_t ns) {
  timespec span{static_cast<time_t>(ns / kNanosPerSecond), static_cast<long>(ns % kNanosPerSecond)};
  sys::call(SYS_nanosleep, &span, nullptr);
}

// Asks the worker's OS thread for the ips of where it is; true when they came.
bool take_sample() {
  if (!g_watchdog.sampling_signal || !unwinder_loaded() || !sampling_signal_is_ours()) {
    return false;
  }
  g_sample_ready.store(false);
  g_sample_wanted.store(true);
  sys::call(SYS_tgkill, getpid(), g_watchdog.worker_tid, SIGURG);
  for (int wait = 0; wait < 100; ++wait) {
    if (g_sample_ready.load(std::memory_order_acquire)) {
      return g_sample_count > 0;
    }
    sleep_ns(1'000'000);
  }
  g_sample_wanted.store(false);
  return false;
}

void warn(const GreenThread *thread, uint64_t id, int64_t held_ns) {
  TextBuffer out;
  char name[sizeof thread->name];
  memcpy(name, thread->name, sizeof name);
  name[sizeof name - 1] = '\0';
  out.append("sprig: watchdog: green thread %llu (%s) has kept its worker from switching for "
             "%lld ms (SPRIG_WATCHDOG_MS=%lld)",
             static_cast<unsigned long long>(id), name[0] != '\0' ? name : "-",
             static_cast<long long>(held_ns / 1'000'000),
             static_cast<long long>(g_watchdog.threshold_ns / 1'000'000));
  long number = -1;
  char state = worker_state(&number);
  if (state == 'R' || number < 0) {
    out.append(": it is computing, or in a call sprig does not make green\n");
    if (take_sample()) {
      for (int frame = 0; frame < g_sample_count; ++frame) {
        char function[256];
        symbolize(g_sample_ips[frame], frame == 0, function, sizeof function);
        out.append("  #%d 0x%016lx %s\n", frame, static_cast<unsigned long>(g_sample_ips[frame]),
                   function);
      }
    } else {
      out.append("  (no backtrace: SIGURG is the program's, or libunwind.so.8 is missing)\n");
    }
  } else {
    const char *call = syscall_name(number);
    if (call != nullptr) {
      out.append(": it is blocked in the system call %s, which sprig does not make green\n", call);
    } else {
      out.append(": it is blocked in system call %ld, which sprig does not make green\n", number);
    }
    out.append("  (no backtrace: a signal would interrupt that call)\n");
  }
  out.write_to(STDERR_FILENO);
}

void *watch(void *) {
  unwinder_load();
  int64_t period = g_watchdog.threshold_ns / 4;
  period = period < 2'000'000 ? 2'000'000 : period;
  uint64_t last_switches = UINT64_MAX;
  const GreenThread *last_running = nullptr;
  int64_t unchanged_since = monotonic_now_ns();
  bool warned = false;
  while (!g_watchdog.stop.load(std::memory_order_acquire)) {
    sleep_ns(period);
    // Plain reads of the worker's fields (see the top of this file); the
    // sleep above is an opaque call, so each pass reads them afresh.
    uint64_t switches = g_watchdog.worker->stats().switches;
    const GreenThread *running = g_watchdog.worker->running();
    int64_t now = monotonic_now_ns();
    if (switches != last_switches || running != last_running || running == nullptr) {
      last_switches = switches;
      last_running = running;
      unchanged_since = now;
      warned = false;
      continue;
    }
    if (!warned && now - unchanged_since >= g_watchdog.threshold_ns) {
      warned = true;
      warn(running, running->id, now - unchanged_since);
    }
  }
  return nullptr;
}

} // namespace

void watchdog_start(Worker &worker, int64_t threshold_ms) {
  if (g_watchdog.running) {
    return;
  }
  g_watchdog.worker = &worker;
  g_watchdog.threshold_ns = threshold_ms * 1'000'000;
  g_watchdog.worker_tid = static_cast<pid_t>(sys::call(SYS_gettid));
  g_watchdog.stop.store(false);
  install_sampling_signal();
  // The watchdog takes no signal: the program's go to the worker as before.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  g_watchdog.running = pthread_create(&g_watchdog.thread, nullptr, watch, nullptr) == 0;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void watchdog_stop() {
  if (!g_watchdog.running) {
    return;
  }
  g_watchdog.stop.store(true, std::memory_order_release);
  pthread_join(g_watchdog.thread, nullptr);
  g_watchdog.running = false;
  if (g_watchdog.sampling_signal && sampling_signal_is_ours()) {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    signals::kernel_sigaction(SIGURG, &action, nullptr);
  }
  g_watchdog.sampling_signal = false;
}

} // namespace sprig::observe
