/* cases_io_write.c - bad inputs for the send side: write, writev, send, sendto, sendmsg, sendmmsg
 * and sendfile. "foreign" fds come from raw system calls sprig never saw, as inherited ones do. */
#include "bad_input.h"

#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static char g_buf[256] = "hello";
static struct iovec g_iov = {g_buf, 5};
static char g_big[70000]; /* more than a UDP datagram holds */

#define NULLP OPAQUE((void *)NULL)

/* ---- fixtures of this file ---- */

/* The write end of a pipe whose read end is closed. */
static int readerless_pipe(int foreign) {
  int fds[2];
  any_pipe(fds, foreign);
  close(fds[0]);
  return fds[1];
}

/* fd, with SIGPIPE ignored from now on. */
static int sigpipe_ignored(int fd) {
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
    fixture_failed("signal SIGPIPE");
  }
  return fd;
}

/* A UDP socket connected to itself; its address is in `self` (if not NULL). */
static int udp_to(struct sockaddr_in *self) {
  struct sockaddr_in ignored;
  self = self != NULL ? self : &ignored;
  int fd = make_udp_socket();
  socklen_t length = sizeof *self;
  if (getsockname(fd, (struct sockaddr *)self, &length) != 0 ||
      connect(fd, (struct sockaddr *)self, length) != 0) {
    fixture_failed("udp connect self");
  }
  return fd;
}

static int connected_udp(void) { return udp_to(NULL); }

/* A UDP socket connected to itself, and its address in static storage (`to`). */
static struct sockaddr_storage g_to;
#define TO ((struct sockaddr *)&g_to)
static int udp_with_to(void) { return udp_to((struct sockaddr_in *)&g_to); }

/* A stream socket whose send buffer is full (optionally with a 100 ms SO_SNDTIMEO). */
static int full(int fd) {
  fill_socket(fd);
  return fd;
}

static int full_with_sndtimeo(int fd) {
  return full(set_socket_timeout(fd, SO_SNDTIMEO, 0, 100000));
}

/* Arguments built in static storage, so that a case fits on a line (with bad_input.h's iov_of,
 * msg_of, named, two_messages): two iovecs, the second unmapped; a msghdr over g_iov, with
 * control data; two mmsghdrs over g_iov, the second's iov unmapped; an offset. */
static struct iovec *second_unmapped(void) {
  static struct iovec two[2];
  two[0] = g_iov;
  two[1] = (struct iovec){unmapped_page(), 5};
  return two;
}

static struct msghdr *message(void) { return msg_of(&g_iov, 1); }

static struct msghdr *with_control(struct msghdr *message, void *control, size_t controllen) {
  message->msg_control = control;
  message->msg_controllen = controllen;
  return message;
}

static struct mmsghdr *messages(void) { return two_messages(&g_iov, 1); }

static struct mmsghdr *second_message_bad(void) {
  struct mmsghdr *two = messages();
  two[1].msg_hdr.msg_iov = unmapped_page();
  return two;
}

static off_t *offset_of(off_t value) {
  static off_t offset;
  offset = OPAQUE(value);
  return &offset;
}

enum { kSin = sizeof(struct sockaddr_in) };

/* ---- write ---- */
SYSCALL_CASE(write, null_buffer, write(pipe_writer(0), NULLP, 5))
SYSCALL_CASE(write, null_buffer_zero_length, write(pipe_writer(0), NULLP, 0))
SYSCALL_CASE(write, unmapped_buffer, write(pipe_writer(0), unmapped_page(), 5))
SYSCALL_CASE(write, huge_length, write(pipe_writer(0), end_of_mapping(16), OPAQUE(SIZE_MAX)))
SYSCALL_CASE(write, foreign_pipe_null_buffer, write(pipe_writer(1), NULLP, 5))
SYSCALL_CASE(write, foreign_pipe_huge_length,
             write(pipe_writer(1), end_of_mapping(16), OPAQUE(SIZE_MAX)))
