// io.cpp - read, write and the socket send/receive family, parking instead of blocking.
#include "blocking.hpp"
#include "program_memory.hpp"
#include "real.hpp"
#include "shim.hpp"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>

namespace sprig::shim {

namespace {

constexpr int kMaxIov = 1024; // IOV_MAX

// How many iovecs a copy keeps on the stack (IovecCopy). An array for
// IOV_MAX (16 KiB) put every write's frames 16 KiB down each thread's stack,
// a page more of RSS per thread and a TLB miss per write.
constexpr int kIovOnStack = 8;

// Moves `cursor` (and `left`) past `bytes` written from the front of it.
void advance(iovec *&cursor, int &left, size_t bytes) {
  while (left > 0 && bytes >= cursor->iov_len) {
    bytes -= cursor->iov_len;
    ++cursor;
    --left;
  }
  if (left > 0) {
    cursor->iov_base = static_cast<char *>(cursor->iov_base) + bytes;
    cursor->iov_len -= bytes;
  }
}

// A pipe, FIFO or terminal sprig did not create stays blocking: wait until
// it has room, then write at most PIPE_BUF bytes, which a pipe that polls
// writable takes without blocking. The chunk spans the buffers as the
// kernel would copy them: a bad second buffer fails the write with EFAULT,
// as natively, instead of ending it after the first.
long write_chunk_when_ready(int fd, iovec *cursor, int left, OutputCall call, void *context) {
  while (!ready_now(fd, POLLOUT)) {
    int ready =
        Worker::current()->reactor().wait_fd(fd, kFdWritable, kNoDeadline, Readiness::kNotReady);
    if (ready == -EINTR && waits_again(true)) {
      continue;
    }
    if (ready < 0) {
      return ready;
    }
  }
  if (left == 0) {
    return call(fd, cursor, 0, false, context);
  }
  size_t room = PIPE_BUF;
  int count = 0;
  size_t last = 0; // the bytes of cursor[count - 1] in the chunk
  while (count < left && room > 0) {
    last = cursor[count].iov_len < room ? cursor[count].iov_len : room;
    room -= last;
    ++count;
  }
  size_t whole = cursor[count - 1].iov_len;
  cursor[count - 1].iov_len = last;
  long rc = call(fd, cursor, count, false, context);
  cursor[count - 1].iov_len = whole;
  return rc;
}

// True when an iovec array holds a length the kernel refuses (EINVAL): one
// that is negative as ssize_t, or a total past it.
bool lengths_refused(const iovec *iov, int count) {
  size_t total = 0;
  for (int index = 0; index < count; ++index) {
    if (iov[index].iov_len > SSIZE_MAX - total) {
      return true;
    }
    total += iov[index].iov_len;
  }
  return false;
}

// blocking_output's loop over the program's iovecs, copied to `cursor`,
// which it advances as bytes go out. `rc` is the result of the call already
// made (bytes written, or -errno).
long write_all_of(int fd, const FdInfo &info, iovec *cursor, int left, OutputCall call,
                  void *context, long rc) {
  bool foreign_stream = info.mode == FdMode::kForeignStream;
  bool dontwait = info.mode == FdMode::kForeignSocket;
  Deadline deadline = deadline_after(info.send_timeout_ns);
  long written = 0;
  for (;;) {
    if (rc >= 0) {
      written += rc;
      advance(cursor, left, static_cast<size_t>(rc));
      if (left == 0 || !info.stream) {
        return written;
      }
      if (info.local && rc > 0) {
        deadline = deadline_after(info.send_timeout_ns); // AF_UNIX: per wait, as the kernel
      }
    } else if (rc != -EAGAIN) {
      return written > 0 ? written : rc;
    } else {
      int ready =
          Worker::current()->reactor().wait_fd(fd, kFdWritable, deadline, Readiness::kNotReady);
      if (ready == -EINTR && waits_again(written == 0 && restartable(deadline))) {
        continue; // nothing moved yet: the call restarts (after some, it returns the count)
      }
      if (ready < 0) {
        return written > 0 ? written : (ready == -ETIMEDOUT ? -EAGAIN : ready);
      }
    }
    rc = foreign_stream ? write_chunk_when_ready(fd, cursor, left, call, context)
                        : call(fd, cursor, left, dontwait, context);
  }
}

// Room for a copy of `count` iovecs: on the stack for the usual one or few
// buffers, on the heap beyond (data() is null when there is no memory).
class IovecCopy {
public:
  explicit IovecCopy(int count)
      : data_(count <= kIovOnStack
                  ? on_stack_
                  : static_cast<iovec *>(malloc(sizeof(iovec) * static_cast<size_t>(count)))) {}
  ~IovecCopy() {
    if (data_ != on_stack_) {
      free(data_);
    }
  }
  IovecCopy(const IovecCopy &) = delete;
  IovecCopy &operator=(const IovecCopy &) = delete;
  iovec *data() const { return data_; }

private:
  iovec on_stack_[kIovOnStack];
  iovec *data_;
};

// A blocking write to a socket whose first try, with the program's own
// array, gave `rc` (bytes, or -EAGAIN): the kernel has read the array, so
// sprig copies it and writes what is left.
long continue_output(int fd, const FdInfo &info, const iovec *iov, int count, OutputCall call,
                     void *context, long rc) {
  IovecCopy copy(count);
  if (copy.data() == nullptr) {
    return rc > 0 ? rc : -ENOMEM;
  }
  memcpy(copy.data(), iov, sizeof(iovec) * static_cast<size_t>(count));
  return write_all_of(fd, info, copy.data(), count, call, context, rc);
}

} // namespace

long blocking_output(int fd, bool call_nonblocking, const iovec *iov, int count, OutputCall call,
                     void *context) {
  if (fd < 0 || count < 0 || count > kMaxIov) {
    return call(fd, iov, count, false, context);
  }
  FdInfo info = fd_info(fd);
  bool nonblocking = info.send_never_waits() || call_nonblocking;
  if ((info.mode != FdMode::kOwned && info.mode != FdMode::kForeignSocket &&
       info.mode != FdMode::kForeignStream) ||
      !info.writable || nonblocking) {
    return call(fd, iov, count, false, context); // the kernel's answer, at once
  }
  if (info.mode != FdMode::kForeignStream) {
    // The first try hands the program's own array to the kernel, which
    // reads it before sprig does: a bad pointer gets the kernel's EFAULT, in
    // the kernel's order of checks. Only a write that must go on is copied.
    long rc = call(fd, iov, count, info.mode == FdMode::kForeignSocket, context);
    bool done = (rc < 0 && rc != -EAGAIN) || (rc >= 0 && !info.stream) ||
                (count == 1 && rc >= 0 && static_cast<size_t>(rc) == iov[0].iov_len);
    return done ? rc : continue_output(fd, info, iov, count, call, context, rc);
  }
  // The real call would block, so sprig reads the array before the kernel:
  // checked, for the EFAULT the kernel would give.
  IovecCopy copy(count);
  if (copy.data() == nullptr) {
    return -ENOMEM;
  }
  if (long rc = copy_from_program(copy.data(), iov, sizeof(iovec) * static_cast<size_t>(count));
      rc != 0) {
    return rc;
  }
  if (lengths_refused(copy.data(), count)) {
    return call(fd, iov, count, false, context); // the kernel's EINVAL, at once
  }
  return write_all_of(fd, info, copy.data(), count, call, context,
                      write_chunk_when_ready(fd, copy.data(), count, call, context));
}

namespace {

// The write and send flavours, each as one real call over an iovec array.
// A socket sprig did not create is sent to with MSG_DONTWAIT.
long dontwait_send(int fd, const iovec *iov, int count) {
  msghdr message{};
  message.msg_iov = const_cast<iovec *>(iov);
  message.msg_iovlen = static_cast<size_t>(count);
  return result_of(real::sendmsg(fd, &message, MSG_DONTWAIT));
}

// write: `iov` is always sprig's (the one buffer, or the loop's copy).
long write_call(int fd, const iovec *iov, int count, bool dontwait, void *) {
  if (dontwait) {
    return dontwait_send(fd, iov, count);
  }
  return count == 1 ? result_of(real::write(fd, iov[0].iov_base, iov[0].iov_len))
                    : result_of(real::writev(fd, iov, count));
}

// writev: the first `iov` is the program's own, which only the kernel reads.
long writev_call(int fd, const iovec *iov, int count, bool dontwait, void *) {
  return dontwait ? dontwait_send(fd, iov, count) : result_of(real::writev(fd, iov, count));
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

// Calls the kernel answers at once, whatever the fd: a read of nothing (0),
// a length no buffer can have (EFAULT: read(2) checks the range), a count
// of buffers out of range (EINVAL). They go to libc as they are, so the
// answer is that call's own: recv(2) and recvmsg(2), which sprig uses on
// sockets it did not create, check the same arguments differently.
bool read_answers_at_once(size_t len) { return len == 0 || len > SSIZE_MAX; }
bool vector_answers_at_once(int count) { return count <= 0 || count > kMaxIov; }

// A runtime result (count or -errno) as libc returns it.
ssize_t finish(long rc) { return set_errno_result<ssize_t>(rc); }

// The receive flags with which the kernel never waits: MSG_DONTWAIT, and
// MSG_ERRQUEUE (an empty error queue gives EAGAIN at once, even on a blocking
// socket).
bool never_waits(int flags) { return (flags & (MSG_DONTWAIT | MSG_ERRQUEUE)) != 0; }

// A peek leaves the data where it is: it says nothing of what a read leaves.
size_t draining_length(size_t len, int flags) { return (flags & MSG_PEEK) != 0 ? 0 : len; }

} // namespace

ssize_t read(int fd, void *buf, size_t len) {
  if (read_answers_at_once(len)) {
    return real::read(fd, buf, len);
  }
  return finish(blocking_input(
      fd, false,
      [&](bool dontwait) {
        return dontwait ? real::recv(fd, buf, len, MSG_DONTWAIT) : real::read(fd, buf, len);
      },
      len));
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
  if (vector_answers_at_once(iovcnt)) {
    return real::readv(fd, iov, iovcnt);
  }
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
      fd, never_waits(flags),
      [&](bool dontwait) {
        return real::recv(fd, buf, len, flags | (dontwait ? MSG_DONTWAIT : 0));
      },
      draining_length(len, flags)));
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                 socklen_t *addrlen) {
  return finish(blocking_input(fd, never_waits(flags), [&](bool dontwait) {
    return real::recvfrom(fd, buf, len, flags | (dontwait ? MSG_DONTWAIT : 0), addr, addrlen);
  }));
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  return finish(blocking_input(fd, never_waits(flags), [&](bool dontwait) {
    return real::recvmsg(fd, msg, flags | (dontwait ? MSG_DONTWAIT : 0));
  }));
}

