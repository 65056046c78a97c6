/* cases_multiplex_select.c - bad inputs to select and pselect: negative and huge nfds, nfds past
 * the sets' end, unmapped and read-only sets and timeouts, bad timeouts and signal masks, closed
 * fds in a set. (poll, ppoll and epoll are in cases_multiplex.c.) */
#include "bad_input.h"

#include <limits.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>

/* ---- fixtures of this file ---- */

/* An fd_set (FD_SETSIZE bits) holding `fd` (none if fd < 0), ending where the mapping ends: a
 * call that reads past FD_SETSIZE bits faults. */
static fd_set *set_at_end(int fd) {
  fd_set *set = end_of_mapping(sizeof *set);
  FD_ZERO(set);
  if (fd >= 0) {
    FD_SET(fd, set);
  }
  return set;
}

/* A read-only fd_set holding `fd`. */
static fd_set *readonly_set(int fd) {
  fd_set set;
  FD_ZERO(&set);
  FD_SET(fd, &set);
  return readonly_copy(&set, sizeof set);
}

static struct timeval zero_timeval(void) { return (struct timeval){0, 0}; }

/* ---- select ---- */

BAD_CASE(select, nfds_negative) {
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(select(OPAQUE(-1), NULL, NULL, NULL, &timeout));
}
BAD_CASE(select, nfds_negative_null_timeout) {
  return SYSCALL_RESULT(select(OPAQUE(-1), NULL, NULL, NULL, NULL));
}
BAD_CASE(select, nfds_negative_timeout_unmapped) {
  return SYSCALL_RESULT(select(OPAQUE(-1), NULL, NULL, NULL, unmapped_page()));
}
BAD_CASE(select, nfds_negative_timeout_readonly) { /* glibc writes the time left back, even then */
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(
      select(OPAQUE(-1), NULL, NULL, NULL, readonly_copy(&timeout, sizeof timeout)));
}
/* Linux lowers nfds to the size of the fd table: the sets are read no further. */
BAD_CASE(select, nfds_int_max) {
  int fd = readable_pipe(0);
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(select(OPAQUE(INT_MAX), set_at_end(fd), NULL, NULL, &timeout));
}
BAD_CASE(select, nfds_int_max_null_timeout) {
  return SYSCALL_RESULT(select(OPAQUE(INT_MAX), set_at_end(readable_pipe(0)), NULL, NULL, NULL));
}
BAD_CASE(select, nfds_1025_past_sets) {
  int fd = readable_pipe(0);
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(
      select(OPAQUE(FD_SETSIZE + 1), set_at_end(fd), set_at_end(-1), NULL, &timeout));
}
BAD_CASE(select, nfds_zero_sets_unmapped) {
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(select(0, unmapped_page(), unmapped_page(), unmapped_page(), &timeout));
}
BAD_CASE(select, readfds_unmapped) {
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(select(8, unmapped_page(), NULL, NULL, &timeout));
}
BAD_CASE(select, writefds_unmapped_null_timeout) {
  return SYSCALL_RESULT(select(8, NULL, unmapped_page(), NULL, NULL));
}
BAD_CASE(select, exceptfds_unmapped) {
  struct timeval timeout = {0, 20000};
  return SYSCALL_RESULT(select(8, NULL, NULL, unmapped_page(), &timeout));
}
BAD_CASE(select, readfds_readonly_ready) {
  int fd = readable_pipe(0);
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(select(fd + 1, readonly_set(fd), NULL, NULL, &timeout));
}
BAD_CASE(select, readfds_readonly_not_ready) { /* the kernel clears the set: a write */
  int fds[2];
  make_pipe(fds);
  struct timeval timeout = {0, 20000};
  return SYSCALL_RESULT(select(fds[0] + 1, readonly_set(fds[0]), NULL, NULL, &timeout));
}
BAD_CASE(select, timeout_unmapped) {
  int fd = readable_pipe(0);
  return SYSCALL_RESULT(select(fd + 1, set_at_end(fd), NULL, NULL, unmapped_page()));
}
BAD_CASE(select, timeout_readonly) {
  int fd = readable_pipe(0);
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(
      select(fd + 1, set_at_end(fd), NULL, NULL, readonly_copy(&timeout, sizeof timeout)));
}
BAD_CASE(select, tv_usec_negative) {
  struct timeval timeout = {0, -1};
  return SYSCALL_RESULT(select(0, NULL, NULL, NULL, &timeout));
}
BAD_CASE(select, tv_sec_negative) {
  struct timeval timeout = {-1, 0};
  return SYSCALL_RESULT(select(0, NULL, NULL, NULL, &timeout));
}
/* tv_usec 1.2e6 is 1.2 s: the timer fires at 20 ms; prints rc * 10 + 1 if the time left written
 * back is normalised (tv_usec below 1e6) and between 0 and 1.2 s. */
