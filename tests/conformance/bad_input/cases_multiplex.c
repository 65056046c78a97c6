/* cases_multiplex.c - bad inputs to poll, __poll_chk, ppoll and the epoll waits: NULL, unmapped and
 * read-only arrays, counts past RLIMIT_NOFILE, negative and bad fds, bad timeouts and signal masks,
 * and EPOLLEXCLUSIVE across processes. select and pselect are in cases_multiplex_select.c. */
#include "bad_input.h"

#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);

/* ---- fixtures of this file ---- */

static nfds_t nofile_limit(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    fixture_failed("getrlimit");
  }
  return (nfds_t)limit.rlim_cur;
}

/* `count` entries of fd -1, ending where the mapping ends. */
static struct pollfd *unused_pollfds(nfds_t count) {
  struct pollfd *fds = end_of_mapping(count * sizeof *fds);
  for (nfds_t index = 0; index < count; ++index) {
    fds[index].fd = -1;
  }
  return fds;
}

/* One entry watching `fd` for `events`, ending where the mapping ends (nothing readable after it).
 */
static struct pollfd *one_pollfd(int fd, short events) {
  struct pollfd *entry = end_of_mapping(sizeof *entry);
  entry->fd = fd;
  entry->events = events;
  return entry;
}

/* rc of a poll over one entry, and its revents: -1 and errno, else rc * 1000 + revents. */
static struct outcome revents_result(int rc, const struct pollfd *entry) {
  return bad_result(OUTCOME_SYSCALL, rc < 0 ? rc : rc * 1000L + entry->revents);
}

/* ---- poll ---- */

