// io.cpp - read, write and the socket send/receive family, parking instead of blocking.
#include "blocking.hpp"
#include "real.hpp"
#include "shim.hpp"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>

namespace sprig::shim {

namespace {

constexpr int kMaxIov = 1024; // IOV_MAX

// blocking_output's loop over the program's iovecs, copied to `cursor`,
// which it advances as bytes go out.
long write_all_of(int fd, const FdInfo &info, iovec *cursor, int left, OutputCall call,
                  void *context) {
  bool foreign_stream = info.mode == FdMode::kForeignStream;
  bool dontwait = info.mode == FdMode::kForeignSocket;
  Deadline deadline = deadline_after(info.send_timeout_ns);
  long written = 0;
  for (;;) {
    long rc = 0;
    if (foreign_stream) {
      // A pipe, FIFO or terminal sprig did not create stays blocking: wait
      // until it has room, then write at most PIPE_BUF bytes, which a pipe
      // that polls writable takes without blocking.
      if (!ready_now(fd, POLLOUT)) {
        int ready = Worker::current()->reactor().wait_fd(fd, kFdWritable, kNoDeadline,
                                                         Readiness::kNotReady);
        if (ready < 0) {
          return written > 0 ? written : ready;
        }
      }
      iovec chunk{cursor->iov_base, cursor->iov_len < PIPE_BUF ? cursor->iov_len : PIPE_BUF};
      rc = left == 0 ? call(fd, cursor, 0, false, context) : call(fd, &chunk, 1, false, context);
    } else {
      rc = call(fd, cursor, left, dontwait, context);
    }
    if (rc >= 0) {
      written += rc;
      auto consumed = static_cast<size_t>(rc);
      while (left > 0 && consumed >= cursor->iov_len) {
        consumed -= cursor->iov_len;
        ++cursor;
        --left;
      }
      if (left > 0) {
        cursor->iov_base = static_cast<char *>(cursor->iov_base) + consumed;
        cursor->iov_len -= consumed;
      }
      if (left == 0 || !info.stream) {
        return written;
      }
      if (info.local && rc > 0) {
        deadline = deadline_after(info.send_timeout_ns); // AF_UNIX: per wait, as the kernel
      }
      continue;
    }
    if (rc != -EAGAIN) {
      return written > 0 ? written : rc;
    }
    int ready =
        Worker::current()->reactor().wait_fd(fd, kFdWritable, deadline, Readiness::kNotReady);
    if (ready < 0) {
      return written > 0 ? written : (ready == -ETIMEDOUT ? -EAGAIN : ready);
    }
  }
}

} // namespace

long blocking_output(int fd, bool call_nonblocking, const iovec *iov, int count, OutputCall call,
                     void *context) {
  if (fd < 0 || count < 0 || count > kMaxIov) {
    return call(fd, iov, count, false, context);
  }
  FdInfo info = fd_info(fd);
  bool nonblocking = info.nonblocking || call_nonblocking;
  if ((info.mode != FdMode::kOwned && info.mode != FdMode::kForeignSocket &&
       info.mode != FdMode::kForeignStream) ||
      nonblocking) {
    return call(fd, iov, count, false, context);
  }
  // The copy is small on the stack for the usual one or few buffers: an
  // array for IOV_MAX (16 KiB) put every write's frames 16 KiB down each
  // thread's stack, a page more of RSS per thread and a TLB miss per write.
  constexpr int kOnStack = 8;
  if (count <= kOnStack) {
    iovec copy[kOnStack];
    memcpy(copy, iov, sizeof(iovec) * static_cast<size_t>(count));
    return write_all_of(fd, info, copy, count, call, context);
  }
  auto *copy = static_cast<iovec *>(malloc(sizeof(iovec) * static_cast<size_t>(count)));
  if (copy == nullptr) {
    return -ENOMEM;
  }
  memcpy(copy, iov, sizeof(iovec) * static_cast<size_t>(count));
  long rc = write_all_of(fd, info, copy, count, call, context);
  free(copy);
  return rc;
}

namespace {

// The write and send flavours, each as one real call over an iovec array.
long write_call(int fd, const iovec *iov, int count, bool dontwait, void *) {
  if (dontwait) {
    msghdr message{};
    message.msg_iov = const_cast<iovec *>(iov);
    message.msg_iovlen = static_cast<size_t>(count);
    return result_of(real::sendmsg(fd, &message, MSG_DONTWAIT));
  }
  return count == 1 ? result_of(real::write(fd, iov[0].iov_base, iov[0].iov_len))
                    : result_of(real::writev(fd, iov, count));
}

struct SendContext {
  int flags;
  const msghdr *message; // address, control data; iov comes from the loop
};

long send_call(int fd, const iovec *iov, int count, bool dontwait, void *context_pointer) {
  auto *context = static_cast<SendContext *>(context_pointer);
  msghdr message = *context->message;
  message.msg_iov = const_cast<iovec *>(iov);
  message.msg_iovlen = static_cast<size_t>(count);
  return result_of(real::sendmsg(fd, &message, context->flags | (dontwait ? MSG_DONTWAIT : 0)));
}

// A runtime result (count or -errno) as libc returns it.
ssize_t finish(long rc) { return set_errno_result<ssize_t>(rc); }

// A peek leaves the data where it is: it says nothing of what a read leaves.
size_t draining_length(size_t len, int flags) { return (flags & MSG_PEEK) != 0 ? 0 : len; }

} // namespace

ssize_t read(int fd, void *buf, size_t len) {
  return finish(blocking_input(
      fd, false,
      [&](bool dontwait) {
        return dontwait ? real::recv(fd, buf, len, MSG_DONTWAIT) : real::read(fd, buf, len);
      },
      len));
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
  return finish(blocking_input(fd, false, [&](bool dontwait) {
    if (!dontwait) {
      return real::readv(fd, iov, iovcnt);
    }
    msghdr message{};
    message.msg_iov = const_cast<iovec *>(iov);
    message.msg_iovlen = static_cast<size_t>(iovcnt);
    return real::recvmsg(fd, &message, MSG_DONTWAIT);
  }));
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
  return finish(blocking_input(
      fd, (flags & MSG_DONTWAIT) != 0,
      [&](bool dontwait) {
        return real::recv(fd, buf, len, flags | (dontwait ? MSG_DONTWAIT : 0));
      },
      draining_length(len, flags)));
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                 socklen_t *addrlen) {
  return finish(blocking_input(fd, (flags & MSG_DONTWAIT) != 0, [&](bool dontwait) {
    return real::recvfrom(fd, buf, len, flags | (dontwait ? MSG_DONTWAIT : 0), addr, addrlen);
  }));
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  return finish(blocking_input(fd, (flags & MSG_DONTWAIT) != 0, [&](bool dontwait) {
    return real::recvmsg(fd, msg, flags | (dontwait ? MSG_DONTWAIT : 0));
  }));
}

ssize_t write(int fd, const void *buf, size_t len) {
  iovec one{const_cast<void *>(buf), len};
  return finish(blocking_output(fd, false, &one, 1, write_call, nullptr));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  return finish(blocking_output(fd, false, iov, iovcnt, write_call, nullptr));
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
  iovec one{const_cast<void *>(buf), len};
  msghdr message{};
  SendContext context{flags, &message};
  return finish(blocking_output(fd, (flags & MSG_DONTWAIT) != 0, &one, 1, send_call, &context));
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
               socklen_t addrlen) {
  iovec one{const_cast<void *>(buf), len};
  msghdr message{};
  message.msg_name = const_cast<sockaddr *>(addr);
  message.msg_namelen = addrlen;
  SendContext context{flags, &message};
  return finish(blocking_output(fd, (flags & MSG_DONTWAIT) != 0, &one, 1, send_call, &context));
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  SendContext context{flags, msg};
  return finish(blocking_output(fd, (flags & MSG_DONTWAIT) != 0, msg->msg_iov,
                                static_cast<int>(msg->msg_iovlen), send_call, &context));
}

int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
             struct timespec *timeout) {
  return static_cast<int>(
      finish(blocking_input(fd, (flags & MSG_DONTWAIT) != 0, [&](bool dontwait) {
        return real::recvmmsg(fd, msgvec, vlen, flags | (dontwait ? MSG_DONTWAIT : 0), timeout);
      })));
}

