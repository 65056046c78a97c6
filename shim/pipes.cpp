// pipes.cpp - pipe and pipe2: new descriptors start with a fresh entry in the fd table.
//
// sprig leaves a pipe's flags alone (the program's children often inherit
// one end, and a blocking pipe must stay blocking for them), so the fds are
// not adopted like sockets: they are forgotten, which makes the next call
// classify them afresh with fstat (FdMode::kForeignStream). That matters when
// the number was last used by something closed behind sprig's back (fclose
// and other glibc-internal closes are not interposed).
#include "fd_table.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "worker.hpp"

namespace sprig::shim {

namespace {

void forget_both(const int fds[2]) {
  for (int index = 0; index < 2; ++index) {
    Worker::current()->reactor().forget_fd(fds[index]);
    fd_forget(fds[index]);
  }
}

} // namespace

int pipe(int fds[2]) {
  int rc = real::pipe(fds);
  if (rc == 0) {
    forget_both(fds);
  }
  return rc;
}

int pipe2(int fds[2], int flags) {
  int rc = real::pipe2(fds, flags);
  if (rc == 0) {
    forget_both(fds);
  }
  return rc;
}

} // namespace sprig::shim
