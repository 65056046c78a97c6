// once.cpp - pthread_once for green threads: latecomers park while the initializer runs.
//
// pthread_once_t is one int, and glibc's encoding is kept: 0 not run, bit 0
// (__PTHREAD_ONCE_INPROGRESS) running, bit 1 (__PTHREAD_ONCE_DONE) done, the
// fork generation above. The green thread that finds 0 runs the initializer
// through glibc's own pthread_once, on its green stack. That keeps every
// glibc guarantee: a control done before main (or by an OS thread sprig does
// not run) is done for green threads and the other way round, OS threads that
// wait are woken by glibc's futex, and an initializer that ends by a C++
// exception (std::call_once) or cancellation leaves the control at 0 for the
// next caller, as glibc's cleanup handler resets it. No switch to another
// green thread can happen between reading 0 and glibc's compare-and-swap, so
// glibc never makes a green caller wait in the kernel, unless an OS thread
// sprig does not run takes the control in that window.
//
// A green thread that finds the initializer running parks on the list of
// latecomers; the green runner wakes the latecomers of its control
// when glibc's pthread_once returns. A latecomer also wakes up on its own
// after a nap (1 ms, doubling up to 64 ms) and looks again, for the cases
// where no green thread will wake it: the runner is an OS thread, or
// left the initializer by an exception. Never does it spin the OS thread.
//
// glibc's pthread_once puts a cleanup buffer (on the caller's stack) on the
// OS thread's cleanup list for the time of the initializer; longjmp walks
// that list. Natively each thread has its own list, but all the green
// threads of a worker share their OS thread's: two initializers that park
// and finish out of order would leave the list pointing into a stack frame
// that is gone. So glibc is handed run_off_cleanup_list as the initializer,
// which takes glibc's buffer off the list while the program's initializer
// runs and puts it back after (if the initializer throws, glibc's unwinding
// cleanup takes it off itself).
//
// Recursion: an initializer that calls pthread_once on its own control
// waits forever, as natively (glibc's waits on a futex); here only that
// green thread hangs. A control left running by a fork (its runner is not in
// the child) also waits forever here, where glibc would run it again.
#include "nap.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "wait_queue.hpp"
#include "worker.hpp"

// glibc's exported (undeclared) cleanup-list functions, which the
// pthread_cleanup_push macros of old binaries call.
extern "C" void _pthread_cleanup_push(_pthread_cleanup_buffer *buffer, void (*routine)(void *),
                                      void *arg);
extern "C" void _pthread_cleanup_pop(_pthread_cleanup_buffer *buffer, int execute);

namespace sprig::shim {

namespace {

constexpr int kInProgress = 1; // glibc's __PTHREAD_ONCE_INPROGRESS
constexpr int kDone = 2;       // glibc's __PTHREAD_ONCE_DONE

// The program's initializer, from pthread_once to run_off_cleanup_list:
// glibc calls it before anything can switch green threads.
thread_local void (*t_init)(void) = nullptr;

void run_off_cleanup_list() {
  void (*init)(void) = t_init;
  _pthread_cleanup_buffer probe{};
  _pthread_cleanup_push(&probe, nullptr, nullptr); // probe.__prev: the list's head, glibc's buffer
  _pthread_cleanup_buffer *glibc_buffer = probe.__prev;
  _pthread_cleanup_pop(&probe, 0);
  if (glibc_buffer != nullptr) {
    _pthread_cleanup_pop(glibc_buffer, 0); // the head is now what it was before glibc's push
  }
  init();
  if (glibc_buffer != nullptr) {
    _pthread_cleanup_push(glibc_buffer, glibc_buffer->__routine, glibc_buffer->__arg);
  }
}

// Every worker's latecomers, and the controls whose initializer a green
// thread runs, under one guard keyed by the queue. With several workers two
// green threads may both read 0; the claim makes the second a latecomer
// instead of a caller that glibc would put to sleep in the kernel, with its
// whole worker.
WaitQueue g_latecomers;
constexpr size_t kMaxClaims = 256;
const pthread_once_t *g_claims[kMaxClaims];

bool claim(const pthread_once_t *once) {
  for (const pthread_once_t *&slot : g_claims) {
    if (slot == once) {
      return false;
    }
  }
  for (const pthread_once_t *&slot : g_claims) {
    if (slot == nullptr) {
      slot = once;
      return true;
    }
  }
  return true; // the table is full: glibc decides, as with one worker
}

void unclaim(const pthread_once_t *once) {
  for (const pthread_once_t *&slot : g_claims) {
    if (slot == once) {
      slot = nullptr;
    }
  }
}

void wake_latecomers(const pthread_once_t *once) {
  // Each latecomer parks with the control as its wait object.
  g_latecomers.for_each([once](GreenThread *thread) {
    if (thread->wait_object == once) {
      g_latecomers.wake(thread, 0);
    }
  });
}

} // namespace

int pthread_once(pthread_once_t *once, void (*init)(void)) {
  DoublingNap nap(kUnseenWakeFirstNapNs, kUnseenWakeLongestNapNs);
  bool claimed_at_zero = false;
  for (;;) {
    int state = __atomic_load_n(once, __ATOMIC_ACQUIRE);
    if ((state & kDone) != 0) {
      return 0;
    }
    ObjectGuard guard(&g_latecomers);
    state = __atomic_load_n(once, __ATOMIC_ACQUIRE);
    if ((state & kDone) != 0) {
      return 0;
    }
    if ((state & kInProgress) == 0 && claimed_at_zero) {
      // 0 and claimed on two looks a nap apart: the claimer left its
      // initializer by an exception or a cancel (glibc reset the control),
      // past the code that would have given the claim back.
      unclaim(once);
    }
    if ((state & kInProgress) == 0 && claim(once)) {
      guard.release();
      t_init = init;
      int rc = real::pthread_once(once, run_off_cleanup_list);
      guard.relock();
      unclaim(once);
      wake_latecomers(once);
      return rc;
    }
    claimed_at_zero = (state & kInProgress) == 0;
    g_latecomers.park(WaitReason::kOnce, once, monotonic_now_ns() + nap.take(), guard);
  }
}

} // namespace sprig::shim
