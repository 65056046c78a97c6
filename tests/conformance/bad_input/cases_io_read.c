/* cases_io_read.c - bad inputs for the receive side: read, readv, recv, recvfrom, recvmsg, recvmmsg
 * and the fortified __read_chk, __recv_chk, __recvfrom_chk. "foreign" fds come from raw system
 * calls sprig never saw, as inherited ones do. */
#include "bad_input.h"

#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* The fortified entry points (glibc declares them only under _FORTIFY_SOURCE). */
extern ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
extern ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
extern ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                              struct sockaddr *addr, socklen_t *addrlen);

static char g_buf[256];
static struct iovec g_iov = {g_buf, sizeof g_buf};

#define NULLP OPAQUE((void *)NULL)

/* ---- fixtures of this file ---- */

/* The client end of a TCP pair with "hello" readable. */
static int tcp_data(int foreign) {
  int fds[2];
  any_tcp_pair(fds, foreign);
  write_fully(fds[1], "hello", 5);
  wait_for(fds[0], POLLIN);
  return fds[0];
}

/* One end of an AF_UNIX pair with "hello" readable. */
static int unix_data(void) {
  int fds[2];
  make_unix_pair(fds);
  write_fully(fds[1], "hello", 5);
  return fds[0];
}

/* The read end of a pipe whose write end is closed. */
static int writerless_pipe(void) {
  int fds[2];
  make_pipe(fds);
  close(fds[1]);
  return fds[0];
}

/* A TCP client whose last read came back short: the stream is empty now. */
static int after_short_read(void) {
  int fd = tcp_data(0);
  if (read(fd, g_buf, 64) != 5) {
    fixture_failed("short read");
  }
  return fd;
}

/* fd with a 100 ms SO_RCVTIMEO. */
static int with_rcvtimeo(int fd) { return set_socket_timeout(fd, SO_RCVTIMEO, 0, 100000); }

/* A TCP socket whose peer sent "hello" and shut its side. */
static int tcp_peer_shut(void) {
  int fds[2];
  make_tcp_pair(fds);
  write_fully(fds[1], "hello", 5);
  shut_down(fds[1], SHUT_WR);
  wait_for(fds[0], POLLRDHUP);
  return fds[0];
}

/* A UDP socket with one datagram of `size` bytes (from itself) waiting. */
static int udp_data(size_t size) {
  static char payload[1024];
  int fd = make_udp_socket();
  struct sockaddr_in self;
  socklen_t length = sizeof self;
  if (getsockname(fd, (struct sockaddr *)&self, &length) != 0 ||
      sendto(fd, payload, size, 0, (struct sockaddr *)&self, length) != (ssize_t)size) {
    fixture_failed("udp sendto self");
  }
  wait_for(fd, POLLIN);
  return fd;
}

/* A UDP socket connected to a port nobody listens on, after a send there: the ICMP
 * port-unreachable has come back (POLLERR). With IP_RECVERR on, the error is also queued on
 * the error queue. */
static int refused_udp(int recverr) {
  int closed = make_udp_socket();
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  if (getsockname(closed, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("getsockname");
  }
  close(closed);
  int fd = make_udp_socket();
  int on = 1;
  if ((recverr && setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on) != 0) ||
      connect(fd, (struct sockaddr *)&address, length) != 0 || send(fd, "ping", 4, 0) != 4) {
    fixture_failed("refused udp");
  }
  wait_for(fd, POLLERR);
  return fd;
}

/* Arguments built in static storage, so that a case fits on a line (with bad_input.h's iov_of,
 * msg_of, named, two_messages): a msghdr and two mmsghdrs over g_iov, an address buffer, a
 * socklen_t, a timeout. */
static struct msghdr *message(void) { return msg_of(&g_iov, 1); }

static struct mmsghdr *messages(void) { return two_messages(&g_iov, 1); }

static struct sockaddr *from(void) {
  static struct sockaddr_storage address;
  return (struct sockaddr *)&address;
}

