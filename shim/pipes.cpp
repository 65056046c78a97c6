// pipes.cpp - pipe and pipe2: new descriptors start with a fresh entry in the fd table.
//
// sprig leaves a pipe's flags alone (the program's children often inherit
// one end, and a blocking pipe must stay blocking for them), so the fds are
// not adopted like sockets: fd_renew forgets what sprig remembered of their
// numbers, and the next call classifies them afresh with fstat
// (FdMode::kForeignStream).
#include "fd_table.hpp"
#include "real.hpp"
#include "shim.hpp"

namespace sprig::shim {

int pipe(int fds[2]) {
  int rc = real::pipe(fds);
  if (rc == 0) {
    fd_renew(fds[0]);
    fd_renew(fds[1]);
  }
  return rc;
}

int pipe2(int fds[2], int flags) {
  int rc = real::pipe2(fds, flags);
  if (rc == 0) {
    fd_renew(fds[0]);
    fd_renew(fds[1]);
  }
  return rc;
}

} // namespace sprig::shim
