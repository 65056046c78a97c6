// signals_process.cpp - the process-wide side of signals: the program's dispositions (the sigaction
// table), sprig's own and reserved signals, default actions, the mask of libuv's pool threads.
#include "signals.hpp"

#include "identity.hpp"
#include "signals_internal.hpp"

#include "worker.hpp"

#include <cerrno>
#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sprig::signals {

bool g_take_over = false;
std::atomic<bool> g_active{false};

// Shared with signals.cpp and trampoline.cpp (signals_internal.hpp).
struct sigaction g_actions[kMaxSignal + 1];
KernelSigaction g_kernel_sigaction = nullptr;
std::atomic<Worker *> g_forward_to{nullptr};

namespace {

// sprig's own kernel action for a fault signal (the stack-overflow report),
// which stands for the program's default.
struct sigaction g_own_actions[kMaxSignal + 1];
bool g_has_own_action[kMaxSignal + 1] = {};
SignalSet g_reserved = 0; // sprig's own (the dump signal): the program's handler is only recorded

// glibc's SIGSETXID handler (setuid, setgroups and the rest make every
// thread on glibc's lists change its credentials) marks THREAD_SELF done:
// on a worker's OS thread that must be the descriptor glibc signalled, the
// OS thread's own, not the identity of the green thread (or scheduler) that
// happens to be running. The kernel's layout of an action, since glibc's
// sigaction refuses its own signals.
struct RawAction {
  void *handler;
  unsigned long flags;
  void *restorer;
  SignalSet mask;
};
RawAction g_glibc_setxid{};

void setxid_on_own_identity(int number, siginfo_t *info, void *context) {
  void *own = nullptr;
  if (Worker *worker = Worker::current(); worker != nullptr) {
    own = worker->kernel_thread_pointer();
  }
  void *running = identity::current();
  bool lend = own != nullptr && own != running;
  if (lend) {
    identity::install(own);
  }
  reinterpret_cast<void (*)(int, siginfo_t *, void *)>(g_glibc_setxid.handler)(number, info,
                                                                               context);
  if (lend) {
    identity::install(running);
  }
}

// glibc installs its handler as the process makes its first OS thread
// (pthread_create's late_init), so this runs after sprig makes one.
void wrap_setxid_handler() {
  static std::atomic_flag wrapping = ATOMIC_FLAG_INIT;
  if (!identity::g_per_thread || g_glibc_setxid.handler != nullptr ||
      wrapping.test_and_set(std::memory_order_acquire)) {
    return;
  }
  RawAction current{};
  if (raw_syscall(SYS_rt_sigaction, kSignalSetxid, 0, reinterpret_cast<long>(&current),
                  sizeof(SignalSet)) == 0 &&
      current.handler != SIG_DFL && current.handler != SIG_IGN &&
      current.handler != reinterpret_cast<void *>(setxid_on_own_identity)) {
    g_glibc_setxid = current;
    RawAction wrapped = current;
    wrapped.handler = reinterpret_cast<void *>(setxid_on_own_identity);
    raw_syscall(SYS_rt_sigaction, kSignalSetxid, reinterpret_cast<long>(&wrapped), 0,
                sizeof(SignalSet));
  }
  wrapping.clear(std::memory_order_release);
}

} // namespace

int kernel_sigaction(int signal_number, const struct sigaction *action,
                     struct sigaction *previous) {
  if (g_kernel_sigaction == nullptr) {
    auto next = reinterpret_cast<KernelSigaction>(dlsym(RTLD_NEXT, "sigaction"));
    g_kernel_sigaction = next != nullptr ? next : ::sigaction;
  }
  return g_kernel_sigaction(signal_number, action, previous);
}

std::atomic<bool> g_pool_started{false};

PoolStartGuard::PoolStartGuard() {
  if (g_pool_started.load(std::memory_order_acquire)) {
    return;
  }
  SignalSet all = ~kNeverBlocked; // glibc's own signals stay open: setuid() waits for them
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all),
              reinterpret_cast<long>(&saved_), sizeof all);
  blocked_ = true;
}

PoolStartGuard::~PoolStartGuard() {
  if (blocked_) {
    g_pool_started.store(true, std::memory_order_release);
    raw_set_mask(saved_);
    after_os_thread_created();
  }
}

void after_os_thread_created() { wrap_setxid_handler(); }

void reserve(int signal_number) { g_reserved |= bit(signal_number); }

void note_own_action(int signal_number, const struct sigaction &action) {
  g_own_actions[signal_number] = action;
  g_has_own_action[signal_number] = true;
}