static socklen_t *length_of(socklen_t value) {
  static socklen_t length;
  length = OPAQUE(value);
  return &length;
}

static struct timespec *timeout_of(long seconds, long nanoseconds) {
  static struct timespec timeout;
  timeout = (struct timespec){OPAQUE(seconds), OPAQUE(nanoseconds)};
  return &timeout;
}

enum { kSin = sizeof(struct sockaddr_in) };

/* ---- read ---- */
SYSCALL_CASE(read, null_buffer, read(readable_pipe(0), NULLP, 5))
SYSCALL_CASE(read, null_buffer_zero_length, read(readable_pipe(0), NULLP, 0))
SYSCALL_CASE(read, unmapped_buffer, read(readable_pipe(0), unmapped_page(), 5))
SYSCALL_CASE(read, readonly_buffer, read(readable_pipe(0), readonly_page(), 5))
SYSCALL_CASE(read, huge_length, read(readable_pipe(0), g_buf, OPAQUE(SIZE_MAX)))
SYSCALL_CASE(read, foreign_pipe_null_buffer, read(readable_pipe(1), NULLP, 5))
SYSCALL_CASE(read, foreign_pipe_readonly_buffer, read(readable_pipe(1), readonly_page(), 5))
SYSCALL_CASE(read, tcp_null_buffer, read(tcp_data(0), NULLP, 5))
SYSCALL_CASE(read, tcp_readonly_buffer, read(tcp_data(0), readonly_page(), 5))
SYSCALL_CASE(read, tcp_huge_length, read(tcp_data(0), g_buf, OPAQUE(SIZE_MAX)))
SYSCALL_CASE(read, tcp_zero_length_no_data, read(tcp_client(0), g_buf, 0))
SYSCALL_CASE(read, tcp_zero_length_after_short_read, read(after_short_read(), g_buf, 0))
SYSCALL_CASE(read, tcp_huge_length_after_short_read,
             read(after_short_read(), g_buf, OPAQUE(SIZE_MAX)))
SYSCALL_CASE(read, tcp_rcvtimeo_no_data, read(with_rcvtimeo(tcp_client(0)), g_buf, 5))
SYSCALL_CASE(read, foreign_tcp_null_buffer, read(tcp_data(1), NULLP, 5))
SYSCALL_CASE(read, foreign_tcp_huge_length, read(tcp_data(1), g_buf, OPAQUE(SIZE_MAX)))
SYSCALL_CASE(read, foreign_tcp_zero_length_no_data, read(tcp_client(1), g_buf, 0))
SYSCALL_CASE(read, negative_fd, read(OPAQUE(-1), g_buf, 5))
SYSCALL_CASE(read, closed_fd, read(closed_fd(), g_buf, 5))
SYSCALL_CASE(read, too_high_fd, read(too_high_fd(), g_buf, 5))
SYSCALL_CASE(read, directory_fd, read(directory_fd(), g_buf, 5))
SYSCALL_CASE(read, regular_file_null_buffer, read(regular_file_fd(), NULLP, 5))
SYSCALL_CASE(read, pipe_write_end, read(pipe_writer(0), g_buf, 5))
SYSCALL_CASE(read, foreign_pipe_write_end, read(pipe_writer(1), g_buf, 5))
SYSCALL_CASE(read, pipe_writer_closed, read(writerless_pipe(), g_buf, 5))
SYSCALL_CASE(read, nonblocking_empty_pipe, read(nonblocking(pipe_reader(0)), g_buf, 5))
SYSCALL_CASE(read, nonblocking_empty_foreign_pipe, read(nonblocking(pipe_reader(1)), g_buf, 5))
SYSCALL_CASE(read, tcp_listener, read(make_listener(), g_buf, 5))
SYSCALL_CASE(read, tcp_unconnected, read(tcp_socket(), g_buf, 5))
SYSCALL_CASE(read, tcp_after_shut_rd, read(shut_down(tcp_client(0), SHUT_RD), g_buf, 5))
SYSCALL_CASE(read, unix_after_shut_rd, read(shut_down(unix_pair_end(), SHUT_RD), g_buf, 5))
SYSCALL_CASE(read, udp_refused, read(refused_udp(0), g_buf, 5))

