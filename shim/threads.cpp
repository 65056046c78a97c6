// threads.cpp - pthread_create, join, detach, self, yield and names on green threads (exit:
// thread_exit.cpp).
#include "call_counts.hpp"
#include "cancel.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstring>

namespace sprig::shim {

namespace {

GreenThread *thread_of(pthread_t thread) { return Worker::current()->find(to_handle(thread)); }

} // namespace

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                   void *arg) {
  SpawnOptions options;
  if (attr != nullptr) {
    size_t stack_size = 0;
    int detach_state = PTHREAD_CREATE_JOINABLE;
    // The attribute readers are not interposed: glibc reads its own struct.
    if (pthread_attr_getstacksize(attr, &stack_size) == 0) {
      options.stack_size = stack_size;
    }
    if (pthread_attr_getdetachstate(attr, &detach_state) == 0) {
      options.detached = detach_state == PTHREAD_CREATE_DETACHED;
    }
  }
  // A new thread starts with its creator's name, as a native thread inherits
  // its creator's comm.
  options.name = Worker::current_thread()->name;
  GreenThread *spawned = nullptr;
  int rc = Worker::current()->spawn(options, start, arg, &spawned);
  if (rc == -EINVAL && options.stack_size != 0) {
    return EINVAL;
  }
  if (rc != 0) {
    return EAGAIN; // as pthread_create: out of memory for a stack
  }
  *thread = to_pthread(Worker::handle_of(spawned));
  return 0;
}

int pthread_join(pthread_t thread, void **retval) {
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  return -Worker::current()->join(target, retval, kNoDeadline);
}

int pthread_tryjoin_np(pthread_t thread, void **retval) {
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  if (target->state != ThreadState::kExited) {
    return EBUSY; // glibc says EBUSY for the caller itself too
  }
  return -Worker::current()->join(target, retval, kNoDeadline);
}

int pthread_timedjoin_np(pthread_t thread, void **retval, const struct timespec *abstime) {
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  Deadline deadline = kNoDeadline;
  if (abstime != nullptr) {
    int rc = absolute_to_deadline(CLOCK_REALTIME, *abstime, &deadline);
    if (rc != 0) {
      return EINVAL;
    }
  }
  return -Worker::current()->join(target, retval, deadline);
}

int pthread_detach(pthread_t thread) {
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  return -Worker::current()->detach(target);
}

pthread_t pthread_self() { return to_pthread(Worker::handle_of(Worker::current_thread())); }

int sched_yield() {
  Worker::current()->yield();
  return 0;
}

int pthread_setname_np(pthread_t thread, const char *name) {
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  size_t length = strlen(name);
  if (length >= sizeof target->name) {
    return ERANGE;
  }
  memcpy(target->name, name, length + 1);
  return 0;
}

int pthread_getname_np(pthread_t thread, char *name, size_t len) {
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  size_t length = strlen(target->name);
  if (len < sizeof target->name) {
    return ERANGE; // glibc: whenever the buffer is shorter than 16 bytes
  }
  memcpy(name, target->name, length + 1);
  return 0;
}

} // namespace sprig::shim

// Written out, for callers outside green threads that hold a green handle:
// exit handlers and library destructors run on the worker's own stack once
// exit() has begun (a program's own libuv joins its pool threads there, and
// under sprig those are green). No green thread runs again then, so the
// thread counts as joined; libc's join would read the handle as a pointer.
// The parameters keep glibc's names, as its declaration in pthread.h.
extern "C" __attribute__((visibility("default"))) int pthread_join(pthread_t __th,
                                                                   void **__thread_return) {
  if (sprig::GreenThread *self = sprig::Worker::current_thread(); self != nullptr) {
    sprig::shim::CancellationPoint point(self);
    return sprig::shim::counted_call(self, sprig::shim::kCall_pthread_join, [=] {
      return sprig::shim::pthread_join(__th, __thread_return);
    });
  }
  if (sprig::Worker *worker = sprig::Worker::current();
      worker != nullptr && worker->find(sprig::shim::to_handle(__th)) != nullptr) {
    if (__thread_return != nullptr) {
      *__thread_return = nullptr;
    }
    return 0;
  }
  return sprig::real::resolved(sprig::real::pthread_join)(__th, __thread_return);
}