SYSCALL_CASE(write, tcp_null_buffer, write(tcp_client(0), NULLP, 5))
SYSCALL_CASE(write, tcp_huge_length, write(tcp_client(0), end_of_mapping(16), OPAQUE(SIZE_MAX)))
SYSCALL_CASE(write, foreign_tcp_null_buffer, write(tcp_client(1), NULLP, 5))
SYSCALL_CASE(write, foreign_tcp_huge_length,
             write(tcp_client(1), end_of_mapping(16), OPAQUE(SIZE_MAX)))
SYSCALL_CASE(write, negative_fd, write(OPAQUE(-1), g_buf, 5))
SYSCALL_CASE(write, closed_fd, write(closed_fd(), g_buf, 5))
SYSCALL_CASE(write, too_high_fd, write(too_high_fd(), g_buf, 5))
SYSCALL_CASE(write, directory_fd, write(directory_fd(), g_buf, 5))
SYSCALL_CASE(write, pipe_read_end, write(pipe_reader(0), g_buf, 5))
SYSCALL_CASE(write, foreign_pipe_read_end, write(pipe_reader(1), g_buf, 5))
SYSCALL_CASE(write, pipe_reader_closed, write(readerless_pipe(0), g_buf, 5))
SYSCALL_CASE(write, pipe_reader_closed_sigpipe_ignored,
             write(sigpipe_ignored(readerless_pipe(0)), g_buf, 5))
SYSCALL_CASE(write, pipe_reader_closed_zero_length, write(readerless_pipe(0), g_buf, 0))
SYSCALL_CASE(write, foreign_pipe_reader_closed, write(readerless_pipe(1), g_buf, 5))
SYSCALL_CASE(write, foreign_pipe_reader_closed_sigpipe_ignored,
             write(sigpipe_ignored(readerless_pipe(1)), g_buf, 5))
SYSCALL_CASE(write, tcp_after_shut_wr, write(shut_down(tcp_client(0), SHUT_WR), g_buf, 5))
SYSCALL_CASE(write, tcp_after_shut_wr_sigpipe_ignored,
             write(sigpipe_ignored(shut_down(tcp_client(0), SHUT_WR)), g_buf, 5))
SYSCALL_CASE(write, tcp_after_shut_wr_zero_length,
             write(sigpipe_ignored(shut_down(tcp_client(0), SHUT_WR)), g_buf, 0))
SYSCALL_CASE(write, foreign_tcp_after_shut_wr, write(shut_down(tcp_client(1), SHUT_WR), g_buf, 5))
SYSCALL_CASE(write, unix_after_shut_wr, write(shut_down(unix_pair_end(), SHUT_WR), g_buf, 5))
SYSCALL_CASE(write, unix_after_shut_wr_sigpipe_ignored,
             write(sigpipe_ignored(shut_down(unix_pair_end(), SHUT_WR)), g_buf, 5))
SYSCALL_CASE(write, tcp_listener, write(sigpipe_ignored(make_listener()), g_buf, 5))
SYSCALL_CASE(write, tcp_unconnected, write(sigpipe_ignored(tcp_socket()), g_buf, 5))
SYSCALL_CASE(write, udp_unconnected, write(make_udp_socket(), g_buf, 5))
SYSCALL_CASE(write, udp_too_long, write(connected_udp(), g_big, sizeof g_big))
SYSCALL_CASE(write, full_tcp_nonblocking, write(nonblocking(full(tcp_client(0))), g_buf, 5))
SYSCALL_CASE(write, full_tcp_sndtimeo, write(full_with_sndtimeo(tcp_client(0)), g_buf, 5))
SYSCALL_CASE(write, full_unix_sndtimeo, write(full_with_sndtimeo(unix_pair_end()), g_buf, 5))
SYSCALL_CASE(write, full_tcp_zero_length, write(full(tcp_client(0)), g_buf, 0))
SYSCALL_CASE(write, full_unix_nonblocking, write(nonblocking(full(unix_pair_end())), g_buf, 5))
SYSCALL_CASE(write, full_foreign_tcp_nonblocking, write(nonblocking(full(tcp_client(1))), g_buf, 5))