/* ---- readv ---- */
SYSCALL_CASE(readv, null_iov, readv(readable_pipe(0), NULLP, 1))
SYSCALL_CASE(readv, null_iov_zero_count, readv(readable_pipe(0), NULLP, 0))
SYSCALL_CASE(readv, unmapped_iov, readv(readable_pipe(0), unmapped_page(), 1))
SYSCALL_CASE(readv, unmapped_base, readv(readable_pipe(0), iov_of(unmapped_page(), 5), 1))
SYSCALL_CASE(readv, readonly_base, readv(readable_pipe(0), iov_of(readonly_page(), 5), 1))
SYSCALL_CASE(readv, negative_length, readv(readable_pipe(0), iov_of(g_buf, OPAQUE(SIZE_MAX)), 1))
SYSCALL_CASE(readv, negative_count, readv(readable_pipe(0), &g_iov, OPAQUE(-1)))
SYSCALL_CASE(readv, count_iov_max_plus_one, readv(readable_pipe(0), &g_iov, OPAQUE(IOV_MAX + 1)))
SYSCALL_CASE(readv, count_int_max, readv(readable_pipe(0), &g_iov, OPAQUE(INT_MAX)))
SYSCALL_CASE(readv, foreign_pipe_null_iov, readv(readable_pipe(1), NULLP, 1))
SYSCALL_CASE(readv, tcp_null_iov, readv(tcp_data(0), NULLP, 1))
SYSCALL_CASE(readv, tcp_unmapped_base, readv(tcp_data(0), iov_of(unmapped_page(), 5), 1))
SYSCALL_CASE(readv, tcp_negative_length, readv(tcp_data(0), iov_of(g_buf, OPAQUE(SIZE_MAX)), 1))
SYSCALL_CASE(readv, tcp_negative_count, readv(tcp_data(0), &g_iov, OPAQUE(-1)))
SYSCALL_CASE(readv, tcp_count_iov_max_plus_one, readv(tcp_data(0), &g_iov, OPAQUE(IOV_MAX + 1)))
SYSCALL_CASE(readv, tcp_zero_count_no_data, readv(tcp_client(0), &g_iov, OPAQUE(0)))
SYSCALL_CASE(readv, tcp_zero_count_after_short_read, readv(after_short_read(), &g_iov, OPAQUE(0)))
SYSCALL_CASE(readv, foreign_tcp_negative_count, readv(tcp_data(1), &g_iov, OPAQUE(-1)))
SYSCALL_CASE(readv, foreign_tcp_count_iov_max_plus_one,
             readv(tcp_data(1), &g_iov, OPAQUE(IOV_MAX + 1)))
SYSCALL_CASE(readv, foreign_tcp_zero_count_no_data, readv(tcp_client(1), &g_iov, OPAQUE(0)))
SYSCALL_CASE(readv, negative_fd, readv(OPAQUE(-1), &g_iov, 1))
SYSCALL_CASE(readv, closed_fd, readv(closed_fd(), &g_iov, 1))
SYSCALL_CASE(readv, too_high_fd, readv(too_high_fd(), &g_iov, 1))
SYSCALL_CASE(readv, directory_fd, readv(directory_fd(), &g_iov, 1))
SYSCALL_CASE(readv, pipe_write_end, readv(pipe_writer(0), &g_iov, 1))
SYSCALL_CASE(readv, foreign_pipe_write_end, readv(pipe_writer(1), &g_iov, 1))
SYSCALL_CASE(readv, tcp_after_shut_rd, readv(shut_down(tcp_client(0), SHUT_RD), &g_iov, 1))

