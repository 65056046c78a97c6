/* cases_sockets.c - bad inputs to socket, socketpair, accept, accept4 and shutdown: bad domains,
 * types, flags, addresses, lengths and hows, wrong-kind and foreign fds, and bad socket timeouts
 * (negative, overflowing, SO_RCVTIMEO_NEW) that change how accept waits. (connect is in
 * cases_sockets_connect.c.) */
#include "bad_input.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#endif

/* ---- fixtures of this file ---- */

/* A listener with one connection waiting to be accepted. */
static int listener_with_pending(void) {
  int listener = make_listener();
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  if (getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("getsockname");
  }
  int client = tcp_socket();
  if (connect(client, (struct sockaddr *)&address, length) != 0) {
    fixture_failed("connect");
  }
  wait_for(listener, POLLIN);
  return listener;
}

/* ---- socket ---- */

BAD_CASE(socket, bad_domain) { return FD_RESULT(socket(OPAQUE(12345), SOCK_STREAM, 0)); }
BAD_CASE(socket, negative_domain) { return FD_RESULT(socket(OPAQUE(-1), SOCK_STREAM, 0)); }
BAD_CASE(socket, bad_type) { return FD_RESULT(socket(AF_INET, OPAQUE(12), 0)); }
BAD_CASE(socket, zero_type) { return FD_RESULT(socket(AF_INET, OPAQUE(0), 0)); }
BAD_CASE(socket, negative_type) { return FD_RESULT(socket(AF_INET, OPAQUE(-1), 0)); }
BAD_CASE(socket, bad_type_flags) {
  return FD_RESULT(socket(AF_INET, OPAQUE(SOCK_STREAM | 0x10000), 0));
}
BAD_CASE(socket, only_type_flags) {
  return FD_RESULT(socket(AF_INET, OPAQUE(SOCK_NONBLOCK | SOCK_CLOEXEC), 0));
}
BAD_CASE(socket, bad_protocol) {
  return FD_RESULT(socket(AF_INET, SOCK_STREAM, OPAQUE(IPPROTO_UDP)));
}
BAD_CASE(socket, negative_protocol) { return FD_RESULT(socket(AF_INET, SOCK_STREAM, OPAQUE(-1))); }
BAD_CASE(socket, unix_bad_protocol) { return FD_RESULT(socket(AF_UNIX, SOCK_STREAM, OPAQUE(2))); }
BAD_CASE(socket, unix_raw_type) { return FD_RESULT(socket(AF_UNIX, OPAQUE(SOCK_RAW), 0)); }
BAD_CASE(socket, inet_seqpacket) { return FD_RESULT(socket(AF_INET, OPAQUE(SOCK_SEQPACKET), 0)); }

/* ---- socketpair ---- */

static int pair_of(int domain, int type, int protocol) {
  int fds[2];
  return socketpair(domain, type, protocol, fds);
}

BAD_CASE(socketpair, null_fds) {
  return SYSCALL_RESULT(socketpair(AF_UNIX, SOCK_STREAM, 0, OPAQUE((int *)NULL)));
}
BAD_CASE(socketpair, unmapped_fds) {
  return SYSCALL_RESULT(socketpair(AF_UNIX, SOCK_STREAM, 0, unmapped_page()));
}
BAD_CASE(socketpair, readonly_fds) {
  return SYSCALL_RESULT(socketpair(AF_UNIX, SOCK_STREAM, 0, readonly_page()));
}
BAD_CASE(socketpair, inet_domain) {
  return SYSCALL_RESULT(pair_of(OPAQUE(AF_INET), SOCK_STREAM, 0));
}
BAD_CASE(socketpair, bad_domain) { return SYSCALL_RESULT(pair_of(OPAQUE(12345), SOCK_STREAM, 0)); }
BAD_CASE(socketpair, bad_type) { return SYSCALL_RESULT(pair_of(AF_UNIX, OPAQUE(12), 0)); }
BAD_CASE(socketpair, bad_type_flags) {
  return SYSCALL_RESULT(pair_of(AF_UNIX, OPAQUE(SOCK_STREAM | 0x10000), 0));
}
BAD_CASE(socketpair, bad_protocol) {
  return SYSCALL_RESULT(pair_of(AF_UNIX, SOCK_STREAM, OPAQUE(2)));
}
BAD_CASE(socketpair, bad_type_null_fds) {
  return SYSCALL_RESULT(socketpair(AF_UNIX, OPAQUE(12), 0, OPAQUE((int *)NULL)));
}

