/* cases_fds_ioctl_setsockopt.c - bad inputs to ioctl and setsockopt: bad fds, FIONBIO / FIONREAD
 * argument pointers, unknown requests, bad levels and names, and bad SO_RCVTIMEO / SO_SNDTIMEO
 * timevals and lengths. (pipe, close, dup*, fcntl and fdopen are in cases_fds.c.) */
#include "bad_input.h"

#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

/* ---- ioctl ---- */

BAD_CASE(ioctl, fionbio_null) {
  return SYSCALL_RESULT(ioctl(tcp_socket(), FIONBIO, OPAQUE((int *)NULL)));
}
BAD_CASE(ioctl, fionbio_unmapped) {
  return SYSCALL_RESULT(ioctl(tcp_socket(), FIONBIO, unmapped_page()));
}
BAD_CASE(ioctl, fionbio_readonly) {
  return SYSCALL_RESULT(ioctl(tcp_socket(), FIONBIO, readonly_page()));
}
BAD_CASE(ioctl, fionbio_unmapped_pipe) {
  return SYSCALL_RESULT(ioctl(pipe_reader(0), FIONBIO, unmapped_page()));
}
BAD_CASE(ioctl, fionbio_unmapped_regular_file) {
  return SYSCALL_RESULT(ioctl(regular_file_fd(), FIONBIO, unmapped_page()));
}
BAD_CASE(ioctl, fionbio_minus_one) {
  int on = 1;
  return SYSCALL_RESULT(ioctl(OPAQUE(-1), FIONBIO, &on));
}
BAD_CASE(ioctl, fionbio_closed_fd) {
  int on = 1;
  return SYSCALL_RESULT(ioctl(closed_fd(), FIONBIO, &on));
}
BAD_CASE(ioctl, fionbio_closed_fd_unmapped) {
  return SYSCALL_RESULT(ioctl(closed_fd(), FIONBIO, unmapped_page()));
}
BAD_CASE(ioctl, fionbio_too_high_fd) {
  int on = 1;
  return SYSCALL_RESULT(ioctl(too_high_fd(), FIONBIO, &on));
}
BAD_CASE(ioctl, fionread_null) {
  return SYSCALL_RESULT(ioctl(tcp_client(0), FIONREAD, OPAQUE((int *)NULL)));
}
BAD_CASE(ioctl, fionread_unmapped) {
  return SYSCALL_RESULT(ioctl(tcp_client(0), FIONREAD, unmapped_page()));
}
BAD_CASE(ioctl, fionread_readonly) {
  return SYSCALL_RESULT(ioctl(tcp_client(0), FIONREAD, readonly_page()));
}
BAD_CASE(ioctl, fionread_readonly_pipe) {
  return SYSCALL_RESULT(ioctl(pipe_reader(0), FIONREAD, readonly_page()));
}
BAD_CASE(ioctl, fionread_listener) {
  int count = 0;
  return SYSCALL_RESULT(ioctl(make_listener(), FIONREAD, &count));
}
BAD_CASE(ioctl, fionread_directory) {
  int count = 0;
  return SYSCALL_RESULT(ioctl(directory_fd(), FIONREAD, &count));
}
BAD_CASE(ioctl, fionread_minus_one) {
  int count = 0;
  return SYSCALL_RESULT(ioctl(OPAQUE(-1), FIONREAD, &count));
}
BAD_CASE(ioctl, fionread_closed_fd) {
  int count = 0;
  return SYSCALL_RESULT(ioctl(closed_fd(), FIONREAD, &count));
}
BAD_CASE(ioctl, fionread_too_high_fd) {
  int count = 0;
  return SYSCALL_RESULT(ioctl(too_high_fd(), FIONREAD, &count));
}
BAD_CASE(ioctl, unknown_request_socket) {
  int value = 0;
  return SYSCALL_RESULT(ioctl(tcp_socket(), OPAQUE(0xdeadbeefUL), &value));
}
BAD_CASE(ioctl, unknown_request_pipe) {
  int value = 0;
  return SYSCALL_RESULT(ioctl(pipe_reader(0), OPAQUE(0xdeadbeefUL), &value));
}
BAD_CASE(ioctl, unknown_request_minus_one) {
  int value = 0;
  return SYSCALL_RESULT(ioctl(OPAQUE(-1), OPAQUE(0xdeadbeefUL), &value));
}

