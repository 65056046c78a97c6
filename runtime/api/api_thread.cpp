// api_thread.cpp - sprig_run, spawn, join, detach, exit, yield, sleep and names.
#include "api_common.hpp"
#include "sprig.h"

#include <cstring>

using sprig::GreenThread;
using sprig::Worker;

namespace {

// The green thread behind a handle on the caller's worker.
GreenThread *thread_of(sprig_thread_t handle) {
  Worker *worker = Worker::current();
  return worker == nullptr ? nullptr : Worker::find(handle);
}

} // namespace

int sprig_run(sprig_thread_fn main_fn, void *arg, void **result) {
  return Worker::run(main_fn, arg, result);
}

int sprig_spawn(sprig_thread_t *thread, const struct sprig_spawn_options *opts, sprig_thread_fn fn,
                void *arg) {
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  if (thread == nullptr || fn == nullptr) {
    return -EINVAL;
  }
  sprig::SpawnOptions options;
  if (opts != nullptr) {
    options.stack_size = opts->stack_size;
    options.detached = opts->detached != 0;
    options.name = opts->name;
  }
  uint64_t handle = 0;
  options.publish = &handle; // written before the thread can run, and end
  GreenThread *spawned = nullptr;
  int rc = Worker::current()->spawn(options, fn, arg, &spawned);
  if (rc == 0) {
    *thread = handle;
  }
  return rc;
}

int sprig_join(sprig_thread_t thread, void **result, int64_t timeout_ns) {
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  sprig::Timeout timeout;
  if (int rc = decode_timeout(timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return -ESRCH;
  }
  return Worker::current()->join(target, result, timeout.deadline);
}

int sprig_detach(sprig_thread_t thread) {
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return -ESRCH;
  }
  return Worker::current()->detach(target);
}

void sprig_exit(void *result) {
  if (Worker::current_thread() == nullptr) {
    sprig::fatal("sprig_exit called outside a green thread");
  }
  Worker::current()->exit_running(result);
}

sprig_thread_t sprig_self(void) {
  GreenThread *self = Worker::current_thread();
  return self == nullptr ? 0 : Worker::handle_of(self);
}

int sprig_yield(void) {
  // One lookup of the worker: in the identity mode it is a register read and
  // a search, not a thread-local load (worker.hpp, WorkerIdentities).
  Worker *worker = Worker::current();
  if (worker == nullptr || worker->running() == nullptr) {
    return -EPERM;
  }
  worker->yield();
  return 0;
}

int sprig_sleep(int64_t ns) {
  if (ns < 0) {
    return -EINVAL;
  }
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  if (ns == 0) {
    Worker::current()->yield();
    return 0;
  }
  sprig::Deadline deadline = 0;
  sprig::timeout_to_deadline(ns, &deadline);
  int rc = Worker::current()->park(sprig::WaitReason::kSleep, nullptr, deadline);
  return rc == -ETIMEDOUT ? 0 : rc;
}

int sprig_set_name(sprig_thread_t thread, const char *name) {
  if (name == nullptr) {
    return -EINVAL;
  }
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return -ESRCH;
  }
  strncpy(target->name, name, sizeof target->name - 1);
  target->name[sizeof target->name - 1] = '\0';
  return 0;
}

int sprig_get_name(sprig_thread_t thread, char *buf, size_t len) {
  if (buf == nullptr) {
    return -EINVAL;
  }
  GreenThread *target = thread_of(thread);
  if (target == nullptr) {
    return -ESRCH;
  }
  if (len < sizeof target->name) {
    return -ERANGE;
  }
  memcpy(buf, target->name, sizeof target->name);
  return 0;
}
