// sys.hpp - raw system calls for the runtime's own fd work on green threads, past any interposer.
//
// Under the preload, libsprig.so exports read, write, close... and calls the
// runtime makes to those names would bind to its own interposers (and
// recurse). The runtime therefore makes these calls with syscall(2), which
// nobody interposes. Each returns the result or a negative errno, and leaves
// errno alone.
#pragma once

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sprig::sys {

template <typename... Arguments> long call(long number, Arguments... arguments) {
  int saved = errno;
  long rc = syscall(number, arguments...);
  if (rc < 0) {
    rc = -errno;
  }
  errno = saved;
  return rc;
}

inline long read(int fd, void *buffer, size_t length) { return call(SYS_read, fd, buffer, length); }
inline long write(int fd, const void *buffer, size_t length) {
  return call(SYS_write, fd, buffer, length);
}
inline long close(int fd) { return call(SYS_close, fd); }
inline long fcntl(int fd, int command, long argument = 0) {
  return call(SYS_fcntl, fd, command, argument);
}
inline long accept4(int fd, sockaddr *address, socklen_t *length, int flags) {
  return call(SYS_accept4, fd, address, length, flags);
}
inline long connect(int fd, const sockaddr *address, socklen_t length) {
  return call(SYS_connect, fd, address, length);
}
inline long getsockopt(int fd, int level, int name, void *value, socklen_t *length) {
  return call(SYS_getsockopt, fd, level, name, value, length);
}
inline long poll(pollfd *fds, nfds_t count, int timeout_ms) {
  return call(SYS_poll, fds, count, timeout_ms);
}

} // namespace sprig::sys