// sendmmsg and sendfile: one call that may send part, as natively; only the
// wait for room is sprig's.
int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags) {
  if (fd < 0) {
    return real::sendmmsg(fd, msgvec, vlen, flags);
  }
  FdInfo info = fd_info(fd);
  bool dontwait = info.mode == FdMode::kForeignSocket;
  bool nonblocking =
      info.nonblocking || (flags & MSG_DONTWAIT) != 0 || (info.mode != FdMode::kOwned && !dontwait);
  return static_cast<int>(finish(
      retry_when_ready(fd, nonblocking, kFdWritable, deadline_after(info.send_timeout_ns), [&] {
        return result_of(real::sendmmsg(fd, msgvec, vlen, flags | (dontwait ? MSG_DONTWAIT : 0)));
      })));
}

ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count) {
  if (out_fd < 0) {
    return real::sendfile(out_fd, in_fd, offset, count);
  }
  FdInfo info = fd_info(out_fd);
  // Only a socket sprig made non-blocking can be waited on without changing
  // flags; anything else gets the real, possibly blocking, call.
  bool nonblocking = info.nonblocking || info.mode != FdMode::kOwned;
  return finish(
      retry_when_ready(out_fd, nonblocking, kFdWritable, deadline_after(info.send_timeout_ns),
                       [&] { return result_of(real::sendfile(out_fd, in_fd, offset, count)); }));
}

} // namespace sprig::shim
