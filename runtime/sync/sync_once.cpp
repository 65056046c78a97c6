// sync_once.cpp - run-once controls whose latecomers park until the initializer returns.
#include "sync.hpp"

#include "worker.hpp"

#include <cerrno>
#include <cstdlib>
#include <new>

namespace sprig {

namespace {

enum OnceState : int { kNotRun = 0, kRunning = 1, kDone = 2 };

struct OnceRecord {
  GreenThread *runner;
  WaitQueue latecomers;
};

} // namespace

int once_run(int *state, void **waiters, void (*init)(void)) {
  if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == kDone) {
    return 0;
  }
  GreenThread *self = Worker::current_thread();
  ObjectGuard guard(state);
  if (*state == kDone) {
    return 0;
  }
  if (*state == kRunning) {
    auto *record = static_cast<OnceRecord *>(*waiters);
    if (record->runner == self) {
      return -EDEADLK;
    }
    do { // a signal handler may wake it early: wait until the initializer ended
      record->latecomers.park(WaitReason::kOnce, state, kNoDeadline, guard);
      guard.relock();
    } while (*state == kRunning);
    return 0;
  }
  void *memory = malloc(sizeof(OnceRecord));
  if (memory == nullptr) {
    return -ENOMEM;
  }
  auto *record = new (memory) OnceRecord{self, {}};
  *state = kRunning;
  *waiters = record;
  guard.release();
  init();
  guard.relock();
  __atomic_store_n(state, kDone, __ATOMIC_RELEASE);
  *waiters = nullptr;
  record->latecomers.wake_all(0); // none is linked on it after this
  guard.release();
  record->~OnceRecord();
  free(record);
  return 0;
}

} // namespace sprig
