// threads.cpp - pthread_create, join, detach, self, yield and names on green threads (exit:
// thread_exit.cpp).
#include "call_counts.hpp"
#include "cancel.hpp"
#include "identity.hpp"
#include "program_memory.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "signals.hpp"
#include "stack_pool.hpp"
#include "sys.hpp"
#include "worker.hpp"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>

namespace sprig::shim {

namespace {

// glibc writes the new thread's descriptor at the top of a stack the caller
// gave (pthread_attr_setstack) before the thread exists, so a stack that is
// not mapped or not writable faults inside pthread_create. sprig keeps the
// thread's descriptor elsewhere (and runs the thread on the given stack), so
// it makes that access itself, keeping the byte as it was. True when the
// attribute gives a stack.
bool touch_given_stack(const pthread_attr_t *attr) {
  void *low = nullptr;
  size_t size = 0;
  if (pthread_attr_getstack(attr, &low, &size) != 0) {
    return false;
  }
  // Without a given stack glibc reports its address as 0 - size: no top.
  uintptr_t top = reinterpret_cast<uintptr_t>(low) + size;
  if (top == 0) {
    return false;
  }
  auto *last = reinterpret_cast<volatile unsigned char *>(top - 1);
  *last = *last;
  return true;
}

// glibc maps a new thread's stack and guard as one PROT_NONE span; sprig
// maps the stack with one guard page whatever the attribute asks, but
// refuses what glibc refuses: a guard size that overflows once rounded up to
// pages or added to the stack size (-EINVAL), and a span mmap cannot reserve
// (-EAGAIN, pthread_create's word for its ENOMEM). The probe costs two
// system calls, made only for a guard larger than sprig's own page.
int check_guard_size(const pthread_attr_t *attr) {
  size_t guard = 0;
  size_t stack = 0; // glibc's default when the attribute sets none: what glibc maps
  if (pthread_attr_getguardsize(attr, &guard) != 0 ||
      pthread_attr_getstacksize(attr, &stack) != 0) {
    return 0;
  }
  size_t page = StackPool::page_size();
  size_t rounded = (guard + page - 1) & ~(page - 1);
  if (rounded < guard || stack + rounded < rounded) {
    return -EINVAL;
  }
  if (rounded <= page) {
    return 0;
  }
  void *span =
      mmap(nullptr, stack + rounded, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (span == MAP_FAILED) {
    return -EAGAIN;
  }
  munmap(span, stack + rounded);
  return 0;
}

// glibc reads a join's abstime only once it knows it must wait: a join it
// refuses (the caller itself, a detached thread, one with another joiner) or
// a thread that has ended returns without looking at the time.
bool join_must_wait(const GreenThread *target) {
  return target != Worker::current_thread() && !target->detached && target->joiner == nullptr &&
         !target->finished;
}

// pthread_timedjoin_np's time as glibc takes it: a negative tv_sec times out
// at once; an invalid tv_nsec makes its futex wait fail with EINVAL, which
// its loop retries until the thread ends, so it is a wait without deadline.
int join_deadline(const timespec &abstime, Deadline *deadline) {
  if (abstime.tv_sec < 0) {
    return -ETIMEDOUT;
  }
  if (absolute_to_deadline(CLOCK_REALTIME, abstime, deadline) != 0) {
    *deadline = kNoDeadline;
  }
  return 0;
}

} // namespace

pthread_t pthread_of(const GreenThread *thread) {
  if (identity::g_per_thread) {
    return reinterpret_cast<pthread_t>(thread->thread_pointer);
  }
  return static_cast<pthread_t>(Worker::handle_of(thread));
}

GreenThread *green_thread_of(pthread_t thread) {
  if (!identity::g_per_thread) {
    return Worker::find(static_cast<uint64_t>(thread));
  }
  // A pthread_t of an OS thread (or a stale one, whose identity is gone)
  // names no green thread: identity::thread_of checks the marker.
  GreenThread *green = identity::thread_of(reinterpret_cast<void *>(thread));
  if (green == nullptr || green->state == ThreadState::kFree ||
      green->thread_pointer != reinterpret_cast<void *>(thread) ||
      Worker::find(Worker::handle_of(green)) != green) {
    return nullptr;
  }
  return green;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                   void *arg) {
  SpawnOptions options;
  if (attr != nullptr) {
    if (touch_given_stack(attr)) { // glibc has no guard on a given stack
      pthread_attr_getstack(attr, &options.given_stack, &options.given_stack_size);
    } else if (int rc = check_guard_size(attr); rc != 0) {
      return -rc;
    }
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
  static_assert(sizeof(pthread_t) == sizeof(uint64_t));
  // glibc writes *thread (a null one faults, as here) before the thread runs.
  *static_cast<volatile pthread_t *>(thread) = 0;
  options.publish = reinterpret_cast<uint64_t *>(thread);
  options.publish_thread_pointer = identity::g_per_thread;
  GreenThread *spawned = nullptr;
  int rc = Worker::current()->spawn(options, start, arg, &spawned);
  if (rc == -EINVAL && options.stack_size != 0) {
    return EINVAL;
  }
  if (rc != 0) {
    return EAGAIN; // as pthread_create: out of memory for a stack
  }
  return 0; // *thread was written as the thread was made
}

int pthread_join(pthread_t thread, void **retval) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  return -Worker::current()->join(target, retval, kNoDeadline);
}

int pthread_tryjoin_np(pthread_t thread, void **retval) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  if (!target->finished) {
    return EBUSY; // glibc says EBUSY for the caller itself too
  }
  return -Worker::current()->join(target, retval, kNoDeadline);
}

int pthread_timedjoin_np(pthread_t thread, void **retval, const struct timespec *abstime) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  Deadline deadline = kNoDeadline;
  if (abstime != nullptr && join_must_wait(target)) {
    if (int rc = join_deadline(*abstime, &deadline); rc != 0) {
      return -rc;
    }
  }
  return -Worker::current()->join(target, retval, deadline);
}