/* ---- writev ---- */
SYSCALL_CASE(writev, null_iov, writev(pipe_writer(0), NULLP, 1))
SYSCALL_CASE(writev, null_iov_zero_count, writev(pipe_writer(0), NULLP, 0))
SYSCALL_CASE(writev, unmapped_iov, writev(pipe_writer(0), unmapped_page(), 1))
SYSCALL_CASE(writev, unmapped_base, writev(pipe_writer(0), iov_of(unmapped_page(), 5), 1))
SYSCALL_CASE(writev, second_base_unmapped, writev(pipe_writer(0), second_unmapped(), 2))
SYSCALL_CASE(writev, negative_length,
             writev(pipe_writer(0), iov_of(end_of_mapping(16), SIZE_MAX), 1))
SYSCALL_CASE(writev, negative_count, writev(pipe_writer(0), &g_iov, OPAQUE(-1)))
SYSCALL_CASE(writev, count_iov_max_plus_one, writev(pipe_writer(0), &g_iov, OPAQUE(IOV_MAX + 1)))
SYSCALL_CASE(writev, count_int_max, writev(pipe_writer(0), &g_iov, OPAQUE(INT_MAX)))
SYSCALL_CASE(writev, foreign_pipe_null_iov, writev(pipe_writer(1), NULLP, 1))
SYSCALL_CASE(writev, foreign_pipe_second_base_unmapped,
             writev(pipe_writer(1), second_unmapped(), 2))
SYSCALL_CASE(writev, foreign_pipe_negative_length,
             writev(pipe_writer(1), iov_of(end_of_mapping(16), SIZE_MAX), 1))
SYSCALL_CASE(writev, tcp_null_iov, writev(tcp_client(0), NULLP, 1))
SYSCALL_CASE(writev, tcp_unmapped_iov, writev(tcp_client(0), unmapped_page(), 1))
SYSCALL_CASE(writev, tcp_unmapped_base, writev(tcp_client(0), iov_of(unmapped_page(), 5), 1))
SYSCALL_CASE(writev, tcp_second_base_unmapped, writev(tcp_client(0), second_unmapped(), 2))
SYSCALL_CASE(writev, tcp_negative_length,
             writev(tcp_client(0), iov_of(end_of_mapping(16), SIZE_MAX), 1))
SYSCALL_CASE(writev, tcp_negative_count, writev(tcp_client(0), &g_iov, OPAQUE(-1)))
SYSCALL_CASE(writev, tcp_count_iov_max_plus_one, writev(tcp_client(0), &g_iov, OPAQUE(IOV_MAX + 1)))
SYSCALL_CASE(writev, tcp_zero_count_after_shut_wr,
             writev(shut_down(tcp_client(0), SHUT_WR), &g_iov, OPAQUE(0)))
SYSCALL_CASE(writev, foreign_tcp_null_iov, writev(tcp_client(1), NULLP, 1))
SYSCALL_CASE(writev, foreign_tcp_negative_length,
             writev(tcp_client(1), iov_of(end_of_mapping(16), SIZE_MAX), 1))
SYSCALL_CASE(writev, foreign_tcp_zero_count_after_shut_wr,
             writev(shut_down(tcp_client(1), SHUT_WR), &g_iov, OPAQUE(0)))
SYSCALL_CASE(writev, negative_fd, writev(OPAQUE(-1), &g_iov, 1))
SYSCALL_CASE(writev, negative_fd_null_iov, writev(OPAQUE(-1), NULLP, 1))
SYSCALL_CASE(writev, closed_fd, writev(closed_fd(), &g_iov, 1))
SYSCALL_CASE(writev, closed_fd_null_iov, writev(closed_fd(), NULLP, 1))
SYSCALL_CASE(writev, too_high_fd, writev(too_high_fd(), &g_iov, 1))
SYSCALL_CASE(writev, directory_fd, writev(directory_fd(), &g_iov, 1))
SYSCALL_CASE(writev, pipe_read_end, writev(pipe_reader(0), &g_iov, 1))
SYSCALL_CASE(writev, foreign_pipe_read_end, writev(pipe_reader(1), &g_iov, 1))
SYSCALL_CASE(writev, pipe_reader_closed, writev(readerless_pipe(0), &g_iov, 1))
SYSCALL_CASE(writev, pipe_reader_closed_zero_count, writev(readerless_pipe(0), &g_iov, OPAQUE(0)))
SYSCALL_CASE(writev, unix_after_shut_wr, writev(shut_down(unix_pair_end(), SHUT_WR), &g_iov, 1))
SYSCALL_CASE(writev, full_unix_sndtimeo, writev(full_with_sndtimeo(unix_pair_end()), &g_iov, 1))
SYSCALL_CASE(writev, full_tcp_nonblocking, writev(nonblocking(full(tcp_client(0))), &g_iov, 1))

