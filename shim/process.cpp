// process.cpp - fork, and wait, waitpid and wait4 parking the green thread until a child changes
// state.
//
// fork: the child keeps only the green thread that forked, with a reactor of
// its own (Worker::after_fork_in_child), as a native child keeps only the OS
// thread that forked.
//
// For one child (pid > 0) sprig waits on a pidfd (readable when the child
// exits), which costs no thread. For "any child" (pid <= 0) there is no fd
// to wait on, so the real wait4 runs on libuv's thread pool while the caller
// parks. WNOHANG calls go straight to libc.
#include "blocking.hpp"
#include "call_counts.hpp"
#include "pool.hpp"
#include "real.hpp"
#include "shared_sync.hpp"
#include "shim.hpp"
#include "sprig.h"
#include "sys.hpp"
#include "worker.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>

namespace sprig::shim {

namespace {

// True when this process traces `pid` (ptrace): its stops must be reported
// too, and a pidfd tells of the exit only. Read from /proc/PID/status.
bool traced_by_us(pid_t pid) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  long fd = sys::call(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  char text[2048];
  long length = sys::read(static_cast<int>(fd), text, sizeof text - 1);
  sys::close(static_cast<int>(fd));
  if (length <= 0) {
    return false;
  }
  text[length] = '\0';
  const char *field = strstr(text, "TracerPid:");
  return field != nullptr && atoi(field + strlen("TracerPid:")) == static_cast<int>(getpid());
}

// Waits until the child's pidfd is readable: 0, -ECANCELED when pthread_cancel
// interrupted the wait, or -ENOSYS when the caller must ask libc on the pool
// instead: there is no pidfd (no such child, or an old kernel), or the caller
// has begun to trace the child meanwhile (a pidfd tells of the exit only, a
// tracer must also see the stops), which is looked at every 100 ms.
int wait_for_child_exit(pid_t pid) {
  long pidfd = sys::call(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    return -ENOSYS;
  }
  // A new fd: whatever the reactor knew of an earlier fd of this number goes.
  Worker::current()->reactor().forget_fd(static_cast<int>(pidfd));
  constexpr int64_t kTracerCheckNs = 100'000'000;
  int ready = -ETIMEDOUT;
  while (ready == -ETIMEDOUT) {
    Deadline deadline = 0;
    timeout_to_deadline(kTracerCheckNs, &deadline);
    ready = Worker::current()->reactor().wait_fd(static_cast<int>(pidfd), kFdReadable, deadline,
                                                 Readiness::kUnknown);
    if (ready == -ETIMEDOUT && traced_by_us(pid)) {
      ready = -ENOSYS;
    }
    if (ready == -EINTR && waits_again(true)) {
      ready = -ETIMEDOUT; // SA_RESTART: wait4 restarts
    }
  }
  Worker::current()->reactor().close_fd(static_cast<int>(pidfd));
  return ready == -ECANCELED || ready == -ENOSYS || ready == -EINTR ? ready : 0;
}

} // namespace

pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage) {
  if ((options & WNOHANG) != 0) {
    return real::wait4(pid, status, options, usage);
  }
  // A stopped or continued child (WUNTRACED, WCONTINUED) does not make the
  // pidfd readable: those waits go to the pool too.
  bool exits_only = (options & (WUNTRACED | WCONTINUED)) == 0;
  if (pid > 0 && exits_only && !traced_by_us(pid)) {
    // Done already, or not a child of ours (ECHILD at once, as natively)?
    pid_t done = real::wait4(pid, status, options | WNOHANG, usage);
    if (done != 0) {
      return done;
    }
    int waited = wait_for_child_exit(pid);
    if (waited == -ECANCELED || waited == -EINTR) {
      return set_errno_result(waited); // the cancellation point acts on a cancel
    }
    if (waited == 0) {
      return real::wait4(pid, status, options, usage);
    }
  }
  return run_on_pool([&] { return real::wait4(pid, status, options, usage); });
}

int system(const char *command) {
  // glibc's system() spawns the shell and waits for it: on the pool, so only
  // the calling green thread waits, as natively only the calling thread does.
  return run_on_pool([&] { return real::system(command); });
}

// exit()'s status, and the identity of the green thread that called it.
struct ExitCall {
  int status;
  void *thread_pointer; // nullptr in TlsMode::kShared
};

void exit_on_scheduler(void *call) {
  const auto *exit_call = static_cast<const ExitCall *>(call);
  if (exit_call->thread_pointer != nullptr) {
    // The exit handlers run on the caller's identity, as natively on the
    // calling thread: its thread_local destructors first, then atexit
    // handlers that see its thread_locals (TlsMode::kPerThread).
    identity::install(exit_call->thread_pointer);
  }
  real::exit(exit_call->status);
}

pid_t fork() {
  pid_t pid = real::fork();
  if (pid == 0) {
    Worker::current()->after_fork_in_child();
    shared::after_fork_in_child();
  }
  return pid;
}

pid_t waitpid(pid_t pid, int *status, int options) {
  return sprig::shim::wait4(pid, status, options, nullptr);
}

pid_t wait(int *status) { return sprig::shim::wait4(-1, status, 0, nullptr); }

} // namespace sprig::shim

// exit() from a green thread runs the exit handlers on the worker's own
// stack, outside any green thread: atexit handlers, C++ static destructors
// and library destructors (libuv's among them) then see the process as
// natively, and the calls they make go straight to libc.
extern "C" __attribute__((visibility("default"))) void exit(int status) {
  sprig::shim::count_green_call(sprig::shim::kCall_exit);
  if (sprig::GreenThread *self = sprig::Worker::current_thread(); self != nullptr) {
    sprig::shim::ExitCall call{status,
                               sprig::identity::g_per_thread ? self->thread_pointer : nullptr};
    sprig::Worker::current()->park_after_scheduler_call(sprig::shim::exit_on_scheduler, &call,
                                                        sprig::WaitReason::kNone, nullptr,
                                                        sprig::kNoDeadline);
  }
  sprig::real::resolved(sprig::real::exit)(status);
  __builtin_unreachable();
}
