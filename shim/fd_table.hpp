// fd_table.hpp - what the program believes about each fd: its O_NONBLOCK view, its socket timeouts,
// and how sprig waits on it.
#pragma once

#include "clock.hpp"

#include <cstdint>

namespace sprig::shim {

enum class FdMode : uint8_t {
  // Not looked at yet (classify() decides with fstat).
  kUnknown,
  // A socket or pipe sprig created for the program: O_NONBLOCK is on in the
  // kernel, `nonblocking` is what the program asked for.
  kOwned,
  // A socket sprig did not create (inherited, passed in): its flags are left
  // alone; calls use MSG_DONTWAIT.
  kForeignSocket,
  // A pipe, FIFO or terminal sprig did not create: its flags are left alone;
  // sprig waits for readiness, then makes the call.
  kForeignStream,
  // Regular files, directories and everything epoll refuses: the real call,
  // which never reports EAGAIN for them.
  kPassThrough,
};

struct FdInfo {
  FdMode mode = FdMode::kUnknown;
  bool nonblocking = false;     // the program's O_NONBLOCK
  bool readable = true;         // open for reading (O_ACCMODE): a read of a write-only
  bool writable = true;         // fd, or the reverse, fails at once with EBADF
  bool stream = true;           // SOCK_STREAM or a pipe: a blocking write writes it all
  bool local = false;           // AF_UNIX: a send timeout restarts whenever data moves
  bool exclusive_epoll = false; // an epoll fd with an EPOLLEXCLUSIVE entry (multiplex.cpp)
  // SO_RCVTIMEO and SO_SNDTIMEO: 0 = none; < 0 = never wait (a negative
  // tv_sec, which the kernel holds as a zero timeout).
  int64_t receive_timeout_ns = 0;
  int64_t send_timeout_ns = 0;
  // The last read of this stream returned less than it asked for: the
  // stream was empty after it, so the next blocking read waits for
  // readiness first instead of trying (see blocking_input).
  bool drained = false;
  uint64_t drained_mark = 0; // the reactor's edge_mark of the fd right after that read

  // True when a receive (or send) on this fd never waits: the program's
  // O_NONBLOCK, or a socket timeout the kernel holds as zero.
  bool receive_never_waits() const { return nonblocking || receive_timeout_ns < 0; }
  bool send_never_waits() const { return nonblocking || send_timeout_ns < 0; }
};

// The entry for fd, classified on first use. For a negative fd, or one
// beyond the table that is not open, a pass-through entry that the table does
// not keep (a later call of fd_info overwrites it).
FdInfo &fd_info(int fd);
// Records an fd sprig just created with O_NONBLOCK on; `like` (accept's
// listener) lends its socket options, as the kernel copies them on accept.
void fd_adopt(int fd, bool program_nonblocking, bool stream, bool local,
              const FdInfo *like = nullptr);
// Forgets fd (it was closed).
void fd_forget(int fd);
// A number the kernel has just handed out (socket, accept, dup, pipe...): it
// was free, so whatever sprig still remembers under it belonged to an fd
// closed behind sprig's back (a raw syscall(SYS_close), as libuv linked into
// the program closes its fds, or fclose). Drops the reactor's watcher, or a
// wait on the new fd would go to the dead one's registration in the fd set
// (which the kernel already removed) and never wake, and the table's
// entry. Costs nothing when there is none.
void fd_renew(int fd);
// dup: the new fd shares the old one's file description, so its view.
void fd_copy(int from, int to);

} // namespace sprig::shim