/* ---- send ---- */
SYSCALL_CASE(send, null_buffer, send(tcp_client(0), NULLP, 5, 0))
SYSCALL_CASE(send, null_buffer_zero_length, send(tcp_client(0), NULLP, 0, 0))
SYSCALL_CASE(send, unmapped_buffer, send(tcp_client(0), unmapped_page(), 5, 0))
SYSCALL_CASE(send, huge_length, send(tcp_client(0), end_of_mapping(16), OPAQUE(SIZE_MAX), 0))
SYSCALL_CASE(send, udp_huge_length, send(connected_udp(), g_buf, OPAQUE(SIZE_MAX), 0))
SYSCALL_CASE(send, udp_too_long, send(connected_udp(), g_big, sizeof g_big, 0))
SYSCALL_CASE(send, foreign_tcp_null_buffer, send(tcp_client(1), NULLP, 5, 0))
SYSCALL_CASE(send, negative_fd, send(OPAQUE(-1), g_buf, 5, 0))
SYSCALL_CASE(send, closed_fd, send(closed_fd(), g_buf, 5, 0))
SYSCALL_CASE(send, too_high_fd, send(too_high_fd(), g_buf, 5, 0))
SYSCALL_CASE(send, regular_file, send(regular_file_fd(), g_buf, 5, 0))
SYSCALL_CASE(send, directory_fd, send(directory_fd(), g_buf, 5, 0))
SYSCALL_CASE(send, pipe_write_end, send(pipe_writer(0), g_buf, 5, 0))
SYSCALL_CASE(send, foreign_pipe_write_end, send(pipe_writer(1), g_buf, 5, 0))
SYSCALL_CASE(send, pipe_read_end, send(pipe_reader(0), g_buf, 5, 0))
SYSCALL_CASE(send, tcp_after_shut_wr, send(shut_down(tcp_client(0), SHUT_WR), g_buf, 5, 0))
SYSCALL_CASE(send, tcp_after_shut_wr_nosignal,
             send(shut_down(tcp_client(0), SHUT_WR), g_buf, 5, MSG_NOSIGNAL))
SYSCALL_CASE(send, foreign_tcp_after_shut_wr_nosignal,
             send(shut_down(tcp_client(1), SHUT_WR), g_buf, 5, MSG_NOSIGNAL))
SYSCALL_CASE(send, unix_after_shut_wr_nosignal,
             send(shut_down(unix_pair_end(), SHUT_WR), g_buf, 5, MSG_NOSIGNAL))
SYSCALL_CASE(send, tcp_listener, send(make_listener(), g_buf, 5, MSG_NOSIGNAL))
SYSCALL_CASE(send, tcp_unconnected, send(tcp_socket(), g_buf, 5, MSG_NOSIGNAL))
SYSCALL_CASE(send, udp_unconnected, send(make_udp_socket(), g_buf, 5, 0))
SYSCALL_CASE(send, oob_tcp, send(tcp_client(0), g_buf, 5, MSG_OOB))
SYSCALL_CASE(send, oob_udp, send(connected_udp(), g_buf, 5, MSG_OOB))
SYSCALL_CASE(send, oob_unix, send(unix_pair_end(), g_buf, 5, MSG_OOB))
SYSCALL_CASE(send, errqueue_flag, send(tcp_client(0), g_buf, 5, MSG_ERRQUEUE))
SYSCALL_CASE(send, unknown_flag, send(tcp_client(0), g_buf, 5, OPAQUE(0x400000)))
SYSCALL_CASE(send, full_tcp_dontwait, send(full(tcp_client(0)), g_buf, 5, MSG_DONTWAIT))
SYSCALL_CASE(send, full_tcp_dontwait_zero_length, send(full(tcp_client(0)), g_buf, 0, MSG_DONTWAIT))
SYSCALL_CASE(send, full_tcp_dontwait_unmapped_buffer,
             send(full(tcp_client(0)), unmapped_page(), 5, MSG_DONTWAIT))
