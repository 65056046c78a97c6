// barrier.cpp - pthread barriers as green barriers living inside pthread_barrier_t.
//
// As glibc's: the last thread to arrive in a round gets
// PTHREAD_BARRIER_SERIAL_THREAD, a count of 0 or of 2^31 - 1 and more is
// EINVAL. Process-shared barriers stay glibc's (shared_sync.hpp).
// pthread_barrier_destroy says EBUSY while threads wait on the barrier (glibc
// would wait for them, which is undefined anyway).
#include "real.hpp"
#include "shared_sync.hpp"
#include "shim.hpp"
#include "sync.hpp"
#include "worker.hpp"

#include <cerrno>
#include <new>

namespace sprig::shim {

static_assert(sizeof(Barrier) <= sizeof(pthread_barrier_t));
static_assert(alignof(Barrier) <= alignof(pthread_barrier_t));

namespace {

// glibc's BARRIER_IN_THRESHOLD: larger counts are EINVAL.
constexpr unsigned kCountLimit = 0x7fffffffU;

Barrier &green(pthread_barrier_t *barrier) {
  return *std::launder(reinterpret_cast<Barrier *>(barrier));
}

} // namespace

int pthread_barrier_init(pthread_barrier_t *barrier, const pthread_barrierattr_t *attr,
                         unsigned count) {
  if (count == 0 || count >= kCountLimit) {
    return EINVAL;
  }
  int shared = PTHREAD_PROCESS_PRIVATE;
  // The attribute reader is not interposed: glibc reads its own struct.
  if (attr != nullptr && pthread_barrierattr_getpshared(attr, &shared) != 0) {
    return EINVAL;
  }
  if (shared != PTHREAD_PROCESS_PRIVATE) {
    return real::pthread_barrier_init(barrier, attr, count);
  }
  new (barrier) Barrier(count);
  return 0;
}

// glibc's destroy writes the barrier (it waits for the last round to leave
// through it), so destroying one on a read-only page faults; this one writes
// it back as the idle barrier of its count.
int pthread_barrier_destroy(pthread_barrier_t *barrier) {
  if (shared::is_shared(barrier)) {
    return real::pthread_barrier_destroy(barrier);
  }
  if (green(barrier).busy()) {
    return EBUSY;
  }
  unsigned count = green(barrier).count();
  new (barrier) Barrier(count);
  return 0;
}

int pthread_barrier_wait(pthread_barrier_t *barrier) {
  if (shared::is_shared(barrier)) {
    return shared::barrier_wait(barrier);
  }
  int rc = green(barrier).wait(kNoDeadline);
  return rc == 1 ? PTHREAD_BARRIER_SERIAL_THREAD : -rc;
}

} // namespace sprig::shim
