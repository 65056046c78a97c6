// fd_table.cpp - the fd table: a growable array indexed by fd, filled lazily with fstat.
#include "fd_table.hpp"

#include "real.hpp"
#include "sys.hpp"
#include "vector.hpp"
#include "worker.hpp"

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

namespace sprig::shim {

namespace {

// Touched only by green threads, which all run on the worker's OS thread.
Vector<FdInfo> g_table;

int64_t timeout_of(int fd, int option) {
  timeval value{};
  socklen_t length = sizeof value;
  if (sys::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) {
    return 0;
  }
  return value.tv_sec * kNanosPerSecond + value.tv_usec * 1000;
}

// A signalfd, eventfd or timerfd (anonymous inodes, no file type): a read
// waits for an event and polls readable when one is there, so sprig waits
// for readiness, then reads, as for a pipe. (Other anonymous inodes, epoll
// and inotify instances among them, keep the real call.)
bool waits_for_events(int fd, const struct stat &status) {
  if ((status.st_mode & S_IFMT) != 0) {
    return false;
  }
  char path[40];
  char target[40];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  long length = sys::call(SYS_readlink, path, target, sizeof target - 1);
  if (length <= 0) {
    return false;
  }
  target[length] = '\0';
  return strcmp(target, "anon_inode:[signalfd]") == 0 ||
         strcmp(target, "anon_inode:[eventfd]") == 0 || strcmp(target, "anon_inode:[timerfd]") == 0;
}

void classify(int fd, FdInfo &info) {
  info = FdInfo{}; // a new slot is zero bytes, not FdInfo's defaults
  struct stat status {};
  if (fstat(fd, &status) != 0) {
    info.mode = FdMode::kPassThrough; // EBADF and the like: the real call says so
    return;
  }
  long flags = sys::fcntl(fd, F_GETFL);
  info.nonblocking = flags >= 0 && (flags & O_NONBLOCK) != 0;
  if (flags >= 0) { // the access mode is fixed when the file is opened
    info.readable = (flags & O_ACCMODE) != O_WRONLY;
    info.writable = (flags & O_ACCMODE) != O_RDONLY;
  }
  if (S_ISSOCK(status.st_mode)) {
    info.mode = FdMode::kForeignSocket;
    int type = 0;
    socklen_t length = sizeof type;
    info.stream =
        sys::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
    int domain = 0;
    length = sizeof domain;
    info.local =
        sys::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 && domain == AF_UNIX;
    info.receive_timeout_ns = timeout_of(fd, SO_RCVTIMEO);
    info.send_timeout_ns = timeout_of(fd, SO_SNDTIMEO);
  } else if (S_ISFIFO(status.st_mode) || S_ISCHR(status.st_mode) || waits_for_events(fd, status)) {
    info.mode = FdMode::kForeignStream;
  } else {
    info.mode = FdMode::kPassThrough;
  }
}

// What fd_info gives for a number that is not an open fd.
FdInfo g_not_open;

FdInfo &slot(int fd) {
  auto index = static_cast<size_t>(fd);
  if (index >= g_table.size()) {
    g_table.resize(index + 1);
  }
  return g_table[index];
}

} // namespace

FdInfo &fd_info(int fd) {
  if (fd < 0 || (static_cast<size_t>(fd) >= g_table.size() && sys::fcntl(fd, F_GETFD) < 0)) {
    // Not an open fd: the real call will say so (EBADF). The table keeps
    // nothing for it, and does not grow to a number a program made up.
    g_not_open = FdInfo{};
    g_not_open.mode = FdMode::kPassThrough;
    return g_not_open;
  }
  FdInfo &info = slot(fd);
  if (info.mode == FdMode::kUnknown) {
    classify(fd, info);
  }
  return info;
}

void fd_adopt(int fd, bool program_nonblocking, bool stream, bool local, const FdInfo *like) {
  FdInfo &info = slot(fd);
  info = FdInfo{};
  info.mode = FdMode::kOwned;
  info.nonblocking = program_nonblocking;
  info.stream = stream;
  info.local = local;
  if (like != nullptr) {
    info.receive_timeout_ns = like->receive_timeout_ns;
    info.send_timeout_ns = like->send_timeout_ns;
  }
}

void fd_forget(int fd) {
  if (fd >= 0 && static_cast<size_t>(fd) < g_table.size()) {
    g_table[static_cast<size_t>(fd)] = FdInfo{};
  }
}

void fd_renew(int fd) {
  Worker::current()->reactor().forget_fd(fd);
  fd_forget(fd);
}

void fd_copy(int from, int to) {
  FdInfo copy = fd_info(from);
  slot(to) = copy;
}

} // namespace sprig::shim
