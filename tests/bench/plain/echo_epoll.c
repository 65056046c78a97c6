/* echo_epoll.c - the reference TCP echo server: one thread, level-triggered epoll, non-blocking
 * sockets.
 *
 * usage: echo_epoll CONNECTIONS [PORT]
 * Listens on 127.0.0.1:PORT (0 or absent: a free port) and prints
 * "port=N". Accepts CONNECTIONS connections and echoes what each sends
 * until it closes; bytes a full socket does not take wait in the
 * connection's buffer, and the connection is not read again until they are
 * written. When every connection has ended, prints
 * "served=N bytes=B failed=0". Exit status 0, or 2 on bad usage or a socket
 * error. */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_BYTES 4096
#define MAX_EVENTS 256
#define SAFETY_NET_S 600

struct connection {
  int fd;
  size_t pending; /* bytes of buffer still to write back */
  size_t written;
  char buffer[BUFFER_BYTES];
};

struct server {
  int epoll_fd;
  int listener;
  long wanted;
  long accepted;
  long open;
  long long bytes;
};

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, SOMAXCONN) < 0 ||
      getsockname(fd, (struct sockaddr *)&address, &length) < 0) {
    close(fd);
    return -1;
  }
  printf("port=%d\n", ntohs(address.sin_port));
  fflush(stdout);
  return fd;
}

static void close_connection(struct server *server, struct connection *conn) {
  epoll_ctl(server->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
  close(conn->fd);
  free(conn);
  server->open--;
}

/* Accepts what the backlog holds; returns -1 on a real error. */
static int accept_ready(struct server *server) {
  while (server->accepted < server->wanted) {
    int fd = accept4(server->listener, NULL, NULL, SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) {
        return 0;
      }
      return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct connection *conn = calloc(1, sizeof *conn);
    if (conn == NULL) {
      close(fd);
      return -1;
    }
    conn->fd = fd;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = conn};
    if (epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
      close(fd);
      free(conn);
      return -1;
    }
    server->accepted++;
    server->open++;
  }
  epoll_ctl(server->epoll_fd, EPOLL_CTL_DEL, server->listener, NULL);
  return 0;
}

/* Writes what is pending; returns 1 when all of it went, 0 if the socket is full, -1 on error. */
static int flush_pending(struct connection *conn) {
  while (conn->written < conn->pending) {
    ssize_t sent = write(conn->fd, conn->buffer + conn->written, conn->pending - conn->written);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN ? 0 : -1;
    }
    conn->written += (size_t)sent;
  }
  conn->pending = conn->written = 0;
  return 1;
}

static void serve_event(struct server *server, struct connection *conn, uint32_t events) {
  if (conn->pending > 0) { /* waiting for EPOLLOUT */
    int rc = flush_pending(conn);
    if (rc < 0) {
      close_connection(server, conn);
    } else if (rc > 0) {
      struct epoll_event event = {.events = EPOLLIN, .data.ptr = conn};
      epoll_ctl(server->epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
    }
    return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) {
    return;
  }
  ssize_t got = read(conn->fd, conn->buffer, sizeof conn->buffer);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;
  }
  if (got <= 0) {
    close_connection(server, conn);
    return;
  }
  server->bytes += got;
  conn->pending = (size_t)got;
  int rc = flush_pending(conn);
  if (rc < 0) {
    close_connection(server, conn);
  } else if (rc == 0) {
    struct epoll_event event = {.events = EPOLLOUT, .data.ptr = conn};
    epoll_ctl(server->epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
  }
}

int main(int argc, char **argv) {
  long connections = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
  long port = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (connections < 1 || connections > 100000 || port < 0 || port > 65535) {
    fprintf(stderr, "usage: %s CONNECTIONS [PORT]\n", argv[0]);
    return 2;
  }
  alarm(SAFETY_NET_S);
  struct server server = {.wanted = connections};
  server.listener = listen_on((int)port);
  server.epoll_fd = epoll_create1(0);
  if (server.listener < 0 || server.epoll_fd < 0) {
    perror("echo_epoll: listen");
    return 2;
  }
  struct epoll_event listen_event = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(server.epoll_fd, EPOLL_CTL_ADD, server.listener, &listen_event);
  struct epoll_event events[MAX_EVENTS];
  while (server.accepted < server.wanted || server.open > 0) {
    int ready = epoll_wait(server.epoll_fd, events, MAX_EVENTS, -1);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      perror("echo_epoll: epoll_wait");
      return 2;
    }
    for (int i = 0; i < ready; i++) {
      if (events[i].data.ptr == NULL) {
        if (accept_ready(&server) < 0) {
          perror("echo_epoll: accept");
          return 2;
        }
        continue;
      }
      serve_event(&server, events[i].data.ptr, events[i].events);
    }
  }
  close(server.listener);
  printf("served=%ld bytes=%lld failed=0\n", server.accepted, server.bytes);
  return 0;
}
