// sockets.cpp - creating, accepting, connecting, closing and duplicating fds, and the flags the
// program sees.
//
// Sockets the program creates on a green thread are made non-blocking in the
// kernel at once (SOCK_NONBLOCK); the fd table keeps the O_NONBLOCK the
// program asked for, and fcntl(F_GETFL) and ioctl(FIONBIO) show and change
// only that view. Sockets sprig did not create keep their flags.
#include "blocking.hpp"
#include "call_counts.hpp"
#include "program_memory.hpp"
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

namespace {

// True when a socket sprig did not create, and whose blocking accept it must
// wait for first, listens: a blocking accept on any other socket returns at
// once (EINVAL, EOPNOTSUPP) and must not wait for a connection.
bool listens(int fd) {
  int listening = 0;
  socklen_t length = sizeof listening;
  return sys::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

} // namespace

int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags) {
  if (fd < 0) {
    return real::accept4(fd, addr, addrlen, flags);
  }
  FdInfo listener = fd_info(fd);
  bool nonblocking = listener.receive_never_waits();
  Deadline deadline = deadline_after(listener.receive_timeout_ns);
  if (listener.mode == FdMode::kForeignSocket && !nonblocking && listens(fd)) {
    // Not ours to make non-blocking: wait for a connection first.
    int ready = -EINTR;
    while (ready == -EINTR) {
      ready = Worker::current()->reactor().wait_fd(fd, kFdReadable, deadline, Readiness::kUnknown);
      if (ready != -EINTR || !waits_again(restartable(deadline))) {
        break;
      }
    }
    if (ready < 0) {
      return finish(ready == -ETIMEDOUT ? -EAGAIN : ready);
    }
  }
  long client = retry_when_ready(fd, nonblocking, kFdReadable, deadline, [&] {
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
    if (info.mode == FdMode::kOwned && !info.send_never_waits() && info.local) {
      Deadline deadline = deadline_after(info.send_timeout_ns);
      for (int64_t nap_ns = 100'000; rc == -EAGAIN;
           nap_ns = nap_ns < 50'000'000 ? nap_ns * 2 : nap_ns) {
        Deadline wake = 0;
        timeout_to_deadline(nap_ns, &wake);
        if (wake > deadline) {
          return finish(-EAGAIN);
        }
        int napped = Worker::current()->park(WaitReason::kSleep, nullptr, wake);
        if (napped == -ECANCELED) {
          return finish(-ECANCELED); // pthread_cancel: the cancellation point ends the thread
        }
        if (napped == -EINTR && !waits_again(restartable(deadline))) {
          return finish(-EINTR);
        }
        rc = result_of(real::connect(fd, addr, addrlen));
      }
    }
  }
  if (rc != -EINPROGRESS || fd < 0) {
    return finish(rc);
  }
  FdInfo info = fd_info(fd);
  if (info.send_never_waits() || info.mode != FdMode::kOwned) {
    return finish(rc);
  }
  // A blocking connect: wait for the handshake, then report its outcome.
  // Interrupted by a handler it fails with EINTR and the handshake goes on,
  // as natively; with SA_RESTART it waits on.
  Deadline deadline = deadline_after(info.send_timeout_ns);
  int ready = -EINTR;
  while (ready == -EINTR) {
    ready = Worker::current()->reactor().wait_fd(fd, kFdWritable, deadline, Readiness::kNotReady);
    if (ready != -EINTR || !waits_again(restartable(deadline))) {
      break;
    }
  }
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
    // end-of-file as a thread blocked in the kernel would, on any worker.
    Worker::current()->nudge_fd_everywhere(fd);
  }
  return rc;
}

