/* cases_fds.c - bad inputs to pipe, pipe2, close, dup, dup2, dup3, fcntl, fcntl64 and fdopen: bad
 * fd arrays, fds, flags and commands, fd numbers sprig keeps for itself, bad lock pointers, and
 * mode strings. (ioctl and setsockopt are in cases_fds_ioctl_setsockopt.c.) */
#include "bad_input.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- fixtures of this file ---- */

/* The highest open fd, from /proc/self/fd. Under sprig it is one of
 * sprig's own (libuv's spare /dev/null and the control socket are moved up
 * to 3/4 of min(RLIMIT_NOFILE, 4096)); natively it is whatever the process
 * inherited (0..2 at least). With `link` non-NULL: the lowest fd whose
 * /proc link is `link` (sprig's epoll fds are "anon_inode:[eventpoll]"),
 * falling back to the highest fd when there is none (natively). */
static int find_fd(const char *link) {
  DIR *directory = opendir("/proc/self/fd");
  if (directory == NULL) {
    fixture_failed("opendir /proc/self/fd");
  }
  int highest = -1;
  int matching = -1;
  for (struct dirent *entry; (entry = readdir(directory)) != NULL;) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    int fd = atoi(entry->d_name);
    if (fd == dirfd(directory)) {
      continue;
    }
    highest = fd > highest ? fd : highest;
    if (link != NULL) {
      char path[64];
      char target[128] = {0};
      snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
      if (readlink(path, target, sizeof target - 1) > 0 && strcmp(target, link) == 0 &&
          (matching < 0 || fd < matching)) {
        matching = fd;
      }
    }
  }
  closedir(directory);
  if (highest < 0) {
    errno = 0;
    fixture_failed("no open fd");
  }
  return matching >= 0 ? matching : highest;
}

static int highest_fd(void) { return find_fd(NULL); }
static int epoll_fd(void) { return find_fd("anon_inode:[eventpoll]"); }

/* For dup2(fd, fd)-like calls: 1 when the call returned `fd` itself, 2 when
 * it returned another fd, else -1 and errno. */
static struct outcome same_fd_result(long rc, int fd) {
  return bad_result(OUTCOME_SYSCALL, rc < 0 ? rc : rc == fd ? 1 : 2);
}

/* ---- pipe ---- */

BAD_CASE(pipe, null_fds) { return SYSCALL_RESULT(pipe(OPAQUE((int *)NULL))); }
BAD_CASE(pipe, unmapped_fds) { return SYSCALL_RESULT(pipe(unmapped_page())); }
BAD_CASE(pipe, readonly_fds) { return SYSCALL_RESULT(pipe(readonly_page())); }
/* fds[0] writable, fds[1] on the unmapped page after it. */
BAD_CASE(pipe, half_mapped_fds) { return SYSCALL_RESULT(pipe(end_of_mapping(sizeof(int)))); }

/* ---- pipe2 ---- */

BAD_CASE(pipe2, null_fds) { return SYSCALL_RESULT(pipe2(OPAQUE((int *)NULL), 0)); }
BAD_CASE(pipe2, unmapped_fds) { return SYSCALL_RESULT(pipe2(unmapped_page(), O_CLOEXEC)); }
BAD_CASE(pipe2, readonly_fds) { return SYSCALL_RESULT(pipe2(readonly_page(), O_NONBLOCK)); }
static int pipe2_flags(int flags) {
  int fds[2];
  return pipe2(fds, flags);
}
BAD_CASE(pipe2, bad_flags) { return SYSCALL_RESULT(pipe2_flags(OPAQUE(0x1))); }
BAD_CASE(pipe2, negative_flags) { return SYSCALL_RESULT(pipe2_flags(OPAQUE(-1))); }
BAD_CASE(pipe2, o_append_flag) {
  return SYSCALL_RESULT(pipe2_flags(OPAQUE(O_APPEND | O_NONBLOCK)));
}
BAD_CASE(pipe2, bad_flags_null_fds) {
  return SYSCALL_RESULT(pipe2(OPAQUE((int *)NULL), OPAQUE(0x1)));
}
BAD_CASE(pipe2, odd_valid_flags) {
  return SYSCALL_RESULT(pipe2_flags(OPAQUE(O_NONBLOCK | O_CLOEXEC | O_DIRECT)));
}

/* ---- close ---- */