int pthread_detach(pthread_t thread) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  return -Worker::current()->detach(target);
}

pthread_t pthread_self() { return pthread_of(Worker::current_thread()); }

int sched_yield() {
  Worker *worker = Worker::current();
  if (!worker->others_runnable()) {
    // Alone on the worker: the OS thread gives up the CPU, as a lone thread
    // does natively (under SCHED_FIFO, to another process of its priority).
    sys::call(SYS_sched_yield);
  }
  worker->yield();
  // A lone yield never reaches the scheduler, which routes signals: what came
  // meanwhile is taken here, as natively on the way back from the kernel.
  GreenThread *self = worker->running();
  if (worker->signals().inbox.load(std::memory_order_relaxed) != 0 ||
      (self->signals_queued & ~self->signal_mask) != 0) [[unlikely]] {
    signals::deliver(*worker, self);
  }
  return 0;
}

int pthread_setname_np(pthread_t thread, const char *name) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  size_t length = strlen(name);
  if (length >= sizeof target->name) {
    return ERANGE;
  }
  if (target->state == ThreadState::kExited) {
    return ENOENT; // glibc opens /proc/self/task/<tid>/comm, and an ended thread's tid is 0
  }
  memcpy(target->name, name, length + 1);
  return 0;
}

int pthread_getname_np(pthread_t thread, char *name, size_t len) {
  GreenThread *target = green_thread_of(thread);
  if (target == nullptr) {
    return ESRCH;
  }
  size_t length = strlen(target->name);
  if (len < sizeof target->name) {
    return ERANGE; // glibc: whenever the buffer is shorter than 16 bytes
  }
  if (target->state == ThreadState::kExited) {
    return ENOENT; // as pthread_setname_np
  }
  // glibc has the kernel write the name (prctl, or a read of comm).
  return copy_to_program(name, target->name, length + 1) == 0 ? 0 : EFAULT;
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
      worker != nullptr && sprig::shim::green_thread_of(__th) != nullptr) {
    if (__thread_return != nullptr) {
      *__thread_return = nullptr;
    }
    return 0;
  }
  return sprig::real::resolved(sprig::real::pthread_join)(__th, __thread_return);
}