SYSCALL_CASE(send, full_unix_dontwait, send(full(unix_pair_end()), g_buf, 5, MSG_DONTWAIT))
SYSCALL_CASE(send, full_foreign_tcp_dontwait, send(full(tcp_client(1)), g_buf, 5, MSG_DONTWAIT))
SYSCALL_CASE(send, full_unix_sndtimeo, send(full_with_sndtimeo(unix_pair_end()), g_buf, 5, 0))

/* ---- sendto ---- */
SYSCALL_CASE(sendto, tcp_unmapped_address,
             sendto(tcp_client(0), g_buf, 5, 0, unmapped_page(), kSin))
SYSCALL_CASE(sendto, tcp_null_address_with_length, sendto(tcp_client(0), g_buf, 5, 0, NULLP, kSin))
SYSCALL_CASE(sendto, tcp_address_length_too_big,
             sendto(tcp_client(0), g_buf, 5, 0, TO, OPAQUE(1000u)))
SYSCALL_CASE(sendto, tcp_address_length_negative,
             sendto(tcp_client(0), g_buf, 5, 0, TO, OPAQUE(-1u)))
SYSCALL_CASE(sendto, foreign_tcp_unmapped_address,
             sendto(tcp_client(1), g_buf, 5, 0, unmapped_page(), kSin))
SYSCALL_CASE(sendto, udp_unmapped_address,
             sendto(make_udp_socket(), g_buf, 5, 0, unmapped_page(), kSin))
SYSCALL_CASE(sendto, udp_null_address, sendto(make_udp_socket(), g_buf, 5, 0, NULLP, kSin))
SYSCALL_CASE(sendto, udp_address_too_short, sendto(udp_with_to(), g_buf, 5, 0, TO, OPAQUE(4u)))
SYSCALL_CASE(sendto, udp_address_length_too_big,
             sendto(udp_with_to(), g_buf, 5, 0, TO, OPAQUE(1000u)))
SYSCALL_CASE(sendto, udp_huge_length, sendto(udp_with_to(), g_buf, OPAQUE(SIZE_MAX), 0, TO, kSin))
SYSCALL_CASE(sendto, udp_oob, sendto(udp_with_to(), g_buf, 5, MSG_OOB, TO, kSin))
BAD_CASE(sendto, udp_wrong_family) {
  int fd = udp_with_to();
  g_to.ss_family = AF_INET6;
  return SYSCALL_RESULT(sendto(fd, g_buf, 5, 0, TO, kSin));
}
SYSCALL_CASE(sendto, null_buffer, sendto(tcp_client(0), NULLP, 5, 0, NULL, 0))
SYSCALL_CASE(sendto, negative_fd, sendto(OPAQUE(-1), g_buf, 5, 0, NULL, 0))
SYSCALL_CASE(sendto, closed_fd, sendto(closed_fd(), g_buf, 5, 0, NULL, 0))
SYSCALL_CASE(sendto, too_high_fd, sendto(too_high_fd(), g_buf, 5, 0, NULL, 0))
SYSCALL_CASE(sendto, regular_file, sendto(regular_file_fd(), g_buf, 5, 0, NULL, 0))
SYSCALL_CASE(sendto, foreign_pipe_write_end, sendto(pipe_writer(1), g_buf, 5, 0, NULL, 0))
SYSCALL_CASE(sendto, tcp_after_shut_wr_nosignal,
             sendto(shut_down(tcp_client(0), SHUT_WR), g_buf, 5, MSG_NOSIGNAL, NULL, 0))
SYSCALL_CASE(sendto, full_tcp_dontwait,
             sendto(full(tcp_client(0)), g_buf, 5, MSG_DONTWAIT, NULL, 0))
SYSCALL_CASE(sendto, full_unix_dontwait,
             sendto(full(unix_pair_end()), g_buf, 5, MSG_DONTWAIT, NULL, 0))

