/* cases_epoll_ctl.c - bad inputs to epoll_ctl: bad epoll and target fds, bad operations and event
 * pointers, EPOLLEXCLUSIVE where the kernel refuses it; and waits on a set with an EPOLLEXCLUSIVE
 * entry, which sprig makes on libuv's thread pool. */
#include "bad_input.h"

#include <sys/epoll.h>
#include <unistd.h>

static struct epoll_event g_event = {.events = EPOLLIN};

static int epoll_set(void) {
  int epfd = epoll_create1(0);
  if (epfd < 0) {
    fixture_failed("epoll_create1");
  }
  return epfd;
}

static int ctl(int epfd, int op, int fd, struct epoll_event *event) {
  return epoll_ctl(epfd, op, fd, event);
}

BAD_CASE(epoll_ctl, epfd_negative) {
  return SYSCALL_RESULT(ctl(OPAQUE(-1), EPOLL_CTL_ADD, pipe_reader(0), &g_event));
}
BAD_CASE(epoll_ctl, epfd_closed) {
  return SYSCALL_RESULT(ctl(closed_fd(), EPOLL_CTL_ADD, pipe_reader(0), &g_event));
}
BAD_CASE(epoll_ctl, epfd_too_high) {
  return SYSCALL_RESULT(ctl(too_high_fd(), EPOLL_CTL_ADD, pipe_reader(0), &g_event));
}
BAD_CASE(epoll_ctl, epfd_pipe) {
  return SYSCALL_RESULT(ctl(pipe_reader(0), EPOLL_CTL_ADD, pipe_reader(0), &g_event));
}
BAD_CASE(epoll_ctl, fd_negative) {
  return SYSCALL_RESULT(ctl(epoll_set(), EPOLL_CTL_ADD, OPAQUE(-1), &g_event));
}
BAD_CASE(epoll_ctl, fd_closed) {
  int epfd = epoll_set(); /* first, so that it does not take the closed number */
  return SYSCALL_RESULT(ctl(epfd, EPOLL_CTL_ADD, closed_fd(), &g_event));
}
BAD_CASE(epoll_ctl, fd_regular_file) {
  return SYSCALL_RESULT(ctl(epoll_set(), EPOLL_CTL_ADD, regular_file_fd(), &g_event));
}
BAD_CASE(epoll_ctl, fd_is_epfd) {
  int epfd = epoll_set();
  return SYSCALL_RESULT(ctl(epfd, EPOLL_CTL_ADD, epfd, &g_event));
}
BAD_CASE(epoll_ctl, bad_op) {
  return SYSCALL_RESULT(ctl(epoll_set(), OPAQUE(12345), pipe_reader(0), &g_event));
}
BAD_CASE(epoll_ctl, add_null_event) {
  return SYSCALL_RESULT(
      ctl(epoll_set(), EPOLL_CTL_ADD, pipe_reader(0), OPAQUE((struct epoll_event *)NULL)));
}
BAD_CASE(epoll_ctl, add_unmapped_event) {
  return SYSCALL_RESULT(ctl(epoll_set(), EPOLL_CTL_ADD, pipe_reader(0), unmapped_page()));
}
BAD_CASE(epoll_ctl, del_null_event) {
  int epfd = epoll_set();
  int fd = pipe_reader(0);
  if (ctl(epfd, EPOLL_CTL_ADD, fd, &g_event) != 0) {
    fixture_failed("epoll_ctl add");
  }
  return SYSCALL_RESULT(ctl(epfd, EPOLL_CTL_DEL, fd, OPAQUE((struct epoll_event *)NULL)));
}
BAD_CASE(epoll_ctl, add_twice) {
  int epfd = epoll_set();
  int fd = pipe_reader(0);
  if (ctl(epfd, EPOLL_CTL_ADD, fd, &g_event) != 0) {
    fixture_failed("epoll_ctl add");
  }
  return SYSCALL_RESULT(ctl(epfd, EPOLL_CTL_ADD, fd, &g_event));
}
BAD_CASE(epoll_ctl, mod_absent) {
  return SYSCALL_RESULT(ctl(epoll_set(), EPOLL_CTL_MOD, pipe_reader(0), &g_event));
}
BAD_CASE(epoll_ctl, del_absent) {
  return SYSCALL_RESULT(ctl(epoll_set(), EPOLL_CTL_DEL, pipe_reader(0), &g_event));
}
BAD_CASE(epoll_ctl, exclusive_with_oneshot) {
  struct epoll_event event = {.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT};
  return SYSCALL_RESULT(ctl(epoll_set(), EPOLL_CTL_ADD, pipe_reader(0), &event));
}
BAD_CASE(epoll_ctl, exclusive_on_epoll_fd) {
  struct epoll_event event = {.events = EPOLLIN | EPOLLEXCLUSIVE};
  return SYSCALL_RESULT(ctl(epoll_set(), EPOLL_CTL_ADD, epoll_set(), &event));
}
BAD_CASE(epoll_ctl, mod_to_exclusive) {
  int epfd = epoll_set();
  int fd = pipe_reader(0);
  if (ctl(epfd, EPOLL_CTL_ADD, fd, &g_event) != 0) {
    fixture_failed("epoll_ctl add");
  }
  struct epoll_event event = {.events = EPOLLIN | EPOLLEXCLUSIVE};
  return SYSCALL_RESULT(ctl(epfd, EPOLL_CTL_MOD, fd, &event));
}

/* A set with an EPOLLEXCLUSIVE entry: a wait that times out, one that finds
 * its event at once, one that gets it later, and a bad events pointer. */
static int exclusive_set(int fd) {
  int epfd = epoll_set();
  struct epoll_event event = {.events = EPOLLIN | EPOLLEXCLUSIVE};
  if (ctl(epfd, EPOLL_CTL_ADD, fd, &event) != 0) {
    fixture_failed("epoll_ctl EPOLLEXCLUSIVE");
  }
  return epfd;
}

BAD_CASE(epoll_ctl, exclusive_wait_times_out) {
  struct epoll_event events[2];
  return SYSCALL_RESULT(epoll_wait(exclusive_set(pipe_reader(0)), events, 2, 50));
}
BAD_CASE(epoll_ctl, exclusive_wait_ready) {
  struct epoll_event events[2];
  return SYSCALL_RESULT(epoll_wait(exclusive_set(readable_pipe(0)), events, 2, 1000));
}
BAD_CASE(epoll_ctl, exclusive_wait_ready_later) {
  struct epoll_event events[2];
  return SYSCALL_RESULT(epoll_wait(exclusive_set(timer_fd(50)), events, 2, 1000));
}
BAD_CASE(epoll_ctl, exclusive_wait_unmapped_events_later) {
  return SYSCALL_RESULT(epoll_wait(exclusive_set(timer_fd(50)), unmapped_page(), 2, 1000));
}
BAD_CASE(epoll_ctl, exclusive_pwait_maxevents_zero) {
  struct epoll_event events[2];
  return SYSCALL_RESULT(epoll_pwait(exclusive_set(pipe_reader(0)), events, OPAQUE(0), 50, NULL));
}
