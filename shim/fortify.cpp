// fortify.cpp - __read_chk and friends: glibc's buffer-size check, then the green call.
#include "real.hpp"
#include "shim.hpp"

extern "C" [[noreturn]] void __chk_fail(void);

namespace sprig::shim {

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen) {
  if (len > buflen) {
    __chk_fail();
  }
  return sprig::shim::read(fd, buf, len);
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags) {
  if (len > buflen) {
    __chk_fail();
  }
  return sprig::shim::recv(fd, buf, len, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                       struct sockaddr *addr, socklen_t *addrlen) {
  if (len > buflen) {
    __chk_fail();
  }
  return sprig::shim::recvfrom(fd, buf, len, flags, addr, addrlen);
}

int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen) {
  if (fdslen / sizeof(*fds) < nfds) {
    __chk_fail();
  }
  return sprig::shim::poll(fds, nfds, timeout);
}

} // namespace sprig::shim
