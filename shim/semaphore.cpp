// semaphore.cpp - unnamed POSIX semaphores (sem_init) as green semaphores living inside sem_t.
//
// Named semaphores (sem_open) and process-shared ones (pshared != 0) are
// shared with other processes: they stay glibc's (shared_sync.hpp).
#include "blocking.hpp"
#include "program_memory.hpp"
#include "real.hpp"
#include "shared_sync.hpp"
#include "shim.hpp"
#include "sync.hpp"
#include "worker.hpp"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <new>

namespace sprig::shim {

namespace {

// A semaphore sem_init'ed by glibc before main is made green on first use
// (green_layout), keeping its count: the low 32 bits of glibc's value word.
Semaphore &green(sem_t *sem) {
  return green_layout<Semaphore>(sem, [sem] {
    unsigned count = *reinterpret_cast<const uint32_t *>(sem);
    new (sem) Semaphore(count);
  });
}

// glibc reads abstime->tv_nsec before it looks at the semaphore: a malformed
// abstime is EINVAL even when a unit is there, and a null or unmapped one
// faults, natively and here alike.
// A semaphore wait that a handler interrupts fails with EINTR, or restarts
// with SA_RESTART when it has no timeout (as glibc on Linux: a timed wait
// fails with EINTR either way).
int wait_restarting(sem_t *sem, Deadline deadline) {
  for (;;) {
    int rc = green(sem).wait(deadline);
    if (rc != -EINTR || !waits_again(restartable(deadline))) {
      return rc;
    }
  }
}

int wait_until(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
  if (!valid_nanoseconds(*abstime)) {
    return -EINVAL;
  }
  if (shared::is_shared(sem)) {
    return shared::sem_wait(sem, clock, abstime);
  }
  if (green(sem).value() > 0) {
    return green(sem).wait(kNoDeadline);
  }
  Deadline deadline = kNoDeadline;
  if (int rc = absolute_to_deadline(clock, *abstime, &deadline); rc != 0) {
    return rc;
  }
  return wait_restarting(sem, deadline);
}

// True when the semaphore may have green waiters. glibc's sem_destroy reads
// nothing, so neither may this check fault: the marker is read through a
// checked copy, and an unreadable semaphore has none.
bool may_have_waiters(sem_t *sem) {
  if (sem == nullptr) {
    return false;
  }
  uint32_t words[green_marker_word<Semaphore>() + 1];
  if (copy_from_program(words, sem, sizeof words) != 0) {
    return false;
  }
  return words[green_marker_word<Semaphore>()] == kGreenLayoutMarker;
}

} // namespace

int sem_init(sem_t *sem, int pshared, unsigned value) {
  if (value > SEM_VALUE_MAX) {
    return set_errno_result(-EINVAL);
  }
  if (pshared != 0) {
    reinterpret_cast<uint32_t *>(sem)[green_marker_word<Semaphore>()] = 0; // no longer green
    return real::sem_init(sem, pshared, value);
  }
  new (sem) Semaphore(value);
  mark_green_layout<Semaphore>(sem);
  return 0;
}

// A process-shared semaphore has no marker: 0, as glibc's sem_destroy.
int sem_destroy(sem_t *sem) {
  return may_have_waiters(sem) && green(sem).busy() ? set_errno_result(-EBUSY) : 0;
}

int sem_wait(sem_t *sem) {
  if (shared::is_shared(sem)) {
    return set_errno_result(shared::sem_wait(sem, CLOCK_REALTIME, nullptr));
  }
  return set_errno_result(wait_restarting(sem, kNoDeadline));
}

int sem_trywait(sem_t *sem) {
  if (shared::is_shared(sem)) {
    return real::sem_trywait(sem);
  }
  return green(sem).value() > 0 ? set_errno_result(green(sem).wait(kNoDeadline))
                                : set_errno_result(-EAGAIN);
}

int sem_timedwait(sem_t *sem, const struct timespec *abstime) {
  return set_errno_result(wait_until(sem, CLOCK_REALTIME, abstime));
}

// glibc's order: the clock, then abstime.
int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) {
    return set_errno_result(-EINVAL);
  }
  return set_errno_result(wait_until(sem, clock, abstime));
}

int sem_post(sem_t *sem) {
  if (shared::is_shared(sem)) {
    return set_errno_result(shared::sem_post(sem));
  }
  return set_errno_result(green(sem).post());
}

int sem_getvalue(sem_t *sem, int *value) {
  if (shared::is_shared(sem)) {
    return real::sem_getvalue(sem, value);
  }
  *value = static_cast<int>(green(sem).value());
  return 0;
}

} // namespace sprig::shim