BAD_CASE(poll, null_fds_zero_nfds) {
  return SYSCALL_RESULT(poll(OPAQUE((struct pollfd *)NULL), 0, 0));
}
BAD_CASE(poll, null_fds_zero_nfds_timeout) {
  return SYSCALL_RESULT(poll(OPAQUE((struct pollfd *)NULL), 0, 20));
}
BAD_CASE(poll, null_fds_one_nfds) {
  return SYSCALL_RESULT(poll(OPAQUE((struct pollfd *)NULL), 1, 0));
}
BAD_CASE(poll, null_fds_one_nfds_timeout) {
  return SYSCALL_RESULT(poll(OPAQUE((struct pollfd *)NULL), 1, 20));
}
BAD_CASE(poll, unmapped_fds) { return SYSCALL_RESULT(poll(unmapped_page(), 1, 0)); }
BAD_CASE(poll, unmapped_fds_timeout) { return SYSCALL_RESULT(poll(unmapped_page(), 1, 20)); }
BAD_CASE(poll, readonly_fds_ready) {
  struct pollfd entry = {readable_pipe(0), POLLIN, 0};
  return SYSCALL_RESULT(poll(readonly_copy(&entry, sizeof entry), 1, 0));
}
BAD_CASE(poll, readonly_fds_ready_timeout) {
  struct pollfd entry = {readable_pipe(0), POLLIN, 0};
  return SYSCALL_RESULT(poll(readonly_copy(&entry, sizeof entry), 1, -1));
}
BAD_CASE(poll, readonly_fds_not_ready_timeout) {
  int fds[2];
  make_pipe(fds);
  struct pollfd entry = {fds[0], POLLIN, 0};
  return SYSCALL_RESULT(poll(readonly_copy(&entry, sizeof entry), 1, 20));
}
BAD_CASE(poll, readonly_fds_negative_fd) { /* revents is written even for an ignored entry */
  struct pollfd entry = {-1, POLLIN, 0};
  return SYSCALL_RESULT(poll(readonly_copy(&entry, sizeof entry), 1, 0));
}
BAD_CASE(poll, nfds_max) { return SYSCALL_RESULT(poll(unused_pollfds(4), OPAQUE((nfds_t)-1), 0)); }
BAD_CASE(poll, nfds_max_timeout) {
  return SYSCALL_RESULT(poll(unused_pollfds(4), OPAQUE((nfds_t)-1), 20));
}
BAD_CASE(poll, nfds_above_rlimit) {
  nfds_t count = nofile_limit() + 1;
  return SYSCALL_RESULT(poll(unused_pollfds(count), OPAQUE(count), 0));
}
BAD_CASE(poll, nfds_above_rlimit_timeout) {
  nfds_t count = nofile_limit() + 1;
  return SYSCALL_RESULT(poll(unused_pollfds(count), OPAQUE(count), 20));
}
BAD_CASE(poll, nfds_at_rlimit_timeout) {
  nfds_t count = nofile_limit();
  return SYSCALL_RESULT(poll(unused_pollfds(count), OPAQUE(count), 20));
}
BAD_CASE(poll, negative_fds_ignored) {
  struct pollfd fds[3] = {
      {-1, POLLIN, 0}, {readable_pipe(0), POLLIN, 0}, {-5, POLLIN | POLLOUT, 0}};
  int rc = poll(fds, 3, -1);
  return bad_result(OUTCOME_SYSCALL, rc < 0 ? rc : rc * 1000L + fds[0].revents + fds[2].revents);
}
BAD_CASE(poll, negative_fds_only_timeout) {
  struct pollfd fds[2] = {{-1, POLLIN, 0}, {INT_MIN, POLLOUT, 0}};
  return SYSCALL_RESULT(poll(fds, 2, 20));
}
BAD_CASE(poll, closed_fd) {
  struct pollfd *entry = one_pollfd(closed_fd(), POLLIN);
  return revents_result(poll(entry, 1, 0), entry);
}
BAD_CASE(poll, closed_fd_timeout_infinite) {
  struct pollfd *entry = one_pollfd(closed_fd(), POLLIN);
  return revents_result(poll(entry, 1, -1), entry);
}
BAD_CASE(poll, too_high_fd_timeout) {
  struct pollfd *entry = one_pollfd(too_high_fd(), POLLIN | POLLOUT);
  return revents_result(poll(entry, 1, 20), entry);
}
BAD_CASE(poll, closed_fd_beside_ready) {
  struct pollfd fds[2] = {{readable_pipe(0), POLLIN, 0}, {closed_fd(), POLLIN, 0}};
  int rc = poll(fds, 2, 0);
  return bad_result(OUTCOME_SYSCALL, rc < 0 ? rc : rc * 1000L + fds[1].revents);
}
BAD_CASE(poll, foreign_pipe_write_end_for_input) {
  int fds[2];
  make_foreign_pipe(fds);
  struct pollfd *entry = one_pollfd(fds[1], POLLIN);
  return revents_result(poll(entry, 1, 20), entry);
}
BAD_CASE(poll, hangup_without_events) {
  int fds[2];
  make_pipe(fds);
  close(fds[1]);
  struct pollfd *entry = one_pollfd(fds[0], 0);
  return revents_result(poll(entry, 1, -1), entry);
}
BAD_CASE(poll, regular_file_timeout_infinite) {
  struct pollfd *entry = one_pollfd(regular_file_fd(), POLLIN | POLLOUT);
  return revents_result(poll(entry, 1, -1), entry);
}
BAD_CASE(poll, all_event_bits_timeout) {
  int fds[2];
  make_pipe(fds);
  struct pollfd *entry = one_pollfd(fds[0], (short)-1);
  return revents_result(poll(entry, 1, 20), entry);
}
BAD_CASE(poll, timeout_zero_nothing_ready) {
  int fds[2];
  make_pipe(fds);
  struct pollfd *entry = one_pollfd(fds[0], POLLIN);
  return revents_result(poll(entry, 1, 0), entry);
}
BAD_CASE(poll, timeout_negative_ready) {
  struct pollfd *entry = one_pollfd(readable_pipe(0), POLLIN);
  return revents_result(poll(entry, 1, OPAQUE(-5)), entry);
}
BAD_CASE(poll, timeout_negative_ready_later) { /* the timer fires after 50 ms */
  struct pollfd *entry = one_pollfd(timer_fd(50), POLLIN);
  return revents_result(poll(entry, 1, OPAQUE(-5)), entry);
}

