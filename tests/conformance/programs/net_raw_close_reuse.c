/* net_raw_close_reuse.c - fds a thread waited on, then closed with a raw syscall(SYS_close) (as a program's own libuv closes its fds), and their numbers reused by socketpair, socket (accept on it) and F_DUPFD: reads and accepts on the new fds wake when data or a connection comes. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct delayed_write {
  int fd;
  const char *text;
};

static void *write_later(void *arg) {
  struct delayed_write *job = arg;
  usleep(20000);
  write(job->fd, job->text, strlen(job->text));
  return NULL;
}

/* Another thread writes `text` into `write_fd` 20 ms from now; this one reads it from `read_fd`, waiting. */
static void read_while_another_writes(const char *what, int read_fd, int write_fd, const char *text) {
  struct delayed_write job = {write_fd, text};
  pthread_t writer;
  pthread_create(&writer, NULL, write_later, &job);
  char buffer[64] = {0};
  ssize_t n = read(read_fd, buffer, sizeof buffer - 1);
  pthread_join(writer, NULL);
  printf("%s: read %zd bytes: %s\n", what, n, n > 0 ? buffer : "(none)");
}

static void raw_close(int fd) { syscall(SYS_close, fd); }

static void *connect_later(void *arg) {
  int port = *(int *)arg;
  usleep(20000);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, (struct sockaddr *)&address, sizeof address);
  write(fd, "via accept", 10);
  usleep(50000);
  close(fd);
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* A pipe (blocking, not created by the program's sockets calls), waited on, then closed raw. */
  int pipe_fds[2];
  pipe(pipe_fds);
  read_while_another_writes("pipe", pipe_fds[0], pipe_fds[1], "through the pipe");
  raw_close(pipe_fds[0]);
  raw_close(pipe_fds[1]);

  /* socketpair takes the same two numbers. */
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  int reused = (pair[0] == pipe_fds[0] || pair[0] == pipe_fds[1]) && (pair[1] == pipe_fds[0] || pair[1] == pipe_fds[1]);
  printf("socketpair reused the pipe's numbers: %s\n", reused ? "yes" : "no");
  read_while_another_writes("socketpair on the pipe's numbers", pair[0], pair[1], "through the socketpair");
  int old_reader = pair[0];
  raw_close(pair[0]);

  /* A listening socket on the socketpair end's number: accept waits for the connection. */
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  printf("socket reused the socketpair end's number: %s\n", listener == old_reader ? "yes" : "no");
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  socklen_t length = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &length);
  int port = ntohs(address.sin_port);
  pthread_t connector;
  pthread_create(&connector, NULL, connect_later, &port);
  int accepted = accept(listener, NULL, NULL);
  char buffer[32] = {0};
  ssize_t n = read(accepted, buffer, sizeof buffer - 1);
  printf("accept on the reused number: %s, read %zd bytes: %s\n", accepted >= 0 ? "a connection" : "failed", n,
         n > 0 ? buffer : "(none)");
  pthread_join(connector, NULL);

  /* The listener, waited on by accept, closed raw, and its number given to an F_DUPFD copy. */
  int old_listener = listener;
  int pair_again[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair_again);
  raw_close(listener);
  int copy = fcntl(pair_again[0], F_DUPFD, old_listener);
  printf("F_DUPFD reused the listener's number: %s\n", copy == old_listener ? "yes" : "no");
  read_while_another_writes("F_DUPFD copy on the listener's number", copy, pair_again[1], "through the copy");
  close(copy);
  close(pair_again[0]);
  close(pair_again[1]);
  close(pair[1]);
  close(accepted);
  return 0;
}
