// blocking.hpp - the one loop behind every blocking fd call: try without blocking, park on
// readiness, try again.
#pragma once

#include "fd_table.hpp"
#include "signals.hpp"
#include "sys.hpp"
#include "worker.hpp"

#include <cerrno>
#include <sys/uio.h>

namespace sprig::shim {

// The result of a real libc call as the runtime speaks: the value, or -errno.
template <typename Result> long result_of(Result rc) {
  return rc < 0 ? -static_cast<long>(errno) : static_cast<long>(rc);
}

// The deadline of a socket timeout (0 = none).
inline Deadline deadline_after(int64_t timeout_ns) {
  Deadline deadline = kNoDeadline;
  if (timeout_ns > 0) {
    timeout_to_deadline(timeout_ns, &deadline);
  }
  return deadline;
}

// After a wait ended with -EINTR (its handlers have run): true when the
// call waits again, as the kernel restarts a system call: no handler ran
// (the signal was ignored meanwhile), or every one had SA_RESTART and the
// call is `restartable` (signal(7): not with a socket timeout, never for
// poll, select, epoll_wait or the sleeps).
inline bool waits_again(bool restartable) {
  GreenThread *self = Worker::current_thread();
  return !signals::handler_ran(self) || (restartable && signals::call_restarts(self));
}

// The deadline-less waits restart; a socket timeout's never do.
inline bool restartable(Deadline deadline) { return deadline == kNoDeadline; }

// Runs `attempt` (one non-blocking try: the result or -errno) until it stops
// saying EAGAIN, parking on `events` of fd in between. With `nonblocking`
// (the program's own view) the first answer is final. A passed deadline
// gives -EAGAIN, as SO_RCVTIMEO / SO_SNDTIMEO do natively.
template <typename Attempt>
long retry_when_ready(int fd, bool nonblocking, int events, Deadline deadline, Attempt attempt) {
  for (;;) {
    long rc = attempt();
    if (rc != -EAGAIN || nonblocking) {
      return rc;
    }
    int ready = Worker::current()->reactor().wait_fd(fd, events, deadline, Readiness::kNotReady);
    if (ready == -ETIMEDOUT) {
      return -EAGAIN;
    }
    if (ready == -EINTR && waits_again(restartable(deadline))) {
      continue;
    }
    if (ready < 0) {
      return ready;
    }
  }
}

// True when fd is ready for `events` (POLLIN or POLLOUT) right now, or in
// an error state the call itself should report: a zero-timeout poll(2),
// which spares the park and reactor round trip in the common case.
inline bool ready_now(int fd, short events) {
  pollfd probe{fd, events, 0};
  return sys::poll(&probe, 1, 0) > 0 && probe.revents != 0;
}

// Reads: `call(dontwait)` makes the real call once; with dontwait it must add
// MSG_DONTWAIT (a socket sprig did not create keeps its own flags).
// `call_nonblocking`: the call itself never waits (MSG_DONTWAIT, and
// MSG_ERRQUEUE, which the kernel answers at once, EAGAIN when the queue is
// empty).
//
// `requested` (0: unknown) is how many bytes the call asks for. A read of a
// stream that returns fewer leaves the stream empty, so the next blocking
// read of it waits for readiness before it tries: a thread-per-connection
// server reads again right after answering, before the peer can have sent
// more, and trying first would cost a read that fails with EAGAIN on every
// request (measured: 2.1 reads per echoed message instead of 1.1 at 10,000
// connections). The wait is skipped when an edge of the fd has been harvested
// since the short read (another thread's poll may have taken it): see
// Reactor::wait_readable_since.
template <typename Call>
long blocking_input(int fd, bool call_nonblocking, Call call, size_t requested = 0) {
  if (fd < 0) {
    return result_of(call(false));
  }
  FdInfo info = fd_info(fd); // a copy: the table may grow while this thread parks
  bool nonblocking = info.receive_never_waits() || call_nonblocking;
  switch (info.readable ? info.mode : FdMode::kPassThrough) { // write-only: EBADF at once
  case FdMode::kOwned:
  case FdMode::kForeignSocket: {
    bool dontwait = info.mode == FdMode::kForeignSocket;
    Deadline deadline = deadline_after(info.receive_timeout_ns);
    if (info.drained && !nonblocking) {
      int ready = Worker::current()->reactor().wait_readable_since(fd, info.drained_mark, deadline);
      if (ready == -EINTR && waits_again(restartable(deadline))) {
        ready = 0; // the retry below waits again if there is still nothing
      }
      if (ready == -ETIMEDOUT) {
        return -EAGAIN; // SO_RCVTIMEO passed, as natively
      }
      if (ready < 0) {
        return ready;
      }
    }
    long rc = retry_when_ready(fd, nonblocking, kFdReadable, deadline,
                               [&] { return result_of(call(dontwait)); });
    if (info.stream && requested > 0) {
      FdInfo &now = fd_info(fd);
      now.drained = rc > 0 && static_cast<size_t>(rc) < requested;
      now.drained_mark = Worker::current()->reactor().edge_mark(fd);
    }
    return rc;
  }
  case FdMode::kForeignStream:
    while (!nonblocking && !ready_now(fd, POLLIN)) {
      int ready =
          Worker::current()->reactor().wait_fd(fd, kFdReadable, kNoDeadline, Readiness::kNotReady);
      if (ready == -EINTR && waits_again(true)) {
        continue;
      }
      if (ready < 0) {
        return ready;
      }
    }
    return result_of(call(false));
  default:
    return result_of(call(false));
  }
}

// Writes of `total` bytes from `iov`: `call(iov, count, dontwait)` makes the
// real call once. A blocking write to a stream returns only when all is
// written, an error comes, or the send timeout passes (then the bytes
// written so far, if any).
using OutputCall = long (*)(int fd, const iovec *iov, int count, bool dontwait, void *context);
long blocking_output(int fd, bool call_nonblocking, const iovec *iov, int count, OutputCall call,
                     void *context);

} // namespace sprig::shim
