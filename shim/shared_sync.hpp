// shared_sync.hpp - process-shared mutexes, condition variables, rwlocks, barriers and semaphores:
// glibc's objects, used as glibc uses them, waited on without stopping the worker.
//
// Concepts
//   An object made with PTHREAD_PROCESS_SHARED, sem_init(pshared != 0) or
//   sem_open lives in memory other processes use, under sprig or not, so it
//   keeps glibc's layout and glibc's futex protocol: every operation on it is
//   glibc's own. glibc marks such an object in the object itself, and so the
//   shim tells it from a green one without a side table:
//     mutex    __kind has PTHREAD_MUTEX_PSHARED_BIT (128)
//     cond     __wrefs bit 0, and no green-layout marker
//     rwlock   __shared is not 0 (a green lock keeps byte 28 zero)
//     barrier  the int at byte 12 is 128 (a green barrier keeps it zero)
//     sem_t    the int at byte 8 is 128 (FUTEX_SHARED), and no marker
//   Only the waits differ from glibc's:
//   - A lock (mutex, rwlock) and a semaphore are taken by glibc's try
//     function, on the worker, between naps that start at 20 us and double up
//     to 4 ms. An unlock or a post by a green thread of this process ends the
//     nap of the first green waiter at once (of all, for a rwlock); one by
//     another process is seen at the next try. Taking it on the worker matters: glibc records the
//     owner by the kernel thread ID, and a robust mutex on the robust list the kernel knows for
//     this OS thread, which it walks when the process dies.
//   - A condition variable or barrier wait is glibc's, on a pooled helper OS
//     thread (off_worker.hpp). For a condition wait the helper waits with a
//     relay mutex of its own; the caller unlocks the program's mutex only
//     once the helper has unlocked the relay, that is, once glibc has counted
//     it as a waiter, so no signal sent after the caller's unlock is missed;
//     it then takes the program's mutex again on the worker. A cancelled
//     waiter ends the helper's wait with a broadcast (a spurious wake-up for
//     the other waiters, which POSIX allows).
//
// Invariants
//   - Green threads of one worker share its kernel thread ID, which glibc
//     takes for the owner of a mutex or a write lock. So sprig records which
//     green thread holds each process-shared mutex of a checked kind
//     (recursive, error-checking, robust) and each write lock: another green
//     thread of the same OS thread waits for it, and its own holder gets
//     EDEADLK (or a deeper recursion) as natively.
//   - Under SPRIG_TLS=thread, glibc's robust-list work is done under the
//     identity the kernel registered for this OS thread (the one main keeps).
//
// Rejected
//   - Green objects for process-shared use: another process cannot see them.
//   - glibc's blocking lock on a helper OS thread: the helper would own the
//     mutex, and the program's unlock on the worker would be refused (EPERM
//     for a checked kind) or leave the robust list wrong.
#pragma once

#include "clock.hpp"

#include <ctime>
#include <pthread.h>
#include <semaphore.h>

namespace sprig {
class CondVar;
}

namespace sprig::shim::shared {

bool is_shared(const pthread_mutex_t *mutex);
bool is_shared(const pthread_cond_t *cond);
bool is_shared(const pthread_rwlock_t *rwlock);
bool is_shared(const pthread_barrier_t *barrier);
bool is_shared(const sem_t *sem);

// pthread-style results: 0 or a positive errno value. A null abstime waits
// without limit.
int mutex_lock(pthread_mutex_t *mutex, clockid_t clock, const struct timespec *abstime);
int mutex_trylock(pthread_mutex_t *mutex);
int mutex_unlock(pthread_mutex_t *mutex);

// The condition variable is process-shared; the mutex may be either kind.
// kOwnClock: the variable's own clock (pthread_cond_timedwait).
inline constexpr clockid_t kOwnClock = -1;
int cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
              const struct timespec *abstime);
// A green condition variable used with a process-shared mutex.
int green_cond_wait_shared_mutex(CondVar &cond, pthread_mutex_t *mutex, Deadline deadline);

int rwlock_lock(pthread_rwlock_t *rwlock, bool write, clockid_t clock,
                const struct timespec *abstime);
int rwlock_trylock(pthread_rwlock_t *rwlock, bool write);
int rwlock_unlock(pthread_rwlock_t *rwlock);

int barrier_wait(pthread_barrier_t *barrier);

// sem_wait's family: 0 or -errno (EINTR, ETIMEDOUT, ECANCELED), as the
// green semaphore answers. A null abstime waits without limit.
int sem_wait(sem_t *sem, clockid_t clock, const struct timespec *abstime);
int sem_post(sem_t *sem);

// In the child of fork(), on the thread that forked: what this process held
// is its parent's now (glibc sees another thread ID), and no green thread of
// the child waits.
void after_fork_in_child();

} // namespace sprig::shim::shared
