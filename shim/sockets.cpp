// sockets.cpp - creating, accepting, connecting, closing and duplicating fds, and the flags the
// program sees.
//
// Sockets the program creates on a green thread are made non-blocking in the
// kernel at once (SOCK_NONBLOCK); the fd table keeps the O_NONBLOCK the
// program asked for, and fcntl(F_GETFL) and ioctl(FIONBIO) show and change
// only that view. Sockets sprig did not create keep their flags.
#include "blocking.hpp"
#include "call_counts.hpp"
#include "real.hpp"
#include "shim.hpp"

#include <cstdarg>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace sprig::shim {

namespace {

bool is_stream_type(int type) { return (type & 0xf) == SOCK_STREAM; }

int finish(long rc) { return set_errno_result(static_cast<int>(rc)); }

} // namespace

int socket(int domain, int type, int protocol) {
  int fd = real::socket(domain, type | SOCK_NONBLOCK, protocol);
  if (fd >= 0) {
    fd_renew(fd);
    fd_adopt(fd, (type & SOCK_NONBLOCK) != 0, is_stream_type(type), domain == AF_UNIX);
  }
  return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
  int rc = real::socketpair(domain, type | SOCK_NONBLOCK, protocol, sv);
  if (rc == 0) {
    fd_renew(sv[0]);
    fd_renew(sv[1]);
    fd_adopt(sv[0], (type & SOCK_NONBLOCK) != 0, is_stream_type(type), domain == AF_UNIX);
    fd_adopt(sv[1], (type & SOCK_NONBLOCK) != 0, is_stream_type(type), domain == AF_UNIX);
  }
  return rc;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags) {
  if (fd < 0) {
    return real::accept4(fd, addr, addrlen, flags);
  }
  FdInfo listener = fd_info(fd);
  Deadline deadline = deadline_after(listener.receive_timeout_ns);
  if (listener.mode == FdMode::kForeignSocket && !listener.nonblocking) {
    // Not ours to make non-blocking: wait for a connection first.
    int ready =
        Worker::current()->reactor().wait_fd(fd, kFdReadable, deadline, Readiness::kUnknown);
    if (ready < 0) {
      return finish(ready == -ETIMEDOUT ? -EAGAIN : ready);
    }
  }
  long client = retry_when_ready(fd, listener.nonblocking, kFdReadable, deadline, [&] {
    return result_of(real::accept4(fd, addr, addrlen, flags | SOCK_NONBLOCK));
  });
  if (client >= 0) {
    fd_renew(static_cast<int>(client));
    fd_adopt(static_cast<int>(client), (flags & SOCK_NONBLOCK) != 0, listener.stream,
             listener.local, &listener);
  }
  return finish(client);
}

int accept(int fd, struct sockaddr *addr, socklen_t *addrlen) {
  return sprig::shim::accept4(fd, addr, addrlen, 0);
}

int connect(int fd, const struct sockaddr *addr, socklen_t addrlen) {
  long rc = result_of(real::connect(fd, addr, addrlen));
  if (rc == -EAGAIN && fd >= 0) {
    // An AF_UNIX listener with a full backlog: a blocking connect waits for
    // room, which no fd event announces, so sprig retries after short naps.
    FdInfo info = fd_info(fd);
    if (info.mode == FdMode::kOwned && !info.nonblocking && info.local) {
      Deadline deadline = deadline_after(info.send_timeout_ns);
      for (int64_t nap_ns = 100'000; rc == -EAGAIN;
           nap_ns = nap_ns < 50'000'000 ? nap_ns * 2 : nap_ns) {
        Deadline wake = 0;
        timeout_to_deadline(nap_ns, &wake);
        if (wake > deadline) {
          return finish(-EAGAIN);
        }
        if (Worker::current()->park(WaitReason::kSleep, nullptr, wake) == -ECANCELED) {
          return finish(-ECANCELED); // pthread_cancel: the cancellation point ends the thread
        }
        rc = result_of(real::connect(fd, addr, addrlen));
      }
    }
  }
  if (rc != -EINPROGRESS || fd < 0) {
    return finish(rc);
  }
  FdInfo info = fd_info(fd);
  if (info.nonblocking || info.mode != FdMode::kOwned) {
    return finish(rc);
  }
  // A blocking connect: wait for the handshake, then report its outcome.
  int ready = Worker::current()->reactor().wait_fd(
      fd, kFdWritable, deadline_after(info.send_timeout_ns), Readiness::kNotReady);
  if (ready < 0) {
    return finish(ready == -ETIMEDOUT ? -EINPROGRESS : ready);
  }
  // Asking again is how the kernel's own blocking connect ends: 0 or EISCONN
  // when the handshake completed, else its error, with the socket left as
  // unconnected as a failed blocking connect leaves it.
  rc = result_of(real::connect(fd, addr, addrlen));
  return finish(rc == -EISCONN ? 0 : rc);
}

int shutdown(int fd, int how) {
  int rc = real::shutdown(fd, how);
  if (rc == 0) {
    // Threads blocked on this fd retry their call now, and see EPIPE or
    // end-of-file as a thread blocked in the kernel would.
    Worker::current()->reactor().nudge_fd(fd);
  }
  return rc;
}

int close(int fd) {
  if (Worker::current()->reactor().is_own_fd(fd)) {
    return set_errno_result(-EBADF); // not the program's: as if never opened
  }
  fd_forget(fd);
  return finish(Worker::current()->reactor().close_fd(fd));
}

int dup(int fd) {
  int copy = real::dup(fd);
  if (copy >= 0) {
    fd_renew(copy);
    fd_copy(fd, copy);
  }
  return copy;
}

