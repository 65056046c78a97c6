// api_common.hpp - what every sprig_ entry point shares: the green-caller check and timeout
// decoding.
#pragma once

#include "clock.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace sprig {

// A decoded API timeout: try once without parking, or park until `deadline`.
struct Timeout {
  Deadline deadline = kNoDeadline;
  bool try_only = false;
};

inline int decode_timeout(int64_t timeout_ns, Timeout *timeout) {
  timeout->try_only = timeout_ns == 0;
  return timeout_to_deadline(timeout_ns, &timeout->deadline);
}

// The checks every blocking call starts with: a green caller, an object, a
// valid timeout.
inline int begin_wait(const void *object, int64_t timeout_ns, Timeout *timeout) {
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  if (object == nullptr) {
    return -EINVAL;
  }
  return decode_timeout(timeout_ns, timeout);
}

// Allocates a C API object (a struct deriving from the runtime class) with
// malloc, so the runtime needs no libstdc++ operator new.
template <typename Object, typename... Arguments>
int create_object(Object **out, Arguments... arguments) {
  if (out == nullptr) {
    return -EINVAL;
  }
  void *memory = malloc(sizeof(Object));
  if (memory == nullptr) {
    return -ENOMEM;
  }
  *out = new (memory) Object(arguments...);
  return 0;
}

// Frees an object made by create_object, unless threads hold or wait on it.
template <typename Object> int destroy_object(Object *object) {
  if (object == nullptr) {
    return -EINVAL;
  }
  if (object->busy()) {
    return -EBUSY;
  }
  object->~Object();
  free(object);
  return 0;
}

} // namespace sprig
