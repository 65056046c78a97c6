// keys.hpp - thread-specific values: process-wide keys, per-green-thread values, destructors at
// exit.
#pragma once

#include "green_thread.hpp"

namespace sprig {

inline constexpr unsigned kMaxKeys = 1024;      // PTHREAD_KEYS_MAX
inline constexpr int kDestructorIterations = 4; // PTHREAD_DESTRUCTOR_ITERATIONS

int key_create(unsigned *key, void (*destructor)(void *));
int key_delete(unsigned key);
void *key_get(GreenThread *thread, unsigned key);
int key_set(GreenThread *thread, unsigned key, const void *value);

// Runs the destructors of the thread's non-null values, in rounds, as
// pthreads does at thread exit.
void keys_run_destructors(GreenThread *thread);
// Frees the thread's value table.
void keys_release(GreenThread *thread);

} // namespace sprig
