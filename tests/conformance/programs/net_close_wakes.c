/* net_close_wakes.c - shutdown() by another thread wakes a thread blocked on the socket: read gets 0 after SHUT_RD (TCP and AF_UNIX), accept gets EINVAL, a write to a full socket gets EPIPE after SHUT_WR. */
/* sprig: green */
/* close() of an fd another thread is blocked on is left out: POSIX leaves the
 * blocked call's fate unspecified (Linux keeps it waiting on the open file,
 * other systems wake it with EBADF), and the number can be reused at once.
 * dup2() onto such an fd, which Linux handles deterministically, is
 * net_dup2_waiter.c (a divergence sprig(7) lists). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kRead, kAccept, kWrite };

struct blocked {
  int fd;
  int op;
  long rc;
  int error;
  atomic_int done;
};

static void *block(void *arg) {
  struct blocked *job = arg;
  static char buffer[65536];
  if (job->op == kRead) {
    job->rc = read(job->fd, buffer, 1);
  } else if (job->op == kAccept) {
    job->rc = accept(job->fd, NULL, NULL);
  } else {
    job->rc = write(job->fd, buffer, sizeof buffer);
  }
  job->error = errno;
  atomic_store(&job->done, 1);
  return NULL;
}

static const char *error_name(int error) {
  switch (error) {
  case EINVAL: return "EINVAL";
  case EPIPE: return "EPIPE";
  case EBADF: return "EBADF";
  case ENOTCONN: return "ENOTCONN";
  default: return strerror(error);
  }
}

/* Starts `op` on fd in a thread, waits 100 ms (it is blocked by then), shuts
 * shut_fd down with `how`, and reports. A call still blocked 2 s later would
 * hang the program: then the peer unblocks it (sends a byte to a reader,
 * drains a writer's peer) and the output says so. */
static void shut_other_while_blocked(const char *what, int fd, int shut_fd, int peer, int op, int how) {
  struct blocked job = {fd, op, -2, 0, 0};
  pthread_t thread;
  pthread_create(&thread, NULL, block, &job);
  usleep(100000);
  int still_blocked = !atomic_load(&job.done);
  int rc = shutdown(shut_fd, how);
  for (int i = 0; i < 200 && !atomic_load(&job.done); i++) {
    usleep(10000);
  }
  int unblocked = 0;
  if (!atomic_load(&job.done) && peer >= 0) {
    unblocked = 1;
    if (op == kRead) {
      send(peer, "w", 1, MSG_DONTWAIT);
    } else {
      static char sink[65536];
      for (int i = 0; i < 100000 && recv(peer, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {
      }
    }
  }
  pthread_join(thread, NULL);
  printf("%s: blocked before: %s, shutdown %d, the call returned %ld%s%s%s\n", what, still_blocked ? "yes" : "no", rc, job.rc,
         job.rc < 0 ? " " : "", job.rc < 0 ? error_name(job.error) : "",
         unblocked ? ", but only after the peer unblocked it 2 s later" : "");
}

static void shut_while_blocked(const char *what, int fd, int peer, int op, int how) {
  shut_other_while_blocked(what, fd, fd, peer, op, how);
}

static void tcp_pair(int listener, const struct sockaddr_in *address, int *client, int *server) {
  *client = socket(AF_INET, SOCK_STREAM, 0);
  connect(*client, (const struct sockaddr *)address, sizeof *address);
  *server = accept(listener, NULL, NULL);
}

static void fill(int fd) {
  static char chunk[65536];
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 100000 && send(fd, chunk, sizeof chunk, MSG_DONTWAIT) > 0; i++) {
    }
    usleep(50000);
  }
}

int main(void) {
  alarm(20);
  signal(SIGPIPE, SIG_IGN);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 8);
  getsockname(listener, (struct sockaddr *)&address, &length);

  int client, server;
  tcp_pair(listener, &address, &client, &server);
  shut_while_blocked("tcp read, SHUT_RD", client, server, kRead, SHUT_RD);
  char byte;
  printf("tcp read after SHUT_RD: %zd\n", read(client, &byte, 1));
  shut_while_blocked("tcp read, SHUT_RDWR", server, client, kRead, SHUT_RDWR);
  close(client);
  close(server);

  /* The peer's SHUT_WR: the reader sees end of file. */
  tcp_pair(listener, &address, &client, &server);
  shut_other_while_blocked("tcp read, the peer's SHUT_WR", client, server, -1, kRead, SHUT_WR);
  close(client);
  close(server);

  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  shut_while_blocked("unix read, SHUT_RD", pair[0], pair[1], kRead, SHUT_RD);
  shut_while_blocked("unix read, SHUT_RDWR", pair[1], pair[0], kRead, SHUT_RDWR);
  close(pair[0]);
  close(pair[1]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  shut_other_while_blocked("unix read, the peer's SHUT_WR", pair[0], pair[1], -1, kRead, SHUT_WR);
  close(pair[0]);
  close(pair[1]);

  /* A writer blocked on a full socket, then SHUT_WR. */
  tcp_pair(listener, &address, &client, &server);
  fill(client);
  shut_while_blocked("tcp write to a full socket, SHUT_WR", client, server, kWrite, SHUT_WR);
  close(client);
  close(server);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  fill(pair[0]);
  shut_while_blocked("unix write to a full socket, SHUT_WR", pair[0], pair[1], kWrite, SHUT_WR);
  close(pair[0]);
  close(pair[1]);

  /* accept on a listener that is shut down. */
  int second = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in second_address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(second, (struct sockaddr *)&second_address, sizeof second_address);
  listen(second, 8);
  shut_while_blocked("accept, SHUT_RD on the listener", second, -1, kAccept, SHUT_RD);
  close(second);
  close(listener);
  return 0;
}
