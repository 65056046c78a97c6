/* echo_server.c - thread-per-connection TCP echo server on 127.0.0.1, one green thread each.
 *
 * usage: echo_server PORT CONNECTIONS
 *   PORT 0 picks a free port; the server prints "listening on PORT" either way.
 *   After CONNECTIONS connections have been accepted and served it prints
 *   "served=N bytes=B" and exits (0 if every connection ended cleanly). */
#include <sprig.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECOND_NS 1000000000LL
#define IDLE_TIMEOUT_NS (30 * SECOND_NS) /* a silent peer cannot keep us forever */

struct server {
  int listen_fd;
  long connections_wanted;
  sprig_waitgroup_t *handlers; /* counts connection threads still running */
  long long bytes_echoed;      /* added to by threads of every worker: atomically */
  long failed_connections;
};

struct connection {
  struct server *server;
  int fd;
};

/* Echoes everything the peer sends until it closes its side. */
static void *serve_connection(void *arg) {
  struct connection *conn = arg;
  char buf[16384];
  int failed = 0;
  for (;;) {
    ssize_t got = sprig_read(conn->fd, buf, sizeof buf, IDLE_TIMEOUT_NS);
    if (got == 0) {
      break; /* the client is done */
    }
    if (got < 0 || sprig_write(conn->fd, buf, (size_t)got, IDLE_TIMEOUT_NS) != got) {
      failed = 1;
      break;
    }
    __atomic_fetch_add(&conn->server->bytes_echoed, (long long)got, __ATOMIC_RELAXED);
  }
  __atomic_fetch_add(&conn->server->failed_connections, failed, __ATOMIC_RELAXED);
  sprig_close(conn->fd);
  sprig_waitgroup_done(conn->server->handlers);
  free(conn);
  return NULL;
}

static int open_listener(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -errno;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4096) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  getsockname(fd, (struct sockaddr *)&addr, &len);
  return ntohs(addr.sin_port);
}

/* The main green thread: accept, hand each connection to a new green thread. */
static void *accept_loop(void *arg) {
  struct server *server = arg;
  int rc = sprig_waitgroup_create(&server->handlers);
  if (rc < 0) {
    fprintf(stderr, "echo_server: waitgroup: %s\n", strerror(-rc));
    return NULL;
  }
  struct sprig_spawn_options detached = {.detached = 1, .name = "echo-conn"};
  long accepted = 0;
  while (accepted < server->connections_wanted) {
    int fd = sprig_accept(server->listen_fd, NULL, NULL, IDLE_TIMEOUT_NS);
    if (fd < 0) {
      fprintf(stderr, "echo_server: accept: %s\n", strerror(-fd));
      break;
    }
    struct connection *conn = malloc(sizeof *conn);
    conn->server = server;
    conn->fd = fd;
    sprig_waitgroup_add(server->handlers, 1);
    sprig_thread_t thread;
    rc = sprig_spawn(&thread, &detached, serve_connection, conn);
    if (rc < 0) {
      fprintf(stderr, "echo_server: spawn: %s\n", strerror(-rc));
      sprig_waitgroup_done(server->handlers);
      sprig_close(fd);
      free(conn);
      __atomic_fetch_add(&server->failed_connections, 1, __ATOMIC_RELAXED);
    }
    accepted++;
  }
  sprig_waitgroup_wait(server->handlers, SPRIG_FOREVER);
  sprig_waitgroup_destroy(server->handlers);
  sprig_close(server->listen_fd);
  printf("served=%ld bytes=%lld failed=%ld\n", accepted, server->bytes_echoed,
         server->failed_connections);
  int ok = accepted == server->connections_wanted && server->failed_connections == 0;
  return (void *)(intptr_t)ok;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a test run */
  if (argc != 3) {
    fprintf(stderr, "usage: %s PORT CONNECTIONS\n", argv[0]);
    return 2;
  }
  struct server server = {.connections_wanted = atol(argv[2])};
  server.listen_fd = open_listener(atoi(argv[1]));
  if (server.listen_fd < 0) {
    fprintf(stderr, "echo_server: listen: %s\n", strerror(-server.listen_fd));
    return 1;
  }
  printf("listening on %d\n", bound_port(server.listen_fd));
  fflush(stdout);

  void *ok = NULL;
  int rc = sprig_run(accept_loop, &server, &ok);
  if (rc < 0) {
    fprintf(stderr, "echo_server: sprig_run: %s\n", strerror(-rc));
    return 1;
  }
  return ok ? 0 : 1;
}
