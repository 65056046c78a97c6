// stdio.cpp - fdopen on a socket sprig made non-blocking: a stream whose reads and writes take the
// green path.
//
// stdio's own reads and writes are glibc-internal calls that sprig cannot
// interpose. On a socket that is O_NONBLOCK in the kernel behind the
// program's back they would fail with EAGAIN, so fdopen of such a socket
// returns a fopencookie stream instead, whose functions are the green read,
// write and close. Other fds get glibc's own fdopen.
#include "fd_table.hpp"
#include "real.hpp"
#include "shim.hpp"

#include <cstdint>
#include <cstdio>
#include <fcntl.h>

namespace sprig::shim {

namespace {

int cookie_fd(void *cookie) { return static_cast<int>(reinterpret_cast<intptr_t>(cookie)); }

ssize_t cookie_read(void *cookie, char *buffer, size_t size) {
  return sprig::shim::read(cookie_fd(cookie), buffer, size);
}

ssize_t cookie_write(void *cookie, const char *buffer, size_t size) {
  ssize_t written = sprig::shim::write(cookie_fd(cookie), buffer, size);
  return written < 0 ? 0 : written; // fopencookie: 0 signals the error
}

int cookie_close(void *cookie) { return close(cookie_fd(cookie)); }

} // namespace

FILE *fdopen(int fd, const char *mode) {
  if (fd < 0 || fd_info(fd).mode != FdMode::kOwned || real::fcntl(fd, F_GETFD) < 0) {
    return real::fdopen(fd, mode);
  }
  cookie_io_functions_t functions{};
  functions.read = cookie_read;
  functions.write = cookie_write;
  functions.close = cookie_close;
  // Sockets cannot seek: no seek function makes fseek fail with ESPIPE.
  FILE *stream = fopencookie(reinterpret_cast<void *>(static_cast<intptr_t>(fd)), mode, functions);
  if (stream != nullptr && mode[0] == 'a') {
    // As glibc's fdopen: a stream opened to append sets O_APPEND on the fd.
    int flags = real::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_APPEND) == 0) {
      real::fcntl(fd, F_SETFL, flags | O_APPEND);
    }
  }
  return stream;
}

} // namespace sprig::shim