BAD_CASE(close, minus_one) { return SYSCALL_RESULT(close(OPAQUE(-1))); }
BAD_CASE(close, int_min) { return SYSCALL_RESULT(close(OPAQUE(INT_MIN))); }
BAD_CASE(close, closed_fd) { return SYSCALL_RESULT(close(closed_fd())); }
BAD_CASE(close, too_high_fd) { return SYSCALL_RESULT(close(too_high_fd())); }
BAD_CASE(close, socket_twice) {
  int fd = tcp_socket();
  if (close(fd) != 0) {
    fixture_failed("close");
  }
  return SYSCALL_RESULT(close(fd));
}
/* An fd sprig keeps (natively: the highest fd, which closes fine). */
BAD_CASE(close, sprig_high_fd) { return SYSCALL_RESULT(close(highest_fd())); }
BAD_CASE(close, sprig_epoll_fd) { return SYSCALL_RESULT(close(epoll_fd())); }

/* ---- dup ---- */

BAD_CASE(dup, minus_one) { return FD_RESULT(dup(OPAQUE(-1))); }
BAD_CASE(dup, int_min) { return FD_RESULT(dup(OPAQUE(INT_MIN))); }
BAD_CASE(dup, closed_fd) { return FD_RESULT(dup(closed_fd())); }
BAD_CASE(dup, too_high_fd) { return FD_RESULT(dup(too_high_fd())); }
BAD_CASE(dup, sprig_high_fd) { return FD_RESULT(dup(highest_fd())); }

/* ---- dup2 ---- */

BAD_CASE(dup2, minus_one_oldfd) { return FD_RESULT(dup2(OPAQUE(-1), 100)); }
BAD_CASE(dup2, closed_oldfd) { return FD_RESULT(dup2(closed_fd(), 100)); }
BAD_CASE(dup2, too_high_oldfd) { return FD_RESULT(dup2(too_high_fd(), 100)); }
BAD_CASE(dup2, newfd_minus_one) { return FD_RESULT(dup2(regular_file_fd(), OPAQUE(-1))); }
BAD_CASE(dup2, newfd_too_high) { return FD_RESULT(dup2(regular_file_fd(), too_high_fd())); }
BAD_CASE(dup2, newfd_int_max) { return FD_RESULT(dup2(regular_file_fd(), OPAQUE(INT_MAX))); }
BAD_CASE(dup2, both_bad) { return FD_RESULT(dup2(closed_fd(), too_high_fd())); }
BAD_CASE(dup2, same_fd) {
  int fd = regular_file_fd();
  return same_fd_result(dup2(fd, fd), fd);
}
BAD_CASE(dup2, same_closed_fd) {
  int fd = closed_fd();
  return same_fd_result(dup2(fd, fd), fd);
}
BAD_CASE(dup2, same_minus_one) { return same_fd_result(dup2(OPAQUE(-1), OPAQUE(-1)), -1); }
/* Onto an fd sprig keeps for itself: under sprig EBUSY, natively the
 * kernel's checks (oldfd first) decide. */
BAD_CASE(dup2, sprig_high_fd) {
  int newfd = highest_fd();
  return same_fd_result(dup2(regular_file_fd(), newfd), newfd);
}
BAD_CASE(dup2, sprig_high_fd_bad_oldfd) { return FD_RESULT(dup2(closed_fd(), highest_fd())); }
BAD_CASE(dup2, sprig_high_fd_minus_one_oldfd) { return FD_RESULT(dup2(OPAQUE(-1), highest_fd())); }
BAD_CASE(dup2, sprig_high_fd_same) {
  int fd = highest_fd();
  return same_fd_result(dup2(fd, fd), fd);
}
BAD_CASE(dup2, sprig_epoll_fd_bad_oldfd) { return FD_RESULT(dup2(closed_fd(), epoll_fd())); }
BAD_CASE(dup2, sprig_epoll_fd_same) {
  int fd = epoll_fd();
  return same_fd_result(dup2(fd, fd), fd);
}

/* ---- dup3 ---- */

