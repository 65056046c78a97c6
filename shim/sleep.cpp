// sleep.cpp - sleep, usleep, nanosleep and clock_nanosleep park the green thread on a deadline.
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
  if (interval->tv_sec < 0 || interval->tv_nsec < 0 || interval->tv_nsec >= kNanosPerSecond) {
    return -EINVAL;
  }
  int64_t ns = interval->tv_sec > (INT64_MAX / kNanosPerSecond) - 1
                   ? INT64_MAX - monotonic_now_ns()
                   : interval->tv_sec * kNanosPerSecond + interval->tv_nsec;
  return timeout_to_deadline(ns, deadline);
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

int nanosleep(const struct timespec *req, struct timespec *rem) {
  if (req == nullptr) {
    return set_errno_result(-EFAULT);
  }
  Deadline deadline = 0;
  if (int rc = relative_deadline(req, &deadline); rc != 0) {
    return set_errno_result(rc);
  }
  sleep_until(deadline);
  if (rem != nullptr) {
    *rem = timespec{};
  }
  return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem) {
  if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) {
    // CPU-time clocks and the rest: as libc does it, blocking the worker.
    return real::clock_nanosleep(clock, flags, req, rem);
  }
  if (req == nullptr) {
    return EFAULT;
  }
  if (req->tv_sec < 0) {
    return EINVAL; // absolute or relative, as the kernel says
  }
  Deadline deadline = 0;
  int rc = (flags & TIMER_ABSTIME) != 0 ? absolute_to_deadline(clock, *req, &deadline)
                                        : relative_deadline(req, &deadline);
  if (rc != 0) {
    return -rc;
  }
  sleep_until(deadline);
  if (rem != nullptr && (flags & TIMER_ABSTIME) == 0) {
    *rem = timespec{};
  }
  return 0;
}

} // namespace sprig::shim