/* ---- accept ---- */

BAD_CASE(accept, minus_one) { return FD_RESULT(accept(OPAQUE(-1), NULL, NULL)); }
BAD_CASE(accept, closed_fd) { return FD_RESULT(accept(closed_fd(), NULL, NULL)); }
BAD_CASE(accept, too_high_fd) { return FD_RESULT(accept(too_high_fd(), NULL, NULL)); }
BAD_CASE(accept, pipe) { return FD_RESULT(accept(pipe_reader(0), NULL, NULL)); }
BAD_CASE(accept, foreign_pipe) { return FD_RESULT(accept(pipe_reader(1), NULL, NULL)); }
BAD_CASE(accept, regular_file) { return FD_RESULT(accept(regular_file_fd(), NULL, NULL)); }
BAD_CASE(accept, directory) { return FD_RESULT(accept(directory_fd(), NULL, NULL)); }
BAD_CASE(accept, connected_socket) { return FD_RESULT(accept(tcp_client(0), NULL, NULL)); }
BAD_CASE(accept, unbound_socket) { return FD_RESULT(accept(tcp_socket(), NULL, NULL)); }
BAD_CASE(accept, udp_socket) { return FD_RESULT(accept(make_udp_socket(), NULL, NULL)); }
BAD_CASE(accept, unix_pair) { return FD_RESULT(accept(unix_pair_end(), NULL, NULL)); }
/* Sockets sprig did not create (raw system calls), as inherited ones. */
BAD_CASE(accept, foreign_unbound_socket) {
  int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    fixture_failed("raw socket");
  }
  return FD_RESULT(accept(fd, NULL, NULL));
}
BAD_CASE(accept, foreign_unix_pair) {
  int fds[2]; /* the raw system call: a pair sprig never saw */
  if (syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    fixture_failed("raw socketpair");
  }
  return FD_RESULT(accept(fds[0], NULL, NULL));
}
BAD_CASE(accept, foreign_udp_socket) {
  int fd = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    fixture_failed("raw socket");
  }
  return FD_RESULT(accept(fd, NULL, NULL));
}
BAD_CASE(accept, foreign_nonblocking_listener) {
  int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || syscall(SYS_bind, fd, &address, sizeof address) != 0 ||
      syscall(SYS_listen, fd, 8) != 0) {
    fixture_failed("raw listener");
  }
  return FD_RESULT(accept(fd, NULL, NULL));
}
/* Bad addr / addrlen, with a connection waiting (else the call would wait). */
BAD_CASE(accept, unmapped_addr) {
  socklen_t length = sizeof(struct sockaddr_in);
  return FD_RESULT(accept(listener_with_pending(), unmapped_page(), &length));
}
BAD_CASE(accept, readonly_addr) {
  socklen_t length = sizeof(struct sockaddr_in);
  return FD_RESULT(accept(listener_with_pending(), readonly_page(), &length));
}
BAD_CASE(accept, null_addrlen) {
  struct sockaddr_in address;
  return FD_RESULT(
      accept(listener_with_pending(), (struct sockaddr *)&address, OPAQUE((socklen_t *)NULL)));
}
BAD_CASE(accept, unmapped_addrlen) {
  struct sockaddr_in address;
  return FD_RESULT(accept(listener_with_pending(), (struct sockaddr *)&address, unmapped_page()));
}
BAD_CASE(accept, readonly_addrlen) {
  struct sockaddr_in address;
  socklen_t *length = readonly_page(); /* holds 0: the kernel writes the real length back */
  return FD_RESULT(accept(listener_with_pending(), (struct sockaddr *)&address, length));
}
BAD_CASE(accept, negative_addrlen) {
  struct sockaddr_in address;
  socklen_t length = OPAQUE((socklen_t)-1);
  return FD_RESULT(accept(listener_with_pending(), (struct sockaddr *)&address, &length));
}
BAD_CASE(accept, null_addr_with_addrlen) {
  socklen_t length = sizeof(struct sockaddr_in);
  return FD_RESULT(accept(listener_with_pending(), OPAQUE((struct sockaddr *)NULL), &length));
}
/* Nothing waiting, and a listener that must not wait. */
BAD_CASE(accept, nonblocking_listener_empty) {
  int listener = make_listener();
  if (fcntl(listener, F_SETFL, O_NONBLOCK) != 0) {
    fixture_failed("F_SETFL");
  }
  return FD_RESULT(accept(listener, NULL, NULL));
}
BAD_CASE(accept, sock_nonblock_listener_empty) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, 8) != 0) {
    fixture_failed("listener");
  }
  return FD_RESULT(accept(listener, NULL, NULL));
}
BAD_CASE(accept, fionbio_listener_empty) {
  int listener = make_listener();
  int on = 1;
  if (ioctl(listener, FIONBIO, &on) != 0) {
    fixture_failed("FIONBIO");
  }
  return FD_RESULT(accept(listener, NULL, NULL));
}
BAD_CASE(accept, shut_down_listener) {
  int listener = make_listener();
  if (shutdown(listener, SHUT_RDWR) != 0) {
    fixture_failed("shutdown");
  }
  return FD_RESULT(accept(listener, NULL, NULL));
}
/* SO_RCVTIMEO bounds a blocking accept: EAGAIN when it passes. */
BAD_CASE(accept, rcvtimeo_expires) {
  int listener = make_listener();
  set_socket_timeout(listener, SO_RCVTIMEO, 0, 100000);
  return FD_RESULT(accept(listener, NULL, NULL));
}
/* A negative SO_RCVTIMEO is accepted by Linux as a zero timeout: the
 * blocking accept returns EAGAIN at once. */