/* ---- sendmsg ---- */
SYSCALL_CASE(sendmsg, null_msghdr, sendmsg(tcp_client(0), NULLP, 0))
SYSCALL_CASE(sendmsg, null_msghdr_negative_fd, sendmsg(OPAQUE(-1), NULLP, 0))
SYSCALL_CASE(sendmsg, unmapped_msghdr, sendmsg(tcp_client(0), unmapped_page(), 0))
SYSCALL_CASE(sendmsg, null_iov, sendmsg(tcp_client(0), msg_of(NULL, 1), 0))
SYSCALL_CASE(sendmsg, unmapped_iov, sendmsg(tcp_client(0), msg_of(unmapped_page(), 1), 0))
SYSCALL_CASE(sendmsg, unmapped_base,
             sendmsg(tcp_client(0), msg_of(iov_of(unmapped_page(), 5), 1), 0))
SYSCALL_CASE(sendmsg, negative_length,
             sendmsg(tcp_client(0), msg_of(iov_of(end_of_mapping(16), SIZE_MAX), 1), 0))
SYSCALL_CASE(sendmsg, iovlen_iov_max_plus_one,
             sendmsg(tcp_client(0), msg_of(&g_iov, IOV_MAX + 1), 0))
SYSCALL_CASE(sendmsg, iovlen_huge, sendmsg(tcp_client(0), msg_of(&g_iov, SIZE_MAX), 0))
SYSCALL_CASE(sendmsg, iovlen_above_32_bits,
             sendmsg(tcp_client(0), msg_of(&g_iov, (1ul << 32) | 1), 0))
SYSCALL_CASE(sendmsg, tcp_unmapped_name,
             sendmsg(tcp_client(0), named(message(), unmapped_page(), kSin), 0))
SYSCALL_CASE(sendmsg, udp_negative_namelen,
             sendmsg(udp_with_to(), named(message(), TO, OPAQUE(-1u)), 0))
SYSCALL_CASE(sendmsg, unmapped_control,
             sendmsg(tcp_client(0), with_control(message(), unmapped_page(), 64), 0))
SYSCALL_CASE(sendmsg, controllen_huge,
             sendmsg(tcp_client(0), with_control(message(), g_buf, SIZE_MAX), 0))
SYSCALL_CASE(sendmsg, negative_fd, sendmsg(OPAQUE(-1), message(), 0))
SYSCALL_CASE(sendmsg, closed_fd, sendmsg(closed_fd(), message(), 0))
SYSCALL_CASE(sendmsg, too_high_fd, sendmsg(too_high_fd(), message(), 0))
SYSCALL_CASE(sendmsg, regular_file, sendmsg(regular_file_fd(), message(), 0))
SYSCALL_CASE(sendmsg, pipe_write_end, sendmsg(pipe_writer(0), message(), 0))
SYSCALL_CASE(sendmsg, tcp_after_shut_wr_nosignal,
             sendmsg(shut_down(tcp_client(0), SHUT_WR), message(), MSG_NOSIGNAL))
SYSCALL_CASE(sendmsg, oob_udp, sendmsg(connected_udp(), message(), MSG_OOB))
SYSCALL_CASE(sendmsg, full_tcp_dontwait, sendmsg(full(tcp_client(0)), message(), MSG_DONTWAIT))
SYSCALL_CASE(sendmsg, full_unix_dontwait, sendmsg(full(unix_pair_end()), message(), MSG_DONTWAIT))
SYSCALL_CASE(sendmsg, full_foreign_tcp_dontwait,
             sendmsg(full(tcp_client(1)), message(), MSG_DONTWAIT))

/* ---- sendmmsg ---- */
SYSCALL_CASE(sendmmsg, null_msgvec, sendmmsg(connected_udp(), NULLP, 1, 0))
SYSCALL_CASE(sendmmsg, unmapped_msgvec, sendmmsg(connected_udp(), unmapped_page(), 1, 0))
SYSCALL_CASE(sendmmsg, readonly_msgvec, sendmmsg(connected_udp(), readonly_page(), 1, 0))
SYSCALL_CASE(sendmmsg, zero_vlen, sendmmsg(connected_udp(), messages(), OPAQUE(0u), 0))
SYSCALL_CASE(sendmmsg, huge_vlen_page_end,
             sendmmsg(connected_udp(), message_at_page_end(&g_iov), OPAQUE(UINT_MAX), 0))