BAD_CASE(dup3, same_fd) {
  int fd = regular_file_fd();
  return same_fd_result(dup3(fd, fd, 0), fd);
}
BAD_CASE(dup3, same_closed_fd) {
  int fd = closed_fd();
  return same_fd_result(dup3(fd, fd, 0), fd);
}
BAD_CASE(dup3, same_minus_one) { return same_fd_result(dup3(OPAQUE(-1), OPAQUE(-1), 0), -1); }
BAD_CASE(dup3, bad_flags) { return FD_RESULT(dup3(regular_file_fd(), 100, OPAQUE(0x1))); }
BAD_CASE(dup3, negative_flags) { return FD_RESULT(dup3(regular_file_fd(), 100, OPAQUE(-1))); }
BAD_CASE(dup3, o_nonblock_flag) {
  return FD_RESULT(dup3(regular_file_fd(), 100, OPAQUE(O_NONBLOCK)));
}
BAD_CASE(dup3, bad_flags_bad_oldfd) { return FD_RESULT(dup3(closed_fd(), 100, OPAQUE(0x1))); }
BAD_CASE(dup3, minus_one_oldfd) { return FD_RESULT(dup3(OPAQUE(-1), 100, O_CLOEXEC)); }
BAD_CASE(dup3, closed_oldfd) { return FD_RESULT(dup3(closed_fd(), 100, 0)); }
BAD_CASE(dup3, too_high_oldfd) { return FD_RESULT(dup3(too_high_fd(), 100, 0)); }
BAD_CASE(dup3, newfd_minus_one) { return FD_RESULT(dup3(regular_file_fd(), OPAQUE(-1), 0)); }
BAD_CASE(dup3, newfd_too_high) {
  return FD_RESULT(dup3(regular_file_fd(), too_high_fd(), O_CLOEXEC));
}
/* Onto an fd sprig keeps: natively flags, then oldfd == newfd, then the
 * fds decide. */
BAD_CASE(dup3, sprig_high_fd) {
  int newfd = highest_fd();
  return same_fd_result(dup3(regular_file_fd(), newfd, O_CLOEXEC), newfd);
}
BAD_CASE(dup3, sprig_high_fd_bad_flags) {
  return FD_RESULT(dup3(regular_file_fd(), highest_fd(), OPAQUE(0x1)));
}
BAD_CASE(dup3, sprig_high_fd_bad_oldfd) { return FD_RESULT(dup3(closed_fd(), highest_fd(), 0)); }
BAD_CASE(dup3, sprig_high_fd_same) {
  int fd = highest_fd();
  return same_fd_result(dup3(fd, fd, 0), fd);
}
BAD_CASE(dup3, sprig_epoll_fd_bad_flags) {
  return FD_RESULT(dup3(regular_file_fd(), epoll_fd(), OPAQUE(-1)));
}
BAD_CASE(dup3, sprig_epoll_fd_bad_oldfd) {
  return FD_RESULT(dup3(OPAQUE(-1), epoll_fd(), O_CLOEXEC));
}

/* ---- fcntl and fcntl64 (one function on x86-64 glibc; sprig exports both) ---- */