/* ---- __poll_chk (fdslen is the array's size in bytes) ---- */

BAD_CASE(__poll_chk, null_fds_zero_nfds) {
  return SYSCALL_RESULT(__poll_chk(OPAQUE((struct pollfd *)NULL), 0, 0, 0));
}
BAD_CASE(__poll_chk, null_fds_one_nfds) {
  return SYSCALL_RESULT(__poll_chk(OPAQUE((struct pollfd *)NULL), 1, 0, sizeof(struct pollfd)));
}
BAD_CASE(__poll_chk, null_fds_one_nfds_timeout) {
  return SYSCALL_RESULT(__poll_chk(OPAQUE((struct pollfd *)NULL), 1, 20, sizeof(struct pollfd)));
}
BAD_CASE(__poll_chk, unmapped_fds_timeout) {
  return SYSCALL_RESULT(__poll_chk(unmapped_page(), 1, 20, sizeof(struct pollfd)));
}
BAD_CASE(__poll_chk, readonly_fds) {
  struct pollfd entry = {readable_pipe(0), POLLIN, 0};
  return SYSCALL_RESULT(__poll_chk(readonly_copy(&entry, sizeof entry), 1, -1, sizeof entry));
}
BAD_CASE(__poll_chk, fdslen_too_small) {
  struct pollfd fds[2] = {{-1, POLLIN, 0}, {-1, POLLIN, 0}};
  return SYSCALL_RESULT(__poll_chk(fds, 2, 0, OPAQUE(sizeof fds[0])));
}
BAD_CASE(__poll_chk, nfds_max) {
  return SYSCALL_RESULT(__poll_chk(unused_pollfds(4), OPAQUE((nfds_t)-1), 0, OPAQUE((size_t)-1)));
}
BAD_CASE(__poll_chk, nfds_above_rlimit_timeout) {
  nfds_t count = nofile_limit() + 1;
  return SYSCALL_RESULT(
      __poll_chk(unused_pollfds(count), OPAQUE(count), 20, count * sizeof(struct pollfd)));
}
BAD_CASE(__poll_chk, closed_fd_timeout) {
  struct pollfd *entry = one_pollfd(closed_fd(), POLLIN);
  return revents_result(__poll_chk(entry, 1, 20, sizeof *entry), entry);
}

/* ---- ppoll ---- */

static const struct timespec zero_timeout = {0, 0};

