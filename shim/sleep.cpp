// sleep.cpp - sleep, usleep, nanosleep and clock_nanosleep park the green thread on a deadline.
#include "program_memory.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "worker.hpp"

#include <cerrno>

namespace sprig::shim {

namespace {

// Parks until the monotonic deadline. Signals do not interrupt a green sleep
// (no EINTR): see sprig(7). pthread_cancel does: the cancellation point that
// called this then ends the thread.
void sleep_until(Deadline deadline) {
  Worker *worker = Worker::current();
  for (;;) {
    int rc = worker->park(WaitReason::kSleep, nullptr, deadline);
    if (rc == -ETIMEDOUT || rc == -ECANCELED) {
      return;
    }
  }
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

unsigned sleep(unsigned seconds) {
  Deadline deadline = 0;
  timeout_to_deadline(static_cast<int64_t>(seconds) * kNanosPerSecond, &deadline);
  sleep_until(deadline);
  return 0;
}

int usleep(useconds_t usec) {
  Deadline deadline = 0;
  timeout_to_deadline(static_cast<int64_t>(usec) * 1000, &deadline);
  sleep_until(deadline);
  return 0;
}

// rem is written only when a sleep is interrupted, which a green sleep never
// is (sprig(7)): a program's rem is left as it was, as natively.
int nanosleep(const struct timespec *req, struct timespec *) {
  timespec interval{};
  Deadline deadline = 0;
  if (long rc = read_interval(req, &interval); rc != 0) {
    return set_errno_result(static_cast<int>(rc));
  }
  if (int rc = relative_deadline(&interval, &deadline); rc != 0) {
    return set_errno_result(rc);
  }
  sleep_until(deadline);
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
  sleep_until(deadline);
  return 0;
}

} // namespace sprig::shim