#define FCNTL_CASES(fcntl)                                                                         \
  BAD_CASE(fcntl, getfl_minus_one) { return SYSCALL_RESULT(fcntl(OPAQUE(-1), F_GETFL)); }          \
  BAD_CASE(fcntl, getfl_closed_fd) { return SYSCALL_RESULT(fcntl(closed_fd(), F_GETFL)); }         \
  BAD_CASE(fcntl, getfl_too_high_fd) { return SYSCALL_RESULT(fcntl(too_high_fd(), F_GETFL)); }     \
  BAD_CASE(fcntl, setfl_minus_one) {                                                               \
    return SYSCALL_RESULT(fcntl(OPAQUE(-1), F_SETFL, O_NONBLOCK));                                 \
  }                                                                                                \
  BAD_CASE(fcntl, setfl_closed_fd) {                                                               \
    return SYSCALL_RESULT(fcntl(closed_fd(), F_SETFL, O_NONBLOCK));                                \
  }                                                                                                \
  BAD_CASE(fcntl, setfl_too_high_fd) { return SYSCALL_RESULT(fcntl(too_high_fd(), F_SETFL, 0)); }  \
  BAD_CASE(fcntl, bad_command) { return SYSCALL_RESULT(fcntl(tcp_socket(), OPAQUE(9999))); }       \
  BAD_CASE(fcntl, negative_command) { return SYSCALL_RESULT(fcntl(tcp_socket(), OPAQUE(-1))); }    \
  BAD_CASE(fcntl, bad_command_minus_one) {                                                         \
    return SYSCALL_RESULT(fcntl(OPAQUE(-1), OPAQUE(9999)));                                        \
  }                                                                                                \
  /* F_SETFL with every bit: O_DIRECT is refused on a socket. */                                   \
  BAD_CASE(fcntl, setfl_all_bits) {                                                                \
    return SYSCALL_RESULT(fcntl(tcp_socket(), F_SETFL, OPAQUE(-1)));                               \
  }                                                                                                \
  BAD_CASE(fcntl, setfl_all_bits_pipe) {                                                           \
    return SYSCALL_RESULT(fcntl(pipe_reader(0), F_SETFL, OPAQUE(-1)));                             \
  }                                                                                                \
  /* Access mode and creation bits are ignored, O_APPEND is kept: the flags                        \
   * read back after such an F_SETFL. */                                                           \
  BAD_CASE(fcntl, getfl_after_odd_setfl) {                                                         \
    int fd = tcp_socket();                                                                         \
    if (fcntl(fd, F_SETFL, O_RDONLY | O_CREAT | O_EXCL | O_TRUNC | O_APPEND) != 0) {               \
      fixture_failed("F_SETFL");                                                                   \
    }                                                                                              \
    return SYSCALL_RESULT(fcntl(fd, F_GETFL));                                                     \
  }                                                                                                \
  BAD_CASE(fcntl, getfl_after_failed_setfl) {                                                      \
    int fd = tcp_socket();                                                                         \
    if (fcntl(fd, F_SETFL, O_NONBLOCK | O_DIRECT) == 0) {                                          \
      fixture_failed("F_SETFL O_DIRECT succeeded");                                                \
    }                                                                                              \
    return SYSCALL_RESULT(fcntl(fd, F_GETFL));                                                     \
  }                                                                                                \
  /* An F_SETFL on fd -1 first, then the flags of a blocking socket. */                            \
  BAD_CASE(fcntl, getfl_after_setfl_minus_one) {                                                   \
    int fd = tcp_socket();                                                                         \
    if (fcntl(OPAQUE(-1), F_SETFL, 0) != -1) {                                                     \
      fixture_failed("F_SETFL -1 succeeded");                                                      \
    }                                                                                              \
    return SYSCALL_RESULT(fcntl(fd, F_GETFL));                                                     \
  }                                                                                                \
  BAD_CASE(fcntl, dupfd_negative_min) {                                                            \
    return FD_RESULT(fcntl(tcp_socket(), F_DUPFD, OPAQUE(-1)));                                    \
  }                                                                                                \
  BAD_CASE(fcntl, dupfd_too_high_min) {                                                            \
    return FD_RESULT(fcntl(tcp_socket(), F_DUPFD, too_high_fd()));                                 \
  }                                                                                                \
  BAD_CASE(fcntl, dupfd_int_max_min) {                                                             \
    return FD_RESULT(fcntl(tcp_socket(), F_DUPFD, OPAQUE(INT_MAX)));                               \
  }                                                                                                \
  BAD_CASE(fcntl, dupfd_cloexec_negative_min) {                                                    \
    return FD_RESULT(fcntl(tcp_socket(), F_DUPFD_CLOEXEC, OPAQUE(INT_MIN)));                       \
  }                                                                                                \
  BAD_CASE(fcntl, dupfd_minus_one) { return FD_RESULT(fcntl(OPAQUE(-1), F_DUPFD, 0)); }            \
  BAD_CASE(fcntl, dupfd_closed_fd) { return FD_RESULT(fcntl(closed_fd(), F_DUPFD_CLOEXEC, 0)); }   \
  BAD_CASE(fcntl, setlk_null) {                                                                    \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_SETLK, OPAQUE((struct flock *)NULL)));        \
  }                                                                                                \
  BAD_CASE(fcntl, setlk_unmapped) {                                                                \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_SETLK, unmapped_page()));                     \
  }                                                                                                \
  BAD_CASE(fcntl, setlkw_null) {                                                                   \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_SETLKW, OPAQUE((struct flock *)NULL)));       \
  }                                                                                                \
  BAD_CASE(fcntl, getlk_readonly) {                                                                \
    struct flock *lock = readonly_page(); /* zeroes: F_RDLCK of the whole file */                  \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_GETLK, lock));                                \
  }                                                                                                \
  BAD_CASE(fcntl, setlk_bad_type) {                                                                \
    struct flock lock = {.l_type = OPAQUE((short)99), .l_whence = SEEK_SET};                       \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_SETLK, &lock));                               \
  }                                                                                                \
  BAD_CASE(fcntl, setlk_bad_whence) {                                                              \
    struct flock lock = {.l_type = F_WRLCK, .l_whence = OPAQUE((short)99)};                        \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_SETLK, &lock));                               \
  }                                                                                                \
  BAD_CASE(fcntl, setlk_negative_start) {                                                          \
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = OPAQUE(-10L)};        \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_SETLK, &lock));                               \
  }                                                                                                \
  BAD_CASE(fcntl, setlk_write_lock_readonly_fd) {                                                  \
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};                                 \
    return SYSCALL_RESULT(fcntl(directory_fd(), F_SETLK, &lock));                                  \
  }                                                                                                \
  BAD_CASE(fcntl, setlk_minus_one) {                                                               \
    struct flock lock = {.l_type = F_RDLCK, .l_whence = SEEK_SET};                                 \
    return SYSCALL_RESULT(fcntl(OPAQUE(-1), F_SETLK, &lock));                                      \
  }                                                                                                \
  BAD_CASE(fcntl, ofd_setlk_nonzero_pid) {                                                         \
    struct flock lock = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = OPAQUE(1)};             \
    return SYSCALL_RESULT(fcntl(regular_file_fd(), F_OFD_SETLK, &lock));                           \
  }                                                                                                \
  BAD_CASE(fcntl, setpipe_sz_socket) {                                                             \
    return SYSCALL_RESULT(fcntl(tcp_socket(), F_SETPIPE_SZ, 65536));                               \
  }                                                                                                \
  BAD_CASE(fcntl, setpipe_sz_negative) {                                                           \
    return SYSCALL_RESULT(fcntl(pipe_reader(0), F_SETPIPE_SZ, OPAQUE(-1)));                        \
  }