BAD_CASE(ppoll, null_fds_zero_nfds) {
  return SYSCALL_RESULT(ppoll(OPAQUE((struct pollfd *)NULL), 0, &zero_timeout, NULL));
}
BAD_CASE(ppoll, null_fds_one_nfds) {
  return SYSCALL_RESULT(ppoll(OPAQUE((struct pollfd *)NULL), 1, &zero_timeout, NULL));
}
BAD_CASE(ppoll, unmapped_fds) {
  return SYSCALL_RESULT(ppoll(unmapped_page(), 1, &zero_timeout, NULL));
}
BAD_CASE(ppoll, readonly_fds) {
  struct pollfd entry = {readable_pipe(0), POLLIN, 0};
  return SYSCALL_RESULT(ppoll(readonly_copy(&entry, sizeof entry), 1, NULL, NULL));
}
BAD_CASE(ppoll, nfds_max) {
  return SYSCALL_RESULT(ppoll(unused_pollfds(4), OPAQUE((nfds_t)-1), &zero_timeout, NULL));
}
BAD_CASE(ppoll, nfds_above_rlimit) {
  nfds_t count = nofile_limit() + 1;
  return SYSCALL_RESULT(ppoll(unused_pollfds(count), OPAQUE(count), &zero_timeout, NULL));
}
BAD_CASE(ppoll, negative_fds_ignored) {
  struct pollfd fds[2] = {{-1, POLLIN, 0}, {readable_pipe(0), POLLIN, 0}};
  return SYSCALL_RESULT(ppoll(fds, 2, NULL, NULL));
}
BAD_CASE(ppoll, closed_fd_null_timeout) {
  struct pollfd *entry = one_pollfd(closed_fd(), POLLIN);
  return revents_result(ppoll(entry, 1, NULL, NULL), entry);
}
BAD_CASE(ppoll, timeout_unmapped) {
  struct pollfd *entry = one_pollfd(readable_pipe(0), POLLIN);
  return SYSCALL_RESULT(ppoll(entry, 1, unmapped_page(), NULL));
}
BAD_CASE(ppoll, timeout_readonly) { /* ppoll does not write the time left back */
  int fds[2];
  make_pipe(fds);
  struct timespec timeout = {0, 20000000};
  return SYSCALL_RESULT(
      ppoll(one_pollfd(fds[0], POLLIN), 1, readonly_copy(&timeout, sizeof timeout), NULL));
}
BAD_CASE(ppoll, tv_nsec_1e9) {
  struct timespec timeout = {0, 1000000000};
  return SYSCALL_RESULT(ppoll(one_pollfd(readable_pipe(0), POLLIN), 1, &timeout, NULL));
}
BAD_CASE(ppoll, tv_nsec_negative) {
  struct timespec timeout = {0, -1};
  return SYSCALL_RESULT(ppoll(one_pollfd(readable_pipe(0), POLLIN), 1, &timeout, NULL));
}
BAD_CASE(ppoll, tv_sec_negative) {
  struct timespec timeout = {-1, 0};
  return SYSCALL_RESULT(ppoll(one_pollfd(readable_pipe(0), POLLIN), 1, &timeout, NULL));
}
BAD_CASE(ppoll, tv_sec_negative_null_fds) { /* the timeout is checked before the array */
  struct timespec timeout = {-1, 0};
  return SYSCALL_RESULT(ppoll(OPAQUE((struct pollfd *)NULL), 1, &timeout, NULL));
}
/* 18446744074 s (584 years) times 1e9 passes 2^64 by 0.29 s; the timer fires at 600 ms. */
BAD_CASE(ppoll, tv_sec_huge_ready_later) {
  struct timespec timeout = {18446744074L, 0};
  struct pollfd *entry = one_pollfd(timer_fd(600), POLLIN);
  return revents_result(ppoll(entry, 1, &timeout, NULL), entry);
}
BAD_CASE(ppoll, sigmask_unmapped) {
  return SYSCALL_RESULT(
      ppoll(one_pollfd(readable_pipe(0), POLLIN), 1, &zero_timeout, unmapped_page()));
}
BAD_CASE(ppoll, sigmask_unmapped_null_fds) { /* the mask is read before the array */
  return SYSCALL_RESULT(ppoll(OPAQUE((struct pollfd *)NULL), 1, &zero_timeout, unmapped_page()));
}
BAD_CASE(ppoll, sigmask_unmapped_bad_timeout) {
  struct timespec timeout = {0, -1};
  return SYSCALL_RESULT(ppoll(one_pollfd(readable_pipe(0), POLLIN), 1, &timeout, unmapped_page()));
}

/* ---- epoll_wait, epoll_pwait ---- */

/* An epoll instance watching a pipe that has a byte to read. */
static int epoll_with_event(void) {
  int epfd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN};
  if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, readable_pipe(0), &event) != 0) {
    fixture_failed("epoll_with_event");
  }
  return epfd;
}

static int epoll_without_event(void) {
  int fds[2];
  make_pipe(fds);
  int epfd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN};
  if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &event) != 0) {
    fixture_failed("epoll_without_event");
  }
  return epfd;
}

static struct epoll_event events[4];