ssize_t write(int fd, const void *buf, size_t len) {
  if (len > SSIZE_MAX) {
    return real::write(fd, buf, len); // EFAULT at once, where sendmsg(2) says EINVAL
  }
  iovec one{const_cast<void *>(buf), len};
  return finish(blocking_output(fd, false, &one, 1, write_call, nullptr));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  if (iovcnt == 0) {
    return real::writev(fd, iov, iovcnt); // 0, without reaching the file
  }
  return finish(blocking_output(fd, false, iov, iovcnt, writev_call, nullptr));
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
  if (len > SSIZE_MAX) {
    return real::send(fd, buf, len, flags); // the kernel's answer (EFAULT, EMSGSIZE) at once
  }
  iovec one{const_cast<void *>(buf), len};
  msghdr message{};
  SendContext context{flags, &message};
  return finish(blocking_output(fd, (flags & MSG_DONTWAIT) != 0, &one, 1, send_call, &context));
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
               socklen_t addrlen) {
  // sendto(2) refuses a length no buffer can have, and an address longer
  // than any (EINVAL), at once; sendmsg(2) would cut the address short.
  if (len > SSIZE_MAX || (addr != nullptr && addrlen > sizeof(sockaddr_storage))) {
    return real::sendto(fd, buf, len, flags, addr, addrlen);
  }
  iovec one{const_cast<void *>(buf), len};
  msghdr message{};
  message.msg_name = const_cast<sockaddr *>(addr);
  message.msg_namelen = addrlen;
  SendContext context{flags, &message};
  return finish(blocking_output(fd, (flags & MSG_DONTWAIT) != 0, &one, 1, send_call, &context));
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  // The first try hands the program's message to the kernel, which checks
  // the fd and reads the message before sprig does: a bad pointer gets its
  // EFAULT, in its order of checks. MSG_DONTWAIT changes nothing where sprig
  // would not wait: a socket sprig made non-blocking, or one it sends to
  // with MSG_DONTWAIT anyway.
  long rc = result_of(real::sendmsg(fd, msg, flags | MSG_DONTWAIT));
  if (fd < 0 || (rc < 0 && rc != -EAGAIN)) {
    return finish(rc);
  }
  FdInfo info = fd_info(fd);
  if (info.send_never_waits() || (flags & MSG_DONTWAIT) != 0 || (rc >= 0 && !info.stream) ||
      (info.mode != FdMode::kOwned && info.mode != FdMode::kForeignSocket) ||
      msg->msg_iovlen > static_cast<size_t>(kMaxIov)) {
    return finish(rc);
  }
  // The message is known good now: what is left of it goes as a blocking
  // send (nothing, in the common case of a complete first try).
  size_t total = 0;
  for (size_t index = 0; index < msg->msg_iovlen; ++index) {
    total += msg->msg_iov[index].iov_len;
  }
  if (rc >= 0 && static_cast<size_t>(rc) == total) {
    return finish(rc);
  }
  SendContext context{flags, msg};
  return finish(continue_output(fd, info, msg->msg_iov, static_cast<int>(msg->msg_iovlen),
                                send_call, &context, rc));
}

int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
             struct timespec *timeout) {
  return static_cast<int>(finish(blocking_input(fd, never_waits(flags), [&](bool dontwait) {
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
  bool nonblocking = info.send_never_waits() || (flags & MSG_DONTWAIT) != 0 ||
                     (info.mode != FdMode::kOwned && !dontwait);
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
  bool nonblocking = info.send_never_waits() || info.mode != FdMode::kOwned;
  return finish(
      retry_when_ready(out_fd, nonblocking, kFdWritable, deadline_after(info.send_timeout_ns),
                       [&] { return result_of(real::sendfile(out_fd, in_fd, offset, count)); }));
}

} // namespace sprig::shim
