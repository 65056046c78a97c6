// keys.cpp - pthread keys: every key is sprig's; values per green thread, or per OS thread.
//
// The four exports are written out (SPRIG_HOOK_CUSTOM), not generated,
// because the generated dispatch would send callers that are not green
// threads to glibc, whose keys are another namespace: a key created before
// main (a library constructor) would be glibc's key N, and the same number
// used from a green thread would name sprig's key N, another key or none.
// So whoever calls:
//   - pthread_key_create and pthread_key_delete always use sprig's registry
//     (runtime/core/keys.cpp: a spinlocked table, safe from any OS thread and
//     before main). glibc's own keys are created and read by glibc
//     internally, never through these exports, so they do not mix.
//   - pthread_getspecific and pthread_setspecific from a green thread use the
//     values of that green thread; its destructors run when it exits.
//   - From any other caller (code before main, libuv's pool, OS threads sprig
//     does not run, exit handlers after a pthread_exit from main) they use
//     the values of the calling OS thread, a table made on its first
//     pthread_setspecific. One glibc key, created on that first use, has the
//     table as its value, so glibc runs the table's destructors when the OS
//     thread exits, as it would have run the program's.
//   - The main green thread continues the process's main thread: on its
//     first pthread_getspecific or pthread_setspecific it takes over the
//     values that code before main set on that OS thread, so a library that
//     set a value in its constructor finds it in main, as natively. From
//     then on, callers on that OS thread outside any green thread (the exit
//     handlers, which sprig runs on the worker's own stack) use main's
//     values too, as long as main's thread record exists.
// Limit: values set before main by a program whose main never reads or sets
// a key are not taken over, so a pthread_exit from main does not run their
// destructors (natively it would).
#include "keys.hpp"
#include "call_counts.hpp"
#include "real.hpp"
#include "worker.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#define SPRIG_EXPORT __attribute__((visibility("default")))

namespace sprig::shim {

namespace {

// The values of the calling OS thread, for callers that are not green
// threads. The runtime keeps key values in a GreenThread record; this one is
// only that table's holder, never scheduled.
thread_local GreenThread *t_os_thread_values = nullptr;

// The glibc key whose destructor releases an OS thread's table; kNoKey
// until the first table is made.
constexpr unsigned kNoKey = UINT_MAX;
std::atomic<unsigned> g_release_key{kNoKey};

// Once the main green thread has taken over the main OS thread's values:
// its worker and handle (written and read on that worker's OS thread only).
Worker *g_main_worker = nullptr;
uint64_t g_main_handle = 0;

void release_os_thread_values(void *holder) {
  auto *values = static_cast<GreenThread *>(holder);
  keys_run_destructors(values); // they may still read and set values of this OS thread
  t_os_thread_values = nullptr;
  keys_release(values);
  values->~GreenThread();
  free(values);
}

bool register_release(GreenThread *values) {
  real::resolved(real::pthread_key_create); // before libsprig.so's constructor: resolve now
  unsigned key = g_release_key.load(std::memory_order_acquire);
  if (key == kNoKey) {
    pthread_key_t made = 0;
    if (real::pthread_key_create(&made, release_os_thread_values) != 0) {
      return false;
    }
    key = made;
    unsigned expected = kNoKey;
    if (!g_release_key.compare_exchange_strong(expected, key, std::memory_order_acq_rel)) {
      real::pthread_key_delete(made); // another OS thread made it first
      key = expected;
    }
  }
  return real::pthread_setspecific(key, values) == 0;
}

// The calling OS thread's table, made if `make` (nullptr if it cannot be).
GreenThread *os_thread_values(bool make) {
  if (t_os_thread_values != nullptr || !make) {
    return t_os_thread_values;
  }
  static_assert(alignof(GreenThread) <= alignof(max_align_t)); // malloc's alignment is enough
  void *memory = malloc(sizeof(GreenThread));
  if (memory == nullptr) {
    return nullptr;
  }
  auto *values = new (memory) GreenThread();
  if (!register_release(values)) {
    values->~GreenThread();
    free(memory);
    return nullptr;
  }
  t_os_thread_values = values;
  return values;
}

// Moves what code before main set on this OS thread to the main green thread.
void take_over_main_values(GreenThread *main_thread) {
  g_main_worker = Worker::current();
  g_main_handle = Worker::handle_of(main_thread);
  GreenThread *before_main = os_thread_values(false);
  if (before_main == nullptr) {
    return;
  }
  for (unsigned key = 0; key < kMaxKeys; ++key) {
    void *value = key_get(before_main, key);
    if (value != nullptr && key_get(main_thread, key) == nullptr) {
      key_set(main_thread, key, value);
    }
  }
  keys_release(before_main); // its values now live in main (no destructor runs here)
}

// The table the caller's values live in; nullptr if it has none and `make`
// is false or it cannot be made.
GreenThread *values_of_caller(bool make) {
  Worker *worker = Worker::current();
  GreenThread *self = Worker::current_thread();
  if (self == nullptr) {
    GreenThread *main_thread = nullptr;
    if (worker != nullptr && worker == g_main_worker) {
      main_thread = Worker::find(g_main_handle); // nullptr once main's record is reused
    }
    return main_thread != nullptr ? main_thread : os_thread_values(make);
  }
  if (self->is_main && g_main_worker == nullptr) {
    take_over_main_values(self);
  }
  return self;
}

} // namespace

} // namespace sprig::shim

using sprig::shim::values_of_caller;

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's __destr_function
extern "C" SPRIG_EXPORT int pthread_key_create(pthread_key_t *key, void (*destructor)(void *)) {
  sprig::shim::count_green_call(sprig::shim::kCall_pthread_key_create);
  unsigned made = 0;
  int rc = sprig::key_create(&made, destructor);
  if (rc != 0) {
    return -rc; // EAGAIN: all kMaxKeys (PTHREAD_KEYS_MAX) keys are in use
  }
  *key = made;
  return 0;
}

extern "C" SPRIG_EXPORT int pthread_key_delete(pthread_key_t key) {
  sprig::shim::count_green_call(sprig::shim::kCall_pthread_key_delete);
  return -sprig::key_delete(key);
}

extern "C" SPRIG_EXPORT void *pthread_getspecific(pthread_key_t key) {
  sprig::shim::count_green_call(sprig::shim::kCall_pthread_getspecific);
  sprig::GreenThread *values = values_of_caller(false);
  return values == nullptr ? nullptr : sprig::key_get(values, key);
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's __pointer
extern "C" SPRIG_EXPORT int pthread_setspecific(pthread_key_t key, const void *value) {
  sprig::shim::count_green_call(sprig::shim::kCall_pthread_setspecific);
  sprig::GreenThread *values = values_of_caller(true);
  if (values == nullptr) {
    return ENOMEM;
  }
  return -sprig::key_set(values, key, value);
}
