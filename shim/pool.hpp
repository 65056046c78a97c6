// pool.hpp - runs a blocking libc call on libuv's thread pool while the calling green thread parks.
#pragma once

#include "sprig.h"

#include <cerrno>
#include <netdb.h>

namespace sprig::shim {

// Runs `call()` on a pool thread and returns its result. errno and h_errno
// belong to the OS thread that makes the call, so the caller's values go to
// the pool thread first and the call's values come back, as if the green
// thread had made the call itself.
template <typename Call> auto run_on_pool(Call call) -> decltype(call()) {
  using Result = decltype(call());
  struct Job {
    Call *call;
    Result result;
    int error;
    int host_error;
  } job{&call, Result{}, errno, h_errno};
  sprig_offload(
      [](void *pointer) {
        auto *running = static_cast<Job *>(pointer);
        errno = running->error;
        h_errno = running->host_error;
        running->result = (*running->call)();
        running->error = errno;
        running->host_error = h_errno;
      },
      &job, SPRIG_FOREVER);
  errno = job.error;
  h_errno = job.host_error;
  return job.result;
}

} // namespace sprig::shim
