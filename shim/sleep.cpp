// sleep.cpp - sleep, usleep, nanosleep and clock_nanosleep park the green thread on a deadline.
#include "program_memory.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "signals.hpp"
#include "worker.hpp"

#include <cerrno>

namespace sprig::shim {

namespace {

// Parks until the monotonic deadline: 0, -EINTR when a signal handler ran
// (a sleep never restarts, signal(7)), or -ECANCELED for pthread_cancel (the
// cancellation point that called this then ends the thread).
int sleep_until(Deadline deadline) {
  Worker *worker = Worker::current();
  for (;;) {
    int rc = worker->park(WaitReason::kSleep, nullptr, deadline);
    if (rc == -ETIMEDOUT) {
      return 0;
    }
    if (rc == -ECANCELED || (rc == -EINTR && signals::handler_ran(worker->running()))) {
      return rc;
    }
  }
}

// What is left of a sleep to `deadline`, as nanosleep writes it to rem.
timespec time_left(Deadline deadline) {
  int64_t left = deadline - monotonic_now_ns();
  left = left < 0 ? 0 : left;
  return timespec{static_cast<time_t>(left / kNanosPerSecond),
                  static_cast<long>(left % kNanosPerSecond)};
}

// -EINVAL for a negative or malformed interval, as nanosleep(2).
int relative_deadline(const timespec *interval, Deadline *deadline) {
  if (interval->tv_sec < 0 || !valid_nanoseconds(*interval)) {
    return -EINVAL;
  }
  *deadline = deadline_after_interval(interval->tv_sec, interval->tv_nsec);
  return 0;
}

// The program's interval, as the kernel reads it: 0, or -EFAULT.
long read_interval(const timespec *req, timespec *interval) {
  return copy_from_program(interval, req, sizeof *interval);
}

} // namespace

// Interrupted, glibc's sleep returns the whole seconds left, with errno EINTR.
unsigned sleep(unsigned seconds) {
  Deadline deadline = 0;
  timeout_to_deadline(static_cast<int64_t>(seconds) * kNanosPerSecond, &deadline);
  if (sleep_until(deadline) == -EINTR) {
    errno = EINTR;
    return static_cast<unsigned>(time_left(deadline).tv_sec);
  }
  return 0;
}

int usleep(useconds_t usec) {
  Deadline deadline = 0;
  timeout_to_deadline(static_cast<int64_t>(usec) * 1000, &deadline);
  return sleep_until(deadline) == -EINTR ? set_errno_result(-EINTR) : 0;
}

// rem is written only when the sleep is interrupted, as natively.
int nanosleep(const struct timespec *req, struct timespec *rem) {
  timespec interval{};
  Deadline deadline = 0;
  if (long rc = read_interval(req, &interval); rc != 0) {
    return set_errno_result(static_cast<int>(rc));
  }
  if (int rc = relative_deadline(&interval, &deadline); rc != 0) {
    return set_errno_result(rc);
  }
  if (sleep_until(deadline) == -EINTR) {
    timespec left = time_left(deadline);
    if (rem != nullptr && copy_to_program(rem, &left, sizeof left) != 0) {
      return set_errno_result(-EFAULT);
    }
    return set_errno_result(-EINTR);
  }
  return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem) {
  if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) {
    // CPU-time clocks and the rest: as libc does it, blocking the worker.
    return real::clock_nanosleep(clock, flags, req, rem);
  }
  timespec interval{};
  if (long rc = read_interval(req, &interval); rc != 0) {
    return static_cast<int>(-rc);
  }
  if (interval.tv_sec < 0) {
    return EINVAL; // absolute or relative, as the kernel says
  }
  Deadline deadline = 0;
  int rc = (flags & TIMER_ABSTIME) != 0 ? absolute_to_deadline(clock, interval, &deadline)
                                        : relative_deadline(&interval, &deadline);
  if (rc != 0) {
    return -rc;
  }
  if (sleep_until(deadline) == -EINTR) {
    if ((flags & TIMER_ABSTIME) == 0 && rem != nullptr) {
      timespec left = time_left(deadline);
      if (copy_to_program(rem, &left, sizeof left) != 0) {
        return EFAULT;
      }
    }
    return EINTR;
  }
  return 0;
}

} // namespace sprig::shim
