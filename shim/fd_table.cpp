// fd_table.cpp - the fd table: a growable array indexed by fd, filled lazily with fstat.
#include "fd_table.hpp"

#include "real.hpp"
#include "sys.hpp"
#include "worker.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

namespace sprig::shim {

namespace {

// Entries in chunks that never move once made: green threads on several
// workers hold references to entries while another worker adds a chunk.
// (With one growable array, a resize on one worker left another's reference
// dangling.) Never freed: exit() runs while other workers go on.
constexpr size_t kChunkEntries = 1024;
constexpr size_t kChunks = 1024; // fds below 1,048,576; higher ones pass through
std::atomic<FdInfo *> g_chunks[kChunks];
std::atomic<size_t> g_table_end{0}; // one past the highest fd with a chunk
std::atomic_flag g_grow_lock = ATOMIC_FLAG_INIT;

FdInfo *entry_of(size_t fd, bool make) {
  size_t chunk = fd / kChunkEntries;
  if (chunk >= kChunks) {
    return nullptr;
  }
  FdInfo *entries = g_chunks[chunk].load(std::memory_order_acquire);
  if (entries == nullptr && make) {
    while (g_grow_lock.test_and_set(std::memory_order_acquire)) {
    }
    entries = g_chunks[chunk].load(std::memory_order_relaxed);
    if (entries == nullptr) {
      entries = static_cast<FdInfo *>(calloc(kChunkEntries, sizeof(FdInfo)));
      if (entries != nullptr) {
        g_chunks[chunk].store(entries, std::memory_order_release);
        size_t end = (chunk + 1) * kChunkEntries;
        if (end > g_table_end.load(std::memory_order_relaxed)) {
          g_table_end.store(end, std::memory_order_release);
        }
      }
    }
    g_grow_lock.clear(std::memory_order_release);
  }
  return entries == nullptr ? nullptr : &entries[fd % kChunkEntries];
}

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

// What fd_info gives for a number that is not an open fd (or one past the
// table): per green thread, as each caller overwrites it.
thread_local FdInfo t_not_open;

FdInfo &not_open() {
  t_not_open = FdInfo{};
  t_not_open.mode = FdMode::kPassThrough;
  return t_not_open;
}

FdInfo *slot(int fd) { return entry_of(static_cast<size_t>(fd), true); }

} // namespace

FdInfo &fd_info(int fd) {
  if (fd < 0 || (static_cast<size_t>(fd) >= g_table_end.load(std::memory_order_acquire) &&
                 sys::fcntl(fd, F_GETFD) < 0)) {
    // Not an open fd: the real call will say so (EBADF). The table keeps
    // nothing for it, and does not grow to a number a program made up.
    return not_open();
  }
  FdInfo *info = slot(fd);
  if (info == nullptr) {
    return not_open();
  }
  if (info->mode == FdMode::kUnknown) {
    classify(fd, *info);
  }
  return *info;
}

void fd_adopt(int fd, bool program_nonblocking, bool stream, bool local, const FdInfo *like) {
  FdInfo *entry = slot(fd);
  if (entry == nullptr) {
    return;
  }
  FdInfo &info = *entry;
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
  if (fd >= 0) {
    if (FdInfo *info = entry_of(static_cast<size_t>(fd), false); info != nullptr) {
      *info = FdInfo{};
    }
  }
}

void fd_renew(int fd) {
  Worker::current()->reactor().forget_fd(fd);
  fd_forget(fd);
}

void fd_copy(int from, int to) {
  FdInfo copy = fd_info(from);
  if (FdInfo *entry = slot(to); entry != nullptr) {
    *entry = copy;
  }
}

} // namespace sprig::shim