int close(int fd) {
  if (Worker::current()->reactor().is_own_fd(fd)) {
    return set_errno_result(-EBADF); // not the program's: as if never opened
  }
  fd_forget(fd);
  Worker *worker = Worker::current();
  int rc = worker->reactor().close_fd(fd);
  // Threads of other workers waiting on it retry their call (EBADF).
  worker->nudge_fd_everywhere(fd);
  return finish(rc);
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

// dup2 or dup3 (`dup3` and its `flags`) onto one of sprig's own fds: EBUSY
// (sprig(7)), but only after the kernel's own checks, in its order
// (fs/file.c, ksys_dup3 and dup2): bad flags and oldfd == newfd first, then
// an oldfd that is not open. An own fd counts as not open, as for close().
long onto_own_fd(int oldfd, int newfd, bool dup3, int flags) {
  Reactor &reactor = Worker::current()->reactor();
  if (dup3 && (flags & ~O_CLOEXEC) != 0) {
    return -EINVAL;
  }
  if (oldfd == newfd) {
    return dup3 ? -EINVAL : -EBADF;
  }
  if (reactor.is_own_fd(oldfd) || real::fcntl(oldfd, F_GETFD) < 0) {
    return -EBADF;
  }
  return -EBUSY;
}

} // namespace

int dup2(int oldfd, int newfd) {
  if (Worker::current()->reactor().is_own_fd(newfd)) {
    return set_errno_result(static_cast<int>(onto_own_fd(oldfd, newfd, false, 0)));
  }
  if (oldfd != newfd && newfd >= 0 && real::fcntl(oldfd, F_GETFD) >= 0) {
    Worker::current()->forget_fd_everywhere(newfd);
  }
  return duplicate_onto(oldfd, newfd, real::dup2(oldfd, newfd));
}

int dup3(int oldfd, int newfd, int flags) {
  if (Worker::current()->reactor().is_own_fd(newfd)) {
    return set_errno_result(static_cast<int>(onto_own_fd(oldfd, newfd, true, flags)));
  }
  if (oldfd != newfd && newfd >= 0 && real::fcntl(oldfd, F_GETFD) >= 0) {
    Worker::current()->forget_fd_everywhere(newfd);
  }
  return duplicate_onto(oldfd, newfd, real::dup3(oldfd, newfd, flags));
}

namespace {

// A socket timeout as the kernel holds it (net/core/sock.c, sock_set_timeout):
// a negative tv_sec is zero, which never waits (-1 here); zero, and one too
// long to count, wait for ever (0 here).
int64_t socket_timeout_ns(const timeval &timeout) {
  if (timeout.tv_sec < 0) {
    return -1;
  }
  if (timeout.tv_sec >= INT64_MAX / kNanosPerSecond - 1) {
    return 0;
  }
  return timeout.tv_sec * kNanosPerSecond + timeout.tv_usec * 1000;
}

} // namespace

int setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
  int rc = real::setsockopt(fd, level, name, value, length);
  // SO_RCVTIMEO_NEW and SO_SNDTIMEO_NEW take the same 64-bit layout on x86-64.
  bool receive = name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW;
  bool send = name == SO_SNDTIMEO || name == SO_SNDTIMEO_NEW;
  if (rc == 0 && level == SOL_SOCKET && (receive || send) && length >= sizeof(timeval)) {
    // The kernel has read `value` and found it good.
    int64_t ns = socket_timeout_ns(*static_cast<const timeval *>(value));
    FdInfo &info = fd_info(fd);
    (receive ? info.receive_timeout_ns : info.send_timeout_ns) = ns;
  }
  return rc;
}

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
  if (request == FIONBIO && fd >= 0) {
    const auto *value = reinterpret_cast<const int *>(argument);
    FdInfo &info = fd_info(fd);
    if (info.mode == FdMode::kOwned) {
      // The kernel's flag stays on; its checks come in its order: the fd,
      // then the argument.
      int wants_nonblocking = 0;
      if (real::fcntl(fd, F_GETFL) < 0) {
        return -1; // EBADF, as ioctl would say
      }
      if (copy_from_program(&wants_nonblocking, value, sizeof wants_nonblocking) != 0) {
        return set_errno_result(-EFAULT);
      }
      info.nonblocking = wants_nonblocking != 0;
      return 0;
    }
    int rc = real::ioctl(fd, request, argument);
    if (rc == 0) {
      fd_info(fd).nonblocking = *value != 0; // the kernel has read it
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