namespace {

// dup2 and dup3 close `newfd` first: its waiters wake with EBADF.
int duplicate_onto(int oldfd, int newfd, int rc) {
  if (rc >= 0) {
    fd_copy(oldfd, newfd);
  }
  return rc;
}

} // namespace

int dup2(int oldfd, int newfd) {
  if (Worker::current()->reactor().is_own_fd(newfd)) {
    return set_errno_result(-EBUSY); // sprig's own fd; see sprig(7)
  }
  if (oldfd != newfd && newfd >= 0 && real::fcntl(oldfd, F_GETFD) >= 0) {
    Worker::current()->reactor().forget_fd(newfd);
  }
  return duplicate_onto(oldfd, newfd, real::dup2(oldfd, newfd));
}

int dup3(int oldfd, int newfd, int flags) {
  if (Worker::current()->reactor().is_own_fd(newfd)) {
    return set_errno_result(-EBUSY);
  }
  if (oldfd != newfd && newfd >= 0 && real::fcntl(oldfd, F_GETFD) >= 0) {
    Worker::current()->reactor().forget_fd(newfd);
  }
  return duplicate_onto(oldfd, newfd, real::dup3(oldfd, newfd, flags));
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
  int rc = real::setsockopt(fd, level, name, value, length);
  if (rc == 0 && fd >= 0 && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) &&
      length >= sizeof(timeval)) {
    const auto *timeout = static_cast<const timeval *>(value);
    int64_t ns = timeout->tv_sec * kNanosPerSecond + timeout->tv_usec * 1000;
    FdInfo &info = fd_info(fd);
    (name == SO_RCVTIMEO ? info.receive_timeout_ns : info.send_timeout_ns) = ns;
  }
  return rc;
}

// fcntl's and ioctl's third argument is an int or a pointer; the SysV ABI
// passes both in one register, so it is read as an unsigned long.
int fcntl_green(int fd, int command, unsigned long argument) {
  switch (command) {
  case F_GETFL: {
    int flags = real::fcntl(fd, command);
    if (flags >= 0 && fd_info(fd).mode == FdMode::kOwned && !fd_info(fd).nonblocking) {
      flags &= ~O_NONBLOCK;
    }
    return flags;
  }
  case F_SETFL: {
    FdInfo &info = fd_info(fd);
    bool wants_nonblocking = (argument & O_NONBLOCK) != 0;
    if (info.mode == FdMode::kOwned) {
      argument |= O_NONBLOCK;
    }
    int rc = real::fcntl(fd, command, argument);
    if (rc == 0) {
      fd_info(fd).nonblocking = wants_nonblocking;
    }
    return rc;
  }
  case F_DUPFD:
  case F_DUPFD_CLOEXEC: {
    int copy = real::fcntl(fd, command, argument);
    if (copy >= 0) {
      fd_renew(copy);
      fd_copy(fd, copy);
    }
    return copy;
  }
  default:
    return real::fcntl(fd, command, argument);
  }
}

int ioctl_green(int fd, unsigned long request, unsigned long argument) {
  if (request == FIONBIO && argument != 0 && fd >= 0) {
    FdInfo &info = fd_info(fd);
    bool wants_nonblocking = *reinterpret_cast<const int *>(argument) != 0;
    if (info.mode == FdMode::kOwned) {
      if (real::fcntl(fd, F_GETFL) < 0) {
        return -1; // EBADF, as ioctl would say
      }
      info.nonblocking = wants_nonblocking; // the kernel's flag stays on
      return 0;
    }
    int rc = real::ioctl(fd, request, argument);
    if (rc == 0) {
      fd_info(fd).nonblocking = wants_nonblocking;
    }
    return rc;
  }
  return real::ioctl(fd, request, argument);
}

} // namespace sprig::shim

// Variadic, so written out instead of generated.
// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc names them __fd, __cmd
extern "C" __attribute__((visibility("default"))) int fcntl(int fd, int command, ...) {
  va_list arguments;
  va_start(arguments, command);
  unsigned long argument = va_arg(arguments, unsigned long);
  va_end(arguments);
  if (sprig::GreenThread *self = sprig::Worker::current_thread(); self != nullptr) {
    return sprig::shim::counted_call(self, sprig::shim::kCall_fcntl, [=] {
      return sprig::shim::fcntl_green(fd, command, argument);
    });
  }
  return sprig::real::resolved(sprig::real::fcntl)(fd, command, argument);
}

// fcntl64: what programs built with _FILE_OFFSET_BITS=64 or _TIME_BITS=64
// call instead of fcntl (redis-server, python3, libsqlite3). On x86-64 glibc
// both names are one function, so this is fcntl under its other name; without
// it, such a program's F_GETFL sees the O_NONBLOCK sprig set on its sockets
// (redis then skips its own F_SETFL and sprig parks its event loop in accept).
// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc names them __fd, __cmd
extern "C" __attribute__((visibility("default"))) int fcntl64(int fd, int command, ...) {
  va_list arguments;
  va_start(arguments, command);
  unsigned long argument = va_arg(arguments, unsigned long);
  va_end(arguments);
  return fcntl(fd, command, argument);
}

// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc names them __fd,
// __request
extern "C" __attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...) {
  va_list arguments;
  va_start(arguments, request);
  unsigned long argument = va_arg(arguments, unsigned long);
  va_end(arguments);
  if (sprig::GreenThread *self = sprig::Worker::current_thread(); self != nullptr) {
    return sprig::shim::counted_call(self, sprig::shim::kCall_ioctl, [=] {
      return sprig::shim::ioctl_green(fd, request, argument);
    });
  }
  return sprig::real::resolved(sprig::real::ioctl)(fd, request, argument);
}