BAD_CASE(accept, negative_rcvtimeo) {
  int listener = make_listener();
  set_socket_timeout(listener, SO_RCVTIMEO, -1, 0);
  return FD_RESULT(accept(listener, NULL, NULL));
}
/* SO_RCVTIMEO_NEW: the same timeout under its 64-bit-time name. */
BAD_CASE(accept, rcvtimeo_new_expires) {
  int listener = make_listener();
  long long timeout[2] = {0, 100000};
  if (setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO_NEW, timeout, sizeof timeout) != 0) {
    fixture_failed("SO_RCVTIMEO_NEW");
  }
  return FD_RESULT(accept(listener, NULL, NULL));
}

/* A tv_sec so large that the timeout is forever to Linux, but tv_sec * 1e9
 * wraps around 2^64 to 0.29 s: natively the accept waits for the connection
 * a thread makes after one second. */
static void *connect_later(void *listener_address) {
  struct timespec pause = {.tv_sec = 1};
  nanosleep(&pause, NULL);
  int fd = tcp_socket();
  if (connect(fd, listener_address, sizeof(struct sockaddr_in)) != 0) {
    fixture_failed("late connect");
  }
  return NULL;
}
BAD_CASE(accept, rcvtimeo_overflowing_sec) {
  int listener = make_listener();
  static struct sockaddr_in address;
  socklen_t length = sizeof address;
  if (getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("getsockname");
  }
  set_socket_timeout(listener, SO_RCVTIMEO, 18446744074L, 0);
  start_thread(connect_later, &address, 0);
  return FD_RESULT(accept(listener, NULL, NULL));
}

/* ---- accept4 ---- */