BAD_CASE(epoll_wait, epfd_negative) {
  return SYSCALL_RESULT(epoll_wait(OPAQUE(-1), events, 4, 20));
}
BAD_CASE(epoll_wait, epfd_closed) { return SYSCALL_RESULT(epoll_wait(closed_fd(), events, 4, 20)); }
BAD_CASE(epoll_wait, epfd_too_high) {
  return SYSCALL_RESULT(epoll_wait(too_high_fd(), events, 4, -1));
}
BAD_CASE(epoll_wait, epfd_pipe) {
  return SYSCALL_RESULT(epoll_wait(readable_pipe(0), events, 4, 20));
}
BAD_CASE(epoll_wait, epfd_foreign_pipe) {
  int fds[2];
  make_foreign_pipe(fds);
  return SYSCALL_RESULT(epoll_wait(fds[0], events, 4, -1));
}
BAD_CASE(epoll_wait, epfd_regular_file) {
  return SYSCALL_RESULT(epoll_wait(regular_file_fd(), events, 4, 0));
}
BAD_CASE(epoll_wait, maxevents_zero) {
  return SYSCALL_RESULT(epoll_wait(epoll_with_event(), events, OPAQUE(0), 20));
}
BAD_CASE(epoll_wait, maxevents_negative) {
  return SYSCALL_RESULT(epoll_wait(epoll_with_event(), events, OPAQUE(-1), 0));
}
BAD_CASE(epoll_wait, maxevents_int_max) {
  return SYSCALL_RESULT(epoll_wait(epoll_without_event(), events, OPAQUE(INT_MAX), -1));
}
BAD_CASE(epoll_wait, events_null_ready) {
  return SYSCALL_RESULT(epoll_wait(epoll_with_event(), OPAQUE((struct epoll_event *)NULL), 4, 20));
}
BAD_CASE(epoll_wait, events_null_not_ready) {
  return SYSCALL_RESULT(
      epoll_wait(epoll_without_event(), OPAQUE((struct epoll_event *)NULL), 4, 20));
}
BAD_CASE(epoll_wait, events_unmapped_ready) {
  return SYSCALL_RESULT(epoll_wait(epoll_with_event(), unmapped_page(), 4, 0));
}
BAD_CASE(epoll_wait, events_readonly_ready) {
  return SYSCALL_RESULT(epoll_wait(epoll_with_event(), readonly_page(), 4, -1));
}
BAD_CASE(epoll_wait, events_kernel_address) {
  struct epoll_event *kernel = OPAQUE((struct epoll_event *)0xffff800000000000UL);
  return SYSCALL_RESULT(epoll_wait(epoll_without_event(), kernel, 4, -1));
}
BAD_CASE(epoll_wait, timeout_zero_not_ready) {
  return SYSCALL_RESULT(epoll_wait(epoll_without_event(), events, 4, 0));
}
BAD_CASE(epoll_wait, timeout_positive_not_ready) {
  return SYSCALL_RESULT(epoll_wait(epoll_without_event(), events, 4, 20));
}
BAD_CASE(epoll_wait, timeout_negative_ready) {
  return SYSCALL_RESULT(epoll_wait(epoll_with_event(), events, 4, OPAQUE(-5)));
}
BAD_CASE(epoll_wait, timeout_positive_ready_later) { /* the timer fires after 50 ms */
  int epfd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN};
  if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, timer_fd(50), &event) != 0) {
    fixture_failed("epoll_ctl");
  }
  return SYSCALL_RESULT(epoll_wait(epfd, events, 4, 1000));
}

/* ---- EPOLLEXCLUSIVE: children with an epoll instance each on one listening socket ---- */

enum { kExclusiveChildren = 4 };

/* True once every thread of `pid` sleeps (state S). */
static int all_threads_sleep(pid_t pid) {
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *tasks = opendir(path);
  if (tasks == NULL) {
    fixture_failed("opendir /proc/pid/task");
  }
  int threads = 0, sleeping = 0;
  for (struct dirent *task; (task = readdir(tasks)) != NULL;) {
    if (task->d_name[0] == '.') {
      continue;
    }
    char stat_path[400], line[512] = "";
    snprintf(stat_path, sizeof stat_path, "%s/%s/stat", path, task->d_name);
    FILE *stat = fopen(stat_path, "r");
    if (stat != NULL) {
      if (fgets(line, sizeof line, stat) == NULL) {
        line[0] = '\0';
      }
      fclose(stat);
    }
    char *close_paren = strrchr(line, ')');
    threads += 1;
    sleeping += close_paren != NULL && close_paren[1] == ' ' && close_paren[2] == 'S';
  }
  closedir(tasks);
  return threads > 0 && threads == sleeping;
}