SYSCALL_CASE(sendmmsg, iovlen_huge, sendmmsg(connected_udp(), two_messages(&g_iov, SIZE_MAX), 1, 0))
SYSCALL_CASE(sendmmsg, second_entry_bad, sendmmsg(connected_udp(), second_message_bad(), 2, 0))
SYSCALL_CASE(sendmmsg, negative_fd, sendmmsg(OPAQUE(-1), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, closed_fd, sendmmsg(closed_fd(), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, too_high_fd, sendmmsg(too_high_fd(), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, regular_file, sendmmsg(regular_file_fd(), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, pipe_write_end, sendmmsg(pipe_writer(0), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, udp_unconnected, sendmmsg(make_udp_socket(), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, oob_udp, sendmmsg(connected_udp(), messages(), 1, MSG_OOB))
SYSCALL_CASE(sendmmsg, tcp_after_shut_wr,
             sendmmsg(shut_down(tcp_client(0), SHUT_WR), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, full_tcp_dontwait,
             sendmmsg(full(tcp_client(0)), messages(), 1, MSG_DONTWAIT))
SYSCALL_CASE(sendmmsg, full_unix_dontwait,
             sendmmsg(full(unix_pair_end()), messages(), 1, MSG_DONTWAIT))
SYSCALL_CASE(sendmmsg, full_unix_sndtimeo,
             sendmmsg(full_with_sndtimeo(unix_pair_end()), messages(), 1, 0))
SYSCALL_CASE(sendmmsg, full_foreign_tcp_dontwait,
             sendmmsg(full(tcp_client(1)), messages(), 1, MSG_DONTWAIT))

/* ---- sendfile (the regular file holds 13 bytes) ---- */
SYSCALL_CASE(sendfile, unmapped_offset,
             sendfile(tcp_client(0), regular_file_fd(), unmapped_page(), 5))
SYSCALL_CASE(sendfile, readonly_offset,
             sendfile(tcp_client(0), regular_file_fd(), readonly_page(), 5))
SYSCALL_CASE(sendfile, negative_offset,
             sendfile(tcp_client(0), regular_file_fd(), offset_of(-1), 5))
SYSCALL_CASE(sendfile, offset_past_end,
             sendfile(tcp_client(0), regular_file_fd(), offset_of(1000), 5))
SYSCALL_CASE(sendfile, huge_count,
             sendfile(tcp_client(0), regular_file_fd(), NULL, OPAQUE(SIZE_MAX)))
SYSCALL_CASE(sendfile, zero_count, sendfile(tcp_client(0), regular_file_fd(), NULL, 0))
SYSCALL_CASE(sendfile, out_regular_file, sendfile(regular_file_fd(), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_directory, sendfile(directory_fd(), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_pipe, sendfile(pipe_writer(0), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_foreign_pipe, sendfile(pipe_writer(1), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_pipe_read_end, sendfile(pipe_reader(0), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_pipe_reader_closed,
             sendfile(readerless_pipe(0), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_negative_fd, sendfile(OPAQUE(-1), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_closed_fd, sendfile(closed_fd(), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_too_high_fd, sendfile(too_high_fd(), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_udp_unconnected,
             sendfile(make_udp_socket(), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_tcp_after_shut_wr,
             sendfile(shut_down(tcp_client(0), SHUT_WR), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_full_tcp_nonblocking,
             sendfile(nonblocking(full(tcp_client(0))), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, out_full_unix_sndtimeo,
             sendfile(full_with_sndtimeo(unix_pair_end()), regular_file_fd(), NULL, 100))
SYSCALL_CASE(sendfile, in_negative_fd, sendfile(tcp_client(0), OPAQUE(-1), NULL, 100))
SYSCALL_CASE(sendfile, in_closed_fd, sendfile(tcp_client(0), closed_fd(), NULL, 100))
SYSCALL_CASE(sendfile, in_directory, sendfile(tcp_client(0), directory_fd(), NULL, 100))
SYSCALL_CASE(sendfile, in_pipe_write_end, sendfile(tcp_client(0), pipe_writer(0), NULL, 100))