FCNTL_CASES(fcntl)
FCNTL_CASES(fcntl64)

/* ---- fdopen ---- */

BAD_CASE(fdopen, bad_mode) { return POINTER_RESULT(fdopen(regular_file_fd(), "z")); }
BAD_CASE(fdopen, empty_mode) { return POINTER_RESULT(fdopen(regular_file_fd(), "")); }
BAD_CASE(fdopen, null_mode) {
  return POINTER_RESULT(fdopen(regular_file_fd(), OPAQUE((const char *)NULL)));
}
BAD_CASE(fdopen, unmapped_mode) {
  return POINTER_RESULT(fdopen(regular_file_fd(), unmapped_page()));
}
BAD_CASE(fdopen, socket_bad_mode) { return POINTER_RESULT(fdopen(tcp_socket(), "z")); }
BAD_CASE(fdopen, socket_empty_mode) { return POINTER_RESULT(fdopen(tcp_socket(), "")); }
BAD_CASE(fdopen, socket_null_mode) {
  return POINTER_RESULT(fdopen(tcp_socket(), OPAQUE((const char *)NULL)));
}
BAD_CASE(fdopen, socket_unmapped_mode) {
  return POINTER_RESULT(fdopen(tcp_socket(), unmapped_page()));
}
BAD_CASE(fdopen, minus_one) { return POINTER_RESULT(fdopen(OPAQUE(-1), "r")); }
BAD_CASE(fdopen, closed_fd) { return POINTER_RESULT(fdopen(closed_fd(), "r")); }
BAD_CASE(fdopen, too_high_fd) { return POINTER_RESULT(fdopen(too_high_fd(), "r")); }
BAD_CASE(fdopen, closed_fd_bad_mode) { return POINTER_RESULT(fdopen(closed_fd(), "z")); }
/* A mode the fd's access mode does not allow: EINVAL. */
BAD_CASE(fdopen, write_pipe_read_end) { return POINTER_RESULT(fdopen(pipe_reader(0), "w")); }
BAD_CASE(fdopen, read_pipe_write_end) { return POINTER_RESULT(fdopen(pipe_writer(0), "r")); }
BAD_CASE(fdopen, update_pipe_read_end) { return POINTER_RESULT(fdopen(pipe_reader(0), "r+")); }
BAD_CASE(fdopen, append_foreign_pipe_read_end) {
  return POINTER_RESULT(fdopen(pipe_reader(1), "a"));
}
BAD_CASE(fdopen, write_directory) { return POINTER_RESULT(fdopen(directory_fd(), "w")); }
/* "a" sets O_APPEND on the fd (glibc's fdopen): the flags read back. */
BAD_CASE(fdopen, socket_append_mode_flags) {
  int fd = tcp_socket();
  if (fdopen(fd, "a") == NULL) {
    fixture_failed("fdopen");
  }
  return SYSCALL_RESULT(fcntl(fd, F_GETFL));
}
