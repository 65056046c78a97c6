/* cases_sockets_connect.c - bad inputs to connect: bad addresses, families and lengths, wrong-kind
 * and closed fds, refused and already connected sockets, and SO_SNDTIMEO (positive, negative) on
 * TCP and AF_UNIX listeners whose backlog is full. (socket, accept and shutdown are in
 * cases_sockets.c.) */
#include "bad_input.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- fixtures of this file ---- */

/* The address of a TCP port nothing listens on: bound (so no one else
 * takes it) but not listening, so a SYN to it gets a reset. */
static struct sockaddr_in refused_address(void) {
  int keeper = tcp_socket();
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(keeper, (struct sockaddr *)&address, sizeof address) != 0 ||
      getsockname(keeper, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("refused_address");
  }
  return address;
}

/* A TCP listener (backlog 0) whose accept queue is full: a further SYN is
 * dropped, so a connect to it waits. */
static struct sockaddr_in full_tcp_listener(void) {
  int listener = tcp_socket();
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, 0) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("full_tcp_listener");
  }
  int first = tcp_socket();
  if (connect(first, (struct sockaddr *)&address, length) != 0) {
    fixture_failed("connect");
  }
  wait_for(listener, POLLIN);
  return address;
}

/* ---- connect ---- */

#define LOOPBACK_ADDRESS                                                                           \
  { .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }

BAD_CASE(connect, null_addr) {
  return SYSCALL_RESULT(
      connect(tcp_socket(), OPAQUE((struct sockaddr *)NULL), sizeof(struct sockaddr_in)));
}
BAD_CASE(connect, null_addr_zero_len) {
  return SYSCALL_RESULT(connect(tcp_socket(), OPAQUE((struct sockaddr *)NULL), 0));
}
BAD_CASE(connect, unmapped_addr) {
  return SYSCALL_RESULT(connect(tcp_socket(), unmapped_page(), sizeof(struct sockaddr_in)));
}
BAD_CASE(connect, zero_addrlen) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)&address, OPAQUE(0u)));
}
BAD_CASE(connect, short_addrlen) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)&address, OPAQUE(8u)));
}
BAD_CASE(connect, huge_addrlen) {
  struct sockaddr_in address[64] = {LOOPBACK_ADDRESS};
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)address, OPAQUE(1024u)));
}
BAD_CASE(connect, negative_addrlen) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)&address, OPAQUE((socklen_t)-1)));
}
BAD_CASE(connect, bad_family) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  address.sin_family = OPAQUE(12345);
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, inet6_family_on_inet) {
  struct sockaddr_in6 address = {
      .sin6_family = AF_INET6, .sin6_port = htons(1), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, af_unspec) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  address.sin_family = AF_UNSPEC;
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, udp_bad_family) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  address.sin_family = OPAQUE(12345);
  return SYSCALL_RESULT(connect(make_udp_socket(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, udp_short_addrlen) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(make_udp_socket(), (struct sockaddr *)&address, OPAQUE(4u)));
}
BAD_CASE(connect, minus_one) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(OPAQUE(-1), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, closed_fd) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(closed_fd(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, too_high_fd) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(too_high_fd(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, regular_file) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(regular_file_fd(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, pipe) {
  struct sockaddr_in address = LOOPBACK_ADDRESS;
  return SYSCALL_RESULT(connect(pipe_writer(0), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, refused) {
  struct sockaddr_in address = refused_address();
  return SYSCALL_RESULT(connect(tcp_socket(), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, refused_twice) {
  struct sockaddr_in address = refused_address();
  int fd = tcp_socket();
  if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
    fixture_failed("first connect succeeded");
  }
  return SYSCALL_RESULT(connect(fd, (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, already_connected) {
  int fd = tcp_client(0);
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  if (getpeername(fd, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("getpeername");
  }
  return SYSCALL_RESULT(connect(fd, (struct sockaddr *)&address, length));
}
BAD_CASE(connect, listener) {
  int listener = make_listener();
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  if (getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("getsockname");
  }
  return SYSCALL_RESULT(connect(listener, (struct sockaddr *)&address, length));
}
BAD_CASE(connect, unix_missing_path) {
  struct sockaddr_un address = {.sun_family = AF_UNIX,
                                .sun_path = "/tmp/bad_input_fds_no_such_socket"};
  return SYSCALL_RESULT(
      connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&address, sizeof address));
}
BAD_CASE(connect, unix_huge_addrlen) {
  struct sockaddr_un address[4] = {{.sun_family = AF_UNIX, .sun_path = "/tmp/x"}};
  return SYSCALL_RESULT(
      connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)address, OPAQUE(300u)));
}
/* A TCP listener whose accept queue is full drops the SYN: SO_SNDTIMEO ends
 * the blocking connect with EINPROGRESS. */
BAD_CASE(connect, sndtimeo_expires) {
  struct sockaddr_in address = full_tcp_listener();
  int fd = tcp_socket();
  set_socket_timeout(fd, SO_SNDTIMEO, 0, 100000);
  return SYSCALL_RESULT(connect(fd, (struct sockaddr *)&address, sizeof address));
}
/* A negative SO_SNDTIMEO is a zero timeout to Linux: EINPROGRESS at once. */
BAD_CASE(connect, negative_sndtimeo) {
  struct sockaddr_in address = full_tcp_listener();
  int fd = tcp_socket();
  set_socket_timeout(fd, SO_SNDTIMEO, -1, 0);
  return SYSCALL_RESULT(connect(fd, (struct sockaddr *)&address, sizeof address));
}
/* AF_UNIX listener with a full backlog: a blocking connect waits for room,
 * SO_SNDTIMEO ends it with EAGAIN (a negative one at once). The address is
 * abstract: nothing is left in the file system. */
static int unix_connect_to_full(long seconds, long micros, int nonblock) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int length = snprintf(address.sun_path + 1, sizeof address.sun_path - 1, "bad_input_fds_%d",
                        (int)getpid());
  socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)length);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, size) != 0 ||
      listen(listener, 0) != 0) {
    fixture_failed("unix listener");
  }
  int first = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (first < 0 || connect(first, (struct sockaddr *)&address, size) != 0) {
    fixture_failed("first unix connect");
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    fixture_failed("socket");
  }
  if (!nonblock) {
    set_socket_timeout(fd, SO_SNDTIMEO, seconds, micros);
  }
  return connect(fd, (struct sockaddr *)&address, size);
}
BAD_CASE(connect, unix_backlog_full_nonblocking) {
  return SYSCALL_RESULT(unix_connect_to_full(0, 0, 1));
}
BAD_CASE(connect, unix_backlog_full_sndtimeo) {
  return SYSCALL_RESULT(unix_connect_to_full(0, 100000, 0));
}
BAD_CASE(connect, unix_backlog_full_negative_sndtimeo) {
  return SYSCALL_RESULT(unix_connect_to_full(-1, 0, 0));
}