BAD_CASE(select, tv_usec_above_1e6) {
  int fd = timer_fd(20);
  struct timeval timeout = {0, 1200000};
  int rc = select(fd + 1, set_at_end(fd), NULL, NULL, &timeout);
  long left = timeout.tv_sec * 1000000L + timeout.tv_usec;
  return bad_result(OUTCOME_SYSCALL,
                    rc < 0 ? rc
                           : rc * 10L + (timeout.tv_usec >= 0 && timeout.tv_usec < 1000000 &&
                                         left > 0 && left < 1200000));
}
/* glibc keeps 32 bits of tv_usec: 2^32 + 20000 us is 20 ms there. */
BAD_CASE(select, tv_usec_above_int32) {
  int fds[2];
  make_pipe(fds);
  struct timeval timeout = {0, (1L << 32) + 20000};
  return SYSCALL_RESULT(select(fds[0] + 1, set_at_end(fds[0]), NULL, NULL, &timeout));
}
/* 18446744074 s (584 years) times 1e9 passes 2^64 by 0.29 s; the timer fires at 600 ms. */
BAD_CASE(select, tv_sec_huge_ready_later) {
  int fd = timer_fd(600);
  struct timeval timeout = {18446744074L, 0};
  return SYSCALL_RESULT(select(fd + 1, set_at_end(fd), NULL, NULL, &timeout));
}
BAD_CASE(select, closed_fd_in_readfds) {
  int fd = closed_fd();
  struct timeval timeout = zero_timeval();
  return SYSCALL_RESULT(select(fd + 1, set_at_end(fd), NULL, NULL, &timeout));
}
BAD_CASE(select, closed_fd_in_writefds_null_timeout) {
  int fd = closed_fd();
  return SYSCALL_RESULT(select(fd + 1, NULL, set_at_end(fd), NULL, NULL));
}
BAD_CASE(select, closed_fd_in_exceptfds_beside_ready) {
  int ready = readable_pipe(0), fd = closed_fd();
  return SYSCALL_RESULT(select(FD_SETSIZE, set_at_end(ready), NULL, set_at_end(fd), NULL));
}
/* An fd above the fd table's size: Linux lowers nfds below it and never sees the bit. */
BAD_CASE(select, closed_fd_above_fd_table) {
  struct timeval timeout = {0, 20000};
  return SYSCALL_RESULT(select(FD_SETSIZE, set_at_end(FD_SETSIZE - 1), NULL, NULL, &timeout));
}
/* Prints rc * 10 + 1 if the time left written back is above 0 and below the 500 ms asked. */
BAD_CASE(select, time_left_written_back) {
  int fd = timer_fd(50);
  struct timeval timeout = {0, 500000};
  int rc = select(fd + 1, set_at_end(fd), NULL, NULL, &timeout);
  return bad_result(OUTCOME_SYSCALL, rc < 0
                                         ? rc
                                         : rc * 10L + (timeout.tv_sec == 0 && timeout.tv_usec > 0 &&
                                                       timeout.tv_usec < 500000));
}
/* Prints rc * 10 + 1 if the timeout written back is zero. */
BAD_CASE(select, timeout_expired_written_back) {
  int fds[2];
  make_pipe(fds);
  struct timeval timeout = {0, 20000};
  int rc = select(fds[0] + 1, set_at_end(fds[0]), NULL, NULL, &timeout);
  return bad_result(OUTCOME_SYSCALL,
                    rc < 0 ? rc : rc * 10L + (timeout.tv_sec == 0 && timeout.tv_usec == 0));
}

/* ---- pselect ---- */

static const struct timespec zero_timespec = {0, 0};

