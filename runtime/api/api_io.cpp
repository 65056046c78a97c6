// api_io.cpp - waiting on fds and the socket helpers: accept, connect, read, write, close.
#include "api_common.hpp"
#include "sprig.h"
#include "sys.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using sprig::Timeout;
using sprig::Worker;

namespace {

int make_nonblocking(int fd) {
  long flags = sprig::sys::fcntl(fd, F_GETFL);
  if (flags < 0) {
    return static_cast<int>(flags);
  }
  if ((flags & O_NONBLOCK) != 0) {
    return 0;
  }
  return static_cast<int>(sprig::sys::fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

// The common start of the socket helpers: green caller, timeout, O_NONBLOCK.
int begin_io(int fd, int64_t timeout_ns, Timeout *timeout) {
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  if (int rc = decode_timeout(timeout_ns, timeout); rc != 0) {
    return rc;
  }
  return make_nonblocking(fd);
}

// Parks until fd is ready for `events` or the deadline; 0 when ready. The
// caller has just been told EAGAIN or EINPROGRESS.
int await(int fd, int events, const Timeout &timeout) {
  if (timeout.try_only) {
    return -ETIMEDOUT;
  }
  int rc = Worker::current()->reactor().wait_fd(fd, events, timeout.deadline,
                                                sprig::Readiness::kNotReady);
  return rc > 0 ? 0 : rc;
}

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

} // namespace

int sprig_wait_fd(int fd, int events, int64_t timeout_ns) {
  if (Worker::current_thread() == nullptr) {
    return -EPERM;
  }
  Timeout timeout;
  if (int rc = decode_timeout(timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  if (events == 0 || (events & ~(SPRIG_READABLE | SPRIG_WRITABLE)) != 0) {
    return -EINVAL;
  }
  if (fd < 0) {
    return -EBADF;
  }
  if (timeout.try_only) { // a readiness check, without parking
    pollfd probe{fd, 0, 0};
    probe.events = static_cast<short>(((events & SPRIG_READABLE) != 0 ? POLLIN : 0) |
                                      ((events & SPRIG_WRITABLE) != 0 ? POLLOUT : 0));
    long ready = sprig::sys::poll(&probe, 1, 0);
    if (ready < 0) {
      return static_cast<int>(ready);
    }
    if ((probe.revents & POLLNVAL) != 0) {
      return -EBADF;
    }
    if (ready == 0) {
      return -ETIMEDOUT;
    }
    if ((probe.revents & (POLLERR | POLLHUP)) != 0) {
      return events;
    }
    return ((probe.revents & POLLIN) != 0 ? SPRIG_READABLE : 0) |
           ((probe.revents & POLLOUT) != 0 ? SPRIG_WRITABLE : 0);
  }
  return Worker::current()->reactor().wait_fd(fd, events, timeout.deadline,
                                              sprig::Readiness::kUnknown);
}

int sprig_accept(int fd, struct sockaddr *addr, socklen_t *addrlen, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_io(fd, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  for (;;) {
    long client = sprig::sys::accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client >= 0) {
      return static_cast<int>(client);
    }
    if (client == -EINTR) {
      continue;
    }
    if (!would_block(static_cast<int>(-client))) {
      return static_cast<int>(client);
    }
    if (int rc = await(fd, SPRIG_READABLE, timeout); rc != 0) {
      return rc;
    }
  }
}

int sprig_connect(int fd, const struct sockaddr *addr, socklen_t addrlen, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_io(fd, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  long rc = sprig::sys::connect(fd, addr, addrlen);
  if (rc != -EINPROGRESS) {
    return static_cast<int>(rc);
  }
  if (int rc = await(fd, SPRIG_WRITABLE, timeout); rc != 0) {
    return rc;
  }
  int error = 0;
  socklen_t length = sizeof error;
  if (long failed = sprig::sys::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      failed != 0) {
    return static_cast<int>(failed);
  }
  return -error;
}

ssize_t sprig_read(int fd, void *buf, size_t len, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_io(fd, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  for (;;) {
    long got = sprig::sys::read(fd, buf, len);
    if (got >= 0) {
      return got;
    }
    if (got == -EINTR) {
      continue;
    }
    if (!would_block(static_cast<int>(-got))) {
      return got;
    }
    if (int rc = await(fd, SPRIG_READABLE, timeout); rc != 0) {
      return rc;
    }
  }
}

ssize_t sprig_write(int fd, const void *buf, size_t len, int64_t timeout_ns) {
  Timeout timeout;
  if (int rc = begin_io(fd, timeout_ns, &timeout); rc != 0) {
    return rc;
  }
  const char *cursor = static_cast<const char *>(buf);
  size_t written = 0;
  while (written < len) {
    long put = sprig::sys::write(fd, cursor + written, len - written);
    if (put >= 0) {
      written += static_cast<size_t>(put);
      continue;
    }
    int error = static_cast<int>(-put);
    if (!would_block(error) && error != EINTR) {
      return written > 0 ? static_cast<ssize_t>(written) : -error;
    }
    if (would_block(error)) {
      if (int rc = await(fd, SPRIG_WRITABLE, timeout); rc != 0) {
        return written > 0 ? static_cast<ssize_t>(written) : rc;
      }
    }
  }
  return static_cast<ssize_t>(written);
}

int sprig_close(int fd) {
  if (Worker::current_thread() == nullptr) {
    return static_cast<int>(sprig::sys::close(fd));
  }
  return Worker::current()->reactor().close_fd(fd);
}