void start(Worker &worker) {
  WorkerSignals &state = worker.signals();
  SignalSet mask = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, reinterpret_cast<long>(&mask), sizeof mask);
  state.base_mask = mask;
  state.kernel_mask = mask;
  raw_syscall(SYS_sigaltstack, 0, reinterpret_cast<long>(&state.initial_alt_stack), 0, 0);
  kernel_sigaction(SIGINT, nullptr, nullptr); // resolves the pointer
  g_forward_to.store(&worker, std::memory_order_release);
  learn_own_code();
  if (!g_take_over || g_active.load(std::memory_order_relaxed)) {
    return; // no preload, or a later worker: the table is the process's
  }
  for (int number = 1; number <= kMaxSignal; ++number) {
    if ((bit(number) & kNeverBlocked) != 0) {
      continue;
    }
    struct sigaction current {};
    if (g_kernel_sigaction(number, nullptr, &current) != 0) {
      continue;
    }
    g_actions[number] = current;
    // A fault handler set before main (a sanitizer's) stays the kernel's.
    if (is_handler(current) && (bit(number) & kFaultSignals) == 0) {
      install_trampoline(number, current); // set before main, by a constructor
    }
  }
  g_active.store(true);
}

int set_action(int signal_number, const struct sigaction *action, struct sigaction *previous) {
  if (signal_number < 1 || signal_number > kMaxSignal ||
      (bit(signal_number) & kNeverBlocked) != 0 || !g_active.load()) {
    return kernel_sigaction(signal_number, action, previous) == 0 ? 0 : -errno;
  }
  struct sigaction wanted {};
  if (action != nullptr) {
    wanted = *action;
  }
  SignalSet all = ~kNeverBlocked; // glibc's own signals stay open: setuid() waits for them
  SignalSet saved = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all),
              reinterpret_cast<long>(&saved), sizeof all);
  struct sigaction old = g_actions[signal_number];
  int rc = 0;
  if (action != nullptr && (g_reserved & bit(signal_number)) == 0) {
    if (is_handler(wanted)) {
      install_trampoline(signal_number, wanted);
    } else if (wanted.sa_handler == SIG_DFL && g_has_own_action[signal_number]) {
      g_kernel_sigaction(signal_number, &g_own_actions[signal_number], nullptr);
    } else if (g_kernel_sigaction(signal_number, &wanted, nullptr) != 0) {
      rc = -errno;
    }
  }
  if (action != nullptr && rc == 0) {
    g_actions[signal_number] = wanted;
  }
  raw_set_mask(saved);
  if (rc == 0 && previous != nullptr) {
    *previous = old;
  }
  return rc;
}

void reset_to_default(int signal_number) {
  struct sigaction reset {};
  reset.sa_handler = SIG_DFL;
  set_action(signal_number, &reset, nullptr);
}

struct sigaction action_of(int signal_number) {
  if (!g_active.load(std::memory_order_relaxed)) {
    struct sigaction current {};
    kernel_sigaction(signal_number, nullptr, &current);
    return current;
  }
  return g_actions[signal_number];
}

void act_on_default(int signal_number) {
  SignalSet signal = bit(signal_number);
  constexpr SignalSet kIgnoredByDefault = bit(SIGCHLD) | bit(SIGCONT) | bit(SIGURG) | bit(SIGWINCH);
  if ((signal & kIgnoredByDefault) != 0) {
    return;
  }
  // The kernel's disposition is the default too, except for sprig's own.
  struct sigaction current {};
  kernel_sigaction(signal_number, nullptr, &current);
  if (current.sa_handler != SIG_DFL) {
    struct sigaction reset {};
    reset.sa_handler = SIG_DFL;
    kernel_sigaction(signal_number, &reset, nullptr);
  }
  SignalSet saved = 0;
  SignalSet unblock = signal;
  raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, reinterpret_cast<long>(&unblock),
              reinterpret_cast<long>(&saved), sizeof unblock);
  raw_syscall(SYS_tgkill, getpid(), raw_syscall(SYS_gettid, 0, 0, 0, 0), signal_number, 0);
  // A stop signal returns here once the process is continued.
  raw_set_mask(saved);
  if (current.sa_handler != SIG_DFL) {
    kernel_sigaction(signal_number, &current, nullptr);
  }
}

void start_another(Worker &worker, const Worker &first) {
  WorkerSignals &state = worker.signals();
  state.base_mask = first.signals().base_mask;
  // Every worker knows main: a process-directed signal that main takes goes
  // to it on whichever worker it runs (post), as the kernel prefers it.
  state.main_thread = first.signals().main_thread;
  // No thread yet: it takes no process-directed signal (before_blocking_poll).
  state.kernel_mask = kBlockedWithNoThread;
  raw_set_mask(state.kernel_mask);
  state.initial_alt_stack = stack_t{nullptr, SS_DISABLE, 0};
}

void stop(Worker &worker) {
  Worker *expected = &worker;
  g_forward_to.compare_exchange_strong(expected, nullptr);
}

void run_with_mask(SignalSet mask, void (*function)(void *), void *argument) {
  SignalSet all = ~kNeverBlocked; // glibc's own signals stay open: setuid() waits for them
  raw_set_mask(mask);
  function(argument);
  raw_set_mask(all);
}

} // namespace sprig::signals