BAD_CASE(pselect, nfds_negative) {
  return SYSCALL_RESULT(pselect(OPAQUE(-1), NULL, NULL, NULL, &zero_timespec, NULL));
}
BAD_CASE(pselect, nfds_negative_timeout_unmapped) { /* glibc copies the timeout first */
  return SYSCALL_RESULT(pselect(OPAQUE(-1), NULL, NULL, NULL, unmapped_page(), NULL));
}
BAD_CASE(pselect, nfds_negative_sigmask_unmapped) { /* Linux reads the mask before nfds */
  return SYSCALL_RESULT(pselect(OPAQUE(-1), NULL, NULL, NULL, &zero_timespec, unmapped_page()));
}
BAD_CASE(pselect, nfds_int_max) {
  return SYSCALL_RESULT(
      pselect(OPAQUE(INT_MAX), set_at_end(readable_pipe(0)), NULL, NULL, &zero_timespec, NULL));
}
BAD_CASE(pselect, nfds_1025_past_sets) {
  return SYSCALL_RESULT(pselect(OPAQUE(FD_SETSIZE + 1), set_at_end(readable_pipe(0)), NULL, NULL,
                                &zero_timespec, NULL));
}
BAD_CASE(pselect, readfds_unmapped) {
  return SYSCALL_RESULT(pselect(8, unmapped_page(), NULL, NULL, &zero_timespec, NULL));
}
BAD_CASE(pselect, writefds_readonly_ready) {
  int fds[2];
  make_pipe(fds);
  return SYSCALL_RESULT(pselect(fds[1] + 1, NULL, readonly_set(fds[1]), NULL, NULL, NULL));
}
BAD_CASE(pselect, timeout_unmapped) {
  return SYSCALL_RESULT(
      pselect(8, set_at_end(readable_pipe(0)), NULL, NULL, unmapped_page(), NULL));
}
BAD_CASE(pselect, timeout_readonly) { /* pselect does not write the time left back */
  int fds[2];
  make_pipe(fds);
  struct timespec timeout = {0, 20000000};
  return SYSCALL_RESULT(pselect(fds[0] + 1, set_at_end(fds[0]), NULL, NULL,
                                readonly_copy(&timeout, sizeof timeout), NULL));
}
BAD_CASE(pselect, tv_nsec_1e9) {
  struct timespec timeout = {0, 1000000000};
  return SYSCALL_RESULT(pselect(8, set_at_end(readable_pipe(0)), NULL, NULL, &timeout, NULL));
}
BAD_CASE(pselect, tv_nsec_negative) {
  struct timespec timeout = {0, -1};
  return SYSCALL_RESULT(pselect(8, set_at_end(readable_pipe(0)), NULL, NULL, &timeout, NULL));
}
BAD_CASE(pselect, tv_sec_negative) {
  struct timespec timeout = {-1, 0};
  return SYSCALL_RESULT(pselect(0, NULL, NULL, NULL, &timeout, NULL));
}
BAD_CASE(pselect, tv_sec_huge_ready_later) {
  int fd = timer_fd(600);
  struct timespec timeout = {18446744074L, 0};
  return SYSCALL_RESULT(pselect(fd + 1, set_at_end(fd), NULL, NULL, &timeout, NULL));
}
BAD_CASE(pselect, sigmask_unmapped) {
  int fd = readable_pipe(0);
  return SYSCALL_RESULT(
      pselect(fd + 1, set_at_end(fd), NULL, NULL, &zero_timespec, unmapped_page()));
}
BAD_CASE(pselect, sigmask_unmapped_null_timeout) {
  int fd = readable_pipe(0);
  return SYSCALL_RESULT(pselect(fd + 1, set_at_end(fd), NULL, NULL, NULL, unmapped_page()));
}
BAD_CASE(pselect, closed_fd_in_readfds) {
  int fd = closed_fd();
  sigset_t mask;
  sigemptyset(&mask);
  return SYSCALL_RESULT(pselect(fd + 1, set_at_end(fd), NULL, NULL, &zero_timespec, &mask));
}
BAD_CASE(pselect, closed_fd_in_readfds_null_timeout) {
  int fd = closed_fd();
  return SYSCALL_RESULT(pselect(fd + 1, set_at_end(fd), NULL, NULL, NULL, NULL));
}