BAD_CASE(accept4, minus_one) { return FD_RESULT(accept4(OPAQUE(-1), NULL, NULL, 0)); }
BAD_CASE(accept4, closed_fd) { return FD_RESULT(accept4(closed_fd(), NULL, NULL, 0)); }
BAD_CASE(accept4, too_high_fd) { return FD_RESULT(accept4(too_high_fd(), NULL, NULL, 0)); }
BAD_CASE(accept4, pipe) { return FD_RESULT(accept4(pipe_reader(0), NULL, NULL, SOCK_CLOEXEC)); }
BAD_CASE(accept4, regular_file) { return FD_RESULT(accept4(regular_file_fd(), NULL, NULL, 0)); }
BAD_CASE(accept4, unbound_socket) {
  return FD_RESULT(accept4(tcp_socket(), NULL, NULL, SOCK_NONBLOCK));
}
BAD_CASE(accept4, bad_flags) {
  return FD_RESULT(accept4(make_listener(), NULL, NULL, OPAQUE(0x1)));
}
BAD_CASE(accept4, negative_flags) {
  return FD_RESULT(accept4(make_listener(), NULL, NULL, OPAQUE(-1)));
}
BAD_CASE(accept4, o_append_flag) {
  return FD_RESULT(accept4(make_listener(), NULL, NULL, OPAQUE(O_APPEND)));
}
BAD_CASE(accept4, bad_flags_minus_one) {
  return FD_RESULT(accept4(OPAQUE(-1), NULL, NULL, OPAQUE(0x1)));
}
BAD_CASE(accept4, bad_flags_pipe) {
  return FD_RESULT(accept4(pipe_reader(0), NULL, NULL, OPAQUE(0x1)));
}
BAD_CASE(accept4, bad_flags_pending) {
  return FD_RESULT(accept4(listener_with_pending(), NULL, NULL, OPAQUE(0x1)));
}
BAD_CASE(accept4, unmapped_addr) {
  socklen_t length = sizeof(struct sockaddr_in);
  return FD_RESULT(accept4(listener_with_pending(), unmapped_page(), &length, SOCK_NONBLOCK));
}
BAD_CASE(accept4, unmapped_addrlen) {
  struct sockaddr_in address;
  return FD_RESULT(
      accept4(listener_with_pending(), (struct sockaddr *)&address, unmapped_page(), 0));
}
BAD_CASE(accept4, negative_addrlen) {
  struct sockaddr_in address;
  socklen_t length = OPAQUE((socklen_t)-1);
  return FD_RESULT(accept4(listener_with_pending(), (struct sockaddr *)&address, &length, 0));
}
BAD_CASE(accept4, nonblocking_listener_empty) {
  int listener = make_listener();
  if (fcntl(listener, F_SETFL, O_NONBLOCK) != 0) {
    fixture_failed("F_SETFL");
  }
  return FD_RESULT(accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
}
BAD_CASE(accept4, negative_rcvtimeo) {
  int listener = make_listener();
  set_socket_timeout(listener, SO_RCVTIMEO, -5, 0);
  return FD_RESULT(accept4(listener, NULL, NULL, SOCK_CLOEXEC));
}

/* ---- shutdown ---- */

BAD_CASE(shutdown, bad_how) { return SYSCALL_RESULT(shutdown(tcp_client(0), OPAQUE(3))); }
BAD_CASE(shutdown, negative_how) { return SYSCALL_RESULT(shutdown(tcp_client(0), OPAQUE(-1))); }
BAD_CASE(shutdown, unix_bad_how) { return SYSCALL_RESULT(shutdown(unix_pair_end(), OPAQUE(99))); }
BAD_CASE(shutdown, bad_how_minus_one) { return SYSCALL_RESULT(shutdown(OPAQUE(-1), OPAQUE(3))); }
BAD_CASE(shutdown, bad_how_pipe) { return SYSCALL_RESULT(shutdown(pipe_reader(0), OPAQUE(3))); }
BAD_CASE(shutdown, minus_one) { return SYSCALL_RESULT(shutdown(OPAQUE(-1), SHUT_RDWR)); }
BAD_CASE(shutdown, closed_fd) { return SYSCALL_RESULT(shutdown(closed_fd(), SHUT_RDWR)); }
BAD_CASE(shutdown, too_high_fd) { return SYSCALL_RESULT(shutdown(too_high_fd(), SHUT_RDWR)); }
BAD_CASE(shutdown, pipe) { return SYSCALL_RESULT(shutdown(pipe_writer(0), SHUT_WR)); }
BAD_CASE(shutdown, foreign_pipe) { return SYSCALL_RESULT(shutdown(pipe_reader(1), SHUT_RD)); }
BAD_CASE(shutdown, regular_file) { return SYSCALL_RESULT(shutdown(regular_file_fd(), SHUT_RDWR)); }
BAD_CASE(shutdown, unconnected_tcp) { return SYSCALL_RESULT(shutdown(tcp_socket(), SHUT_RDWR)); }
BAD_CASE(shutdown, unconnected_udp) { return SYSCALL_RESULT(shutdown(make_udp_socket(), SHUT_WR)); }
BAD_CASE(shutdown, listener) { return SYSCALL_RESULT(shutdown(make_listener(), SHUT_RDWR)); }