/* ---- recv ---- */
SYSCALL_CASE(recv, null_buffer, recv(tcp_data(0), NULLP, 5, 0))
SYSCALL_CASE(recv, null_buffer_zero_length, recv(tcp_data(0), NULLP, 0, 0))
SYSCALL_CASE(recv, unmapped_buffer, recv(tcp_data(0), unmapped_page(), 5, 0))
SYSCALL_CASE(recv, readonly_buffer, recv(tcp_data(0), readonly_page(), 5, 0))
SYSCALL_CASE(recv, huge_length, recv(tcp_data(0), g_buf, OPAQUE(SIZE_MAX), 0))
SYSCALL_CASE(recv, foreign_tcp_null_buffer, recv(tcp_data(1), NULLP, 5, 0))
SYSCALL_CASE(recv, negative_fd, recv(OPAQUE(-1), g_buf, 5, 0))
SYSCALL_CASE(recv, closed_fd, recv(closed_fd(), g_buf, 5, 0))
SYSCALL_CASE(recv, too_high_fd, recv(too_high_fd(), g_buf, 5, 0))
SYSCALL_CASE(recv, regular_file, recv(regular_file_fd(), g_buf, 5, 0))
SYSCALL_CASE(recv, directory_fd, recv(directory_fd(), g_buf, 5, 0))
SYSCALL_CASE(recv, pipe_read_end, recv(readable_pipe(0), g_buf, 5, 0))
SYSCALL_CASE(recv, foreign_pipe_read_end, recv(readable_pipe(1), g_buf, 5, 0))
SYSCALL_CASE(recv, tcp_listener, recv(make_listener(), g_buf, 5, 0))
SYSCALL_CASE(recv, tcp_unconnected, recv(tcp_socket(), g_buf, 5, 0))
SYSCALL_CASE(recv, tcp_after_shut_rd, recv(shut_down(tcp_client(0), SHUT_RD), g_buf, 5, 0))
SYSCALL_CASE(recv, unix_after_shut_rd, recv(shut_down(unix_pair_end(), SHUT_RD), g_buf, 5, 0))
SYSCALL_CASE(recv, udp_refused, recv(refused_udp(0), g_buf, 5, 0))
SYSCALL_CASE(recv, rcvtimeo_no_data, recv(with_rcvtimeo(tcp_client(0)), g_buf, 5, 0))
SYSCALL_CASE(recv, errqueue_no_data, recv(tcp_client(0), g_buf, 5, MSG_ERRQUEUE))
SYSCALL_CASE(recv, errqueue_data_queued, recv(tcp_data(0), g_buf, 5, MSG_ERRQUEUE))
SYSCALL_CASE(recv, errqueue_after_short_read, recv(after_short_read(), g_buf, 5, MSG_ERRQUEUE))
SYSCALL_CASE(recv, foreign_errqueue_data_queued, recv(tcp_data(1), g_buf, 5, MSG_ERRQUEUE))
SYSCALL_CASE(recv, oob_no_urgent_data, recv(tcp_data(0), g_buf, 5, MSG_OOB))
SYSCALL_CASE(recv, oob_nothing_queued, recv(tcp_client(0), g_buf, 5, MSG_OOB))
SYSCALL_CASE(recv, unix_oob_no_urgent_data, recv(unix_data(), g_buf, 5, MSG_OOB))
SYSCALL_CASE(recv, peek, recv(tcp_data(0), g_buf, 64, MSG_PEEK))
SYSCALL_CASE(recv, peek_null_buffer, recv(tcp_data(0), NULLP, 5, MSG_PEEK))
SYSCALL_CASE(recv, dontwait_no_data, recv(tcp_client(0), g_buf, 5, MSG_DONTWAIT))
SYSCALL_CASE(recv, dontwait_no_data_unix, recv(unix_pair_end(), g_buf, 5, MSG_DONTWAIT))
SYSCALL_CASE(recv, dontwait_no_data_foreign, recv(tcp_client(1), g_buf, 5, MSG_DONTWAIT))
SYSCALL_CASE(recv, dontwait_no_data_udp, recv(make_udp_socket(), g_buf, 5, MSG_DONTWAIT))
SYSCALL_CASE(recv, trunc_udp, recv(udp_data(100), g_buf, 4, MSG_TRUNC))
SYSCALL_CASE(recv, trunc_tcp_null_buffer, recv(tcp_data(0), NULLP, 3, MSG_TRUNC))
SYSCALL_CASE(recv, waitall_peer_shut, recv(tcp_peer_shut(), g_buf, 64, MSG_WAITALL))
SYSCALL_CASE(recv, unknown_flag, recv(tcp_data(0), g_buf, 64, OPAQUE(0x400000)))
SYSCALL_CASE(recv, all_flags, recv(tcp_data(0), g_buf, 64, OPAQUE(-1)))