/* ---- setsockopt ---- */

static int set_timeval(int fd, int name, long seconds, long micros, socklen_t length) {
  struct timeval timeout[4] = {{.tv_sec = seconds, .tv_usec = micros}};
  return setsockopt(fd, SOL_SOCKET, name, timeout, OPAQUE(length));
}

BAD_CASE(setsockopt, rcvtimeo_null) {
  return SYSCALL_RESULT(setsockopt(tcp_socket(), SOL_SOCKET, SO_RCVTIMEO, OPAQUE((void *)NULL),
                                   sizeof(struct timeval)));
}
BAD_CASE(setsockopt, sndtimeo_null) {
  return SYSCALL_RESULT(setsockopt(tcp_socket(), SOL_SOCKET, SO_SNDTIMEO, OPAQUE((void *)NULL),
                                   sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_unmapped) {
  return SYSCALL_RESULT(
      setsockopt(tcp_socket(), SOL_SOCKET, SO_RCVTIMEO, unmapped_page(), sizeof(struct timeval)));
}
BAD_CASE(setsockopt, sndtimeo_unmapped) {
  return SYSCALL_RESULT(
      setsockopt(tcp_socket(), SOL_SOCKET, SO_SNDTIMEO, unmapped_page(), sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_short_length) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_RCVTIMEO, 1, 0, 8));
}
BAD_CASE(setsockopt, sndtimeo_zero_length) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_SNDTIMEO, 1, 0, 0));
}
BAD_CASE(setsockopt, rcvtimeo_long_length) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_RCVTIMEO, 1, 0, 4 * sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_negative_sec) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_RCVTIMEO, -1, 0, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, sndtimeo_negative_sec) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_SNDTIMEO, -1, 0, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_usec_too_big) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_RCVTIMEO, 0, 1000000, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, sndtimeo_usec_too_big) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_SNDTIMEO, 0, 1000000, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_negative_usec) {
  return SYSCALL_RESULT(set_timeval(tcp_socket(), SO_RCVTIMEO, 1, -1, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_pipe) {
  return SYSCALL_RESULT(set_timeval(pipe_reader(0), SO_RCVTIMEO, 1, 0, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, sndtimeo_regular_file) {
  return SYSCALL_RESULT(set_timeval(regular_file_fd(), SO_SNDTIMEO, 1, 0, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_minus_one) {
  return SYSCALL_RESULT(set_timeval(OPAQUE(-1), SO_RCVTIMEO, 1, 0, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_closed_fd) {
  return SYSCALL_RESULT(set_timeval(closed_fd(), SO_RCVTIMEO, 1, 0, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, rcvtimeo_too_high_fd) {
  return SYSCALL_RESULT(set_timeval(too_high_fd(), SO_RCVTIMEO, 1, 0, sizeof(struct timeval)));
}
BAD_CASE(setsockopt, bad_level) {
  int one = 1;
  return SYSCALL_RESULT(setsockopt(tcp_socket(), OPAQUE(12345), SO_REUSEADDR, &one, sizeof one));
}
BAD_CASE(setsockopt, bad_name) {
  int one = 1;
  return SYSCALL_RESULT(setsockopt(tcp_socket(), SOL_SOCKET, OPAQUE(9999), &one, sizeof one));
}
BAD_CASE(setsockopt, bad_tcp_name) {
  int one = 1;
  return SYSCALL_RESULT(setsockopt(tcp_socket(), IPPROTO_TCP, OPAQUE(9999), &one, sizeof one));
}
BAD_CASE(setsockopt, int_option_short_length) {
  int one = 1;
  return SYSCALL_RESULT(setsockopt(tcp_socket(), SOL_SOCKET, SO_REUSEADDR, &one, OPAQUE(2u)));
}