/* The number of children woken by one connection: natively one (exclusive wake-up). */
BAD_CASE(epoll_wait, exclusive_wakes_one_of_many) {
  int listener = make_listener();
  int ready[2], report[2];
  make_pipe(ready);
  make_pipe(report);
  pid_t children[kExclusiveChildren];
  for (int index = 0; index < kExclusiveChildren; ++index) {
    children[index] = fork();
    if (children[index] < 0) {
      fixture_failed("fork");
    }
    if (children[index] == 0) {
      int epfd = epoll_create1(0);
      struct epoll_event event = {.events = EPOLLIN | EPOLLEXCLUSIVE}, got;
      if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event) != 0) {
        _exit(98);
      }
      write_fully(ready[1], "r", 1);
      int rc = epoll_wait(epfd, &got, 1, 900);
      write_fully(report[1], rc == 1 ? "w" : rc == 0 ? "t" : "e", 1);
      _exit(0);
    }
  }
  char byte;
  for (int index = 0; index < kExclusiveChildren; ++index) {
    if (read(ready[0], &byte, 1) != 1) {
      fixture_failed("read ready");
    }
  }
  for (int index = 0; index < kExclusiveChildren; ++index) {
    for (int round = 0; round < 100 && !all_threads_sleep(children[index]); ++round) {
      usleep(2000);
    }
  }
  usleep(20000); /* asleep in the epoll wait, not on the way to it */
  struct sockaddr address;
  socklen_t length = sizeof address;
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (getsockname(listener, &address, &length) != 0 || client < 0 ||
      connect(client, &address, length) != 0) {
    fixture_failed("connect");
  }
  long woken = 0;
  for (int index = 0; index < kExclusiveChildren; ++index) {
    int status;
    if (waitpid(children[index], &status, 0) != children[index] || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0 || read(report[0], &byte, 1) != 1) {
      fixture_failed("child");
    }
    woken += byte == 'w' ? 1 : byte == 'e' ? 100 : 0;
  }
  return bad_result(OUTCOME_SYSCALL, woken);
}

BAD_CASE(epoll_pwait, epfd_negative) {
  return SYSCALL_RESULT(epoll_pwait(OPAQUE(-1), events, 4, 20, NULL));
}
BAD_CASE(epoll_pwait, epfd_pipe) {
  return SYSCALL_RESULT(epoll_pwait(readable_pipe(0), events, 4, -1, NULL));
}
BAD_CASE(epoll_pwait, maxevents_zero) {
  return SYSCALL_RESULT(epoll_pwait(epoll_with_event(), events, OPAQUE(0), 20, NULL));
}
BAD_CASE(epoll_pwait, events_readonly_ready) {
  return SYSCALL_RESULT(epoll_pwait(epoll_with_event(), readonly_page(), 4, 20, NULL));
}
BAD_CASE(epoll_pwait, events_null_not_ready) {
  return SYSCALL_RESULT(
      epoll_pwait(epoll_without_event(), OPAQUE((struct epoll_event *)NULL), 4, 20, NULL));
}
BAD_CASE(epoll_pwait, timeout_positive_not_ready) {
  sigset_t mask;
  sigemptyset(&mask);
  return SYSCALL_RESULT(epoll_pwait(epoll_without_event(), events, 4, 20, &mask));
}
BAD_CASE(epoll_pwait, sigmask_unmapped) {
  return SYSCALL_RESULT(epoll_pwait(epoll_with_event(), events, 4, 0, unmapped_page()));
}
BAD_CASE(epoll_pwait, sigmask_unmapped_timeout) {
  return SYSCALL_RESULT(epoll_pwait(epoll_without_event(), events, 4, 20, unmapped_page()));
}
BAD_CASE(epoll_pwait, sigmask_unmapped_epfd_negative) { /* the mask is read before the fd */
  return SYSCALL_RESULT(epoll_pwait(OPAQUE(-1), events, 4, 0, unmapped_page()));
}