/* ---- recvfrom ---- */
SYSCALL_CASE(recvfrom, null_buffer, recvfrom(udp_data(10), NULLP, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, unmapped_buffer, recvfrom(udp_data(10), unmapped_page(), 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, readonly_buffer, recvfrom(udp_data(10), readonly_page(), 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, address_without_length, recvfrom(udp_data(10), g_buf, 64, 0, from(), NULLP))
SYSCALL_CASE(recvfrom, unmapped_address,
             recvfrom(udp_data(10), g_buf, 64, 0, unmapped_page(), length_of(kSin)))
SYSCALL_CASE(recvfrom, readonly_address,
             recvfrom(udp_data(10), g_buf, 64, 0, readonly_page(), length_of(kSin)))
SYSCALL_CASE(recvfrom, unmapped_length,
             recvfrom(udp_data(10), g_buf, 64, 0, from(), unmapped_page()))
/* the length reads as 0 and cannot be written */
SYSCALL_CASE(recvfrom, readonly_length,
             recvfrom(udp_data(10), g_buf, 64, 0, from(), readonly_page()))
SYSCALL_CASE(recvfrom, negative_length, recvfrom(udp_data(10), g_buf, 64, 0, from(), length_of(-1)))
SYSCALL_CASE(recvfrom, negative_fd, recvfrom(OPAQUE(-1), g_buf, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, closed_fd, recvfrom(closed_fd(), g_buf, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, too_high_fd, recvfrom(too_high_fd(), g_buf, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, regular_file, recvfrom(regular_file_fd(), g_buf, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, foreign_pipe_read_end, recvfrom(readable_pipe(1), g_buf, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, tcp_listener, recvfrom(make_listener(), g_buf, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, tcp_after_shut_rd,
             recvfrom(shut_down(tcp_client(0), SHUT_RD), g_buf, 5, 0, NULL, NULL))
SYSCALL_CASE(recvfrom, errqueue_no_data,
             recvfrom(make_udp_socket(), g_buf, 5, MSG_ERRQUEUE, NULL, NULL))
SYSCALL_CASE(recvfrom, errqueue_data_queued,
             recvfrom(tcp_data(0), g_buf, 5, MSG_ERRQUEUE, NULL, NULL))
SYSCALL_CASE(recvfrom, oob_no_urgent_data, recvfrom(tcp_data(0), g_buf, 5, MSG_OOB, NULL, NULL))
SYSCALL_CASE(recvfrom, dontwait_no_data_udp,
             recvfrom(make_udp_socket(), g_buf, 5, MSG_DONTWAIT, NULL, NULL))
SYSCALL_CASE(recvfrom, trunc_udp, recvfrom(udp_data(100), g_buf, 4, MSG_TRUNC, NULL, NULL))
SYSCALL_CASE(recvfrom, udp_refused, recvfrom(refused_udp(0), g_buf, 5, 0, NULL, NULL))

/* ---- recvmsg ---- */
SYSCALL_CASE(recvmsg, null_msghdr, recvmsg(tcp_data(0), NULLP, 0))
SYSCALL_CASE(recvmsg, unmapped_msghdr, recvmsg(tcp_data(0), unmapped_page(), 0))
/* a zero msghdr (no iov) that cannot be written */
SYSCALL_CASE(recvmsg, readonly_msghdr, recvmsg(tcp_data(0), readonly_page(), 0))
SYSCALL_CASE(recvmsg, null_iov, recvmsg(tcp_data(0), msg_of(NULL, 1), 0))
SYSCALL_CASE(recvmsg, unmapped_iov, recvmsg(tcp_data(0), msg_of(unmapped_page(), 1), 0))
SYSCALL_CASE(recvmsg, readonly_base, recvmsg(tcp_data(0), msg_of(iov_of(readonly_page(), 5), 1), 0))
SYSCALL_CASE(recvmsg, iovlen_iov_max_plus_one, recvmsg(tcp_data(0), msg_of(&g_iov, IOV_MAX + 1), 0))
SYSCALL_CASE(recvmsg, iovlen_huge, recvmsg(tcp_data(0), msg_of(&g_iov, SIZE_MAX), 0))
SYSCALL_CASE(recvmsg, unmapped_name_udp,
             recvmsg(udp_data(10), named(message(), unmapped_page(), kSin), 0))
SYSCALL_CASE(recvmsg, negative_namelen_udp,
             recvmsg(udp_data(10), named(message(), from(), OPAQUE(-1)), 0))
BAD_CASE(recvmsg, unmapped_control_timestamp) {
  int fd = udp_data(10);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on) != 0) {
    fixture_failed("SO_TIMESTAMP");
  }
  struct msghdr *m = message();
  m->msg_control = unmapped_page();
  m->msg_controllen = 64;
  return SYSCALL_RESULT(recvmsg(fd, m, 0));
}
SYSCALL_CASE(recvmsg, negative_fd, recvmsg(OPAQUE(-1), message(), 0))
SYSCALL_CASE(recvmsg, closed_fd, recvmsg(closed_fd(), message(), 0))
SYSCALL_CASE(recvmsg, too_high_fd, recvmsg(too_high_fd(), message(), 0))
SYSCALL_CASE(recvmsg, regular_file, recvmsg(regular_file_fd(), message(), 0))
SYSCALL_CASE(recvmsg, pipe_read_end, recvmsg(readable_pipe(0), message(), 0))
SYSCALL_CASE(recvmsg, tcp_listener, recvmsg(make_listener(), message(), 0))
SYSCALL_CASE(recvmsg, unix_after_shut_rd,
             recvmsg(shut_down(unix_pair_end(), SHUT_RD), message(), 0))
SYSCALL_CASE(recvmsg, errqueue_no_data, recvmsg(tcp_client(0), message(), MSG_ERRQUEUE))
SYSCALL_CASE(recvmsg, errqueue_data_queued, recvmsg(tcp_data(0), message(), MSG_ERRQUEUE))
SYSCALL_CASE(recvmsg, errqueue_udp_error_queued, recvmsg(refused_udp(1), message(), MSG_ERRQUEUE))
SYSCALL_CASE(recvmsg, oob_no_urgent_data, recvmsg(tcp_data(0), message(), MSG_OOB))
SYSCALL_CASE(recvmsg, dontwait_no_data, recvmsg(tcp_client(0), message(), MSG_DONTWAIT))
SYSCALL_CASE(recvmsg, trunc_udp, recvmsg(udp_data(100), msg_of(iov_of(g_buf, 4), 1), MSG_TRUNC))
SYSCALL_CASE(recvmsg, unknown_flag, recvmsg(tcp_data(0), message(), OPAQUE(0x400000)))

/* ---- recvmmsg ---- */
SYSCALL_CASE(recvmmsg, null_msgvec, recvmmsg(udp_data(10), NULLP, 1, 0, NULL))
SYSCALL_CASE(recvmmsg, unmapped_msgvec, recvmmsg(udp_data(10), unmapped_page(), 1, 0, NULL))
/* zero entries (no iov) that cannot be written */
SYSCALL_CASE(recvmmsg, readonly_msgvec, recvmmsg(udp_data(10), readonly_page(), 1, 0, NULL))
SYSCALL_CASE(recvmmsg, zero_vlen, recvmmsg(make_udp_socket(), messages(), OPAQUE(0u), 0, NULL))
SYSCALL_CASE(recvmmsg, huge_vlen_page_end,
             recvmmsg(udp_data(10), message_at_page_end(&g_iov), OPAQUE(UINT_MAX), 0, NULL))
SYSCALL_CASE(recvmmsg, huge_vlen_waitforone,
             recvmmsg(udp_data(10), messages(), OPAQUE(UINT_MAX), MSG_WAITFORONE, NULL))
SYSCALL_CASE(recvmmsg, unmapped_timeout, recvmmsg(udp_data(10), messages(), 1, 0, unmapped_page()))
SYSCALL_CASE(recvmmsg, timeout_nsec_too_big,
             recvmmsg(udp_data(10), messages(), 1, 0, timeout_of(0, 1000000000)))
SYSCALL_CASE(recvmmsg, timeout_nsec_negative,
             recvmmsg(udp_data(10), messages(), 1, 0, timeout_of(0, -1)))
SYSCALL_CASE(recvmmsg, timeout_negative,
             recvmmsg(udp_data(10), messages(), 1, 0, timeout_of(-1, 0)))
SYSCALL_CASE(recvmmsg, timeout_negative_closed_fd,
             recvmmsg(closed_fd(), messages(), 1, 0, timeout_of(-1, 0)))
SYSCALL_CASE(recvmmsg, iovlen_huge,
             recvmmsg(udp_data(10), two_messages(&g_iov, SIZE_MAX), 1, 0, NULL))
SYSCALL_CASE(recvmmsg, negative_fd, recvmmsg(OPAQUE(-1), messages(), 1, 0, NULL))
SYSCALL_CASE(recvmmsg, closed_fd, recvmmsg(closed_fd(), messages(), 1, 0, NULL))
SYSCALL_CASE(recvmmsg, too_high_fd, recvmmsg(too_high_fd(), messages(), 1, 0, NULL))
SYSCALL_CASE(recvmmsg, regular_file, recvmmsg(regular_file_fd(), messages(), 1, 0, NULL))
SYSCALL_CASE(recvmmsg, pipe_read_end, recvmmsg(readable_pipe(0), messages(), 1, 0, NULL))
SYSCALL_CASE(recvmmsg, errqueue_no_data,
             recvmmsg(make_udp_socket(), messages(), 1, MSG_ERRQUEUE, NULL))
SYSCALL_CASE(recvmmsg, errqueue_data_queued,
             recvmmsg(udp_data(10), messages(), 1, MSG_ERRQUEUE, NULL))
SYSCALL_CASE(recvmmsg, dontwait_no_data,
             recvmmsg(make_udp_socket(), messages(), 1, MSG_DONTWAIT, NULL))
BAD_CASE(recvmmsg, trunc_udp) { /* the message's length, as recvmsg would return it */
  struct iovec small = {g_buf, 4};
  struct mmsghdr v = {.msg_hdr = {.msg_iov = &small, .msg_iovlen = 1}};
  int received = recvmmsg(udp_data(100), &v, 1, MSG_TRUNC, NULL);
  return SYSCALL_RESULT(received == 1 ? (long)v.msg_len : received);
}
SYSCALL_CASE(recvmmsg, cmsg_compat_flag,
             recvmmsg(udp_data(10), messages(), 1, OPAQUE((int)0x80000000), NULL))

/* ---- the fortified reads: len > buflen aborts natively ("buffer overflow detected") ---- */
SYSCALL_CASE(__read_chk, length_over_buffer,
             __read_chk(readable_pipe(0), g_buf, 64, OPAQUE((size_t)8)))
SYSCALL_CASE(__read_chk, length_over_buffer_bad_fd,
             __read_chk(OPAQUE(-1), g_buf, 64, OPAQUE((size_t)8)))
SYSCALL_CASE(__read_chk, null_buffer, __read_chk(readable_pipe(0), NULLP, 5, 5))
SYSCALL_CASE(__read_chk, readonly_buffer, __read_chk(readable_pipe(0), readonly_page(), 5, 4096))
SYSCALL_CASE(__read_chk, negative_fd, __read_chk(OPAQUE(-1), g_buf, 5, sizeof g_buf))
SYSCALL_CASE(__read_chk, closed_fd, __read_chk(closed_fd(), g_buf, 5, sizeof g_buf))
SYSCALL_CASE(__read_chk, too_high_fd, __read_chk(too_high_fd(), g_buf, 5, sizeof g_buf))
SYSCALL_CASE(__read_chk, directory_fd, __read_chk(directory_fd(), g_buf, 5, sizeof g_buf))
SYSCALL_CASE(__read_chk, pipe_write_end, __read_chk(pipe_writer(0), g_buf, 5, sizeof g_buf))
SYSCALL_CASE(__recv_chk, length_over_buffer,
             __recv_chk(tcp_data(0), g_buf, 64, OPAQUE((size_t)8), 0))
SYSCALL_CASE(__recv_chk, length_over_buffer_bad_fd,
             __recv_chk(OPAQUE(-1), g_buf, 64, OPAQUE((size_t)8), 0))
SYSCALL_CASE(__recv_chk, null_buffer, __recv_chk(tcp_data(0), NULLP, 5, 5, 0))
SYSCALL_CASE(__recv_chk, unmapped_buffer, __recv_chk(tcp_data(0), unmapped_page(), 5, 4096, 0))
SYSCALL_CASE(__recv_chk, closed_fd, __recv_chk(closed_fd(), g_buf, 5, sizeof g_buf, 0))
SYSCALL_CASE(__recv_chk, regular_file, __recv_chk(regular_file_fd(), g_buf, 5, sizeof g_buf, 0))
SYSCALL_CASE(__recv_chk, errqueue_no_data,
             __recv_chk(tcp_client(0), g_buf, 5, sizeof g_buf, MSG_ERRQUEUE))
SYSCALL_CASE(__recv_chk, oob_no_urgent_data,
             __recv_chk(tcp_data(0), g_buf, 5, sizeof g_buf, MSG_OOB))
SYSCALL_CASE(__recv_chk, dontwait_no_data,
             __recv_chk(tcp_client(0), g_buf, 5, sizeof g_buf, MSG_DONTWAIT))
SYSCALL_CASE(__recvfrom_chk, length_over_buffer,
             __recvfrom_chk(udp_data(10), g_buf, 64, OPAQUE((size_t)8), 0, NULL, NULL))
SYSCALL_CASE(__recvfrom_chk, length_over_buffer_bad_fd,
             __recvfrom_chk(OPAQUE(-1), g_buf, 64, OPAQUE((size_t)8), 0, NULL, NULL))
SYSCALL_CASE(__recvfrom_chk, null_buffer, __recvfrom_chk(udp_data(10), NULLP, 5, 5, 0, NULL, NULL))
SYSCALL_CASE(__recvfrom_chk, unmapped_address,
             __recvfrom_chk(udp_data(10), g_buf, 64, 64, 0, unmapped_page(), length_of(kSin)))
SYSCALL_CASE(__recvfrom_chk, unmapped_length,
             __recvfrom_chk(udp_data(10), g_buf, 64, 64, 0, from(), unmapped_page()))
SYSCALL_CASE(__recvfrom_chk, regular_file,
             __recvfrom_chk(regular_file_fd(), g_buf, 5, 5, 0, NULL, NULL))
SYSCALL_CASE(__recvfrom_chk, errqueue_no_data,
             __recvfrom_chk(make_udp_socket(), g_buf, 5, 5, MSG_ERRQUEUE, NULL, NULL))
SYSCALL_CASE(__recvfrom_chk, dontwait_no_data,
             __recvfrom_chk(make_udp_socket(), g_buf, 5, 5, MSG_DONTWAIT, NULL, NULL))
SYSCALL_CASE(__recvfrom_chk, trunc_udp,
             __recvfrom_chk(udp_data(100), g_buf, 4, 4, MSG_TRUNC, NULL, NULL))
