/* hard_emfile.c - out of fds under a lowered RLIMIT_NOFILE (64): socket, socketpair, dup and accept fail with EMFILE (accept leaves the connection queued); blocking reads of a pipe and a socket, poll on the pipe and epoll_wait on the program's epoll instance still wait for their data; after closing some fds, accept takes the queued connection. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kLimit = 64, kMaxFillers = 100 };

static const char *errno_name(int error) {
  switch (error) {
  case 0: return "no error";
  case EMFILE: return "EMFILE";
  case ENFILE: return "ENFILE";
  case ENOMEM: return "ENOMEM";
  case EAGAIN: return "EAGAIN";
  case EBADF: return "EBADF";
  default: return strerror(error);
  }
}

struct delayed_write {
  int fd;
  const char *text;
};

static void *write_later(void *arg) {
  struct delayed_write *job = arg;
  usleep(30000);
  write(job->fd, job->text, strlen(job->text));
  return NULL;
}

static void read_while_another_writes(const char *what, int read_fd, int write_fd, const char *text) {
  struct delayed_write job = {write_fd, text};
  pthread_t writer;
  pthread_create(&writer, NULL, write_later, &job);
  char buffer[64] = {0};
  errno = 0;
  ssize_t n = read(read_fd, buffer, sizeof buffer - 1);
  int error = errno;
  pthread_join(writer, NULL);
  printf("%s with no fd left: read %zd bytes: %s\n", what, n, n > 0 ? buffer : errno_name(error));
  if (n <= 0) {
    read(read_fd, buffer, sizeof buffer); /* the data is there now: leave the fd empty */
  }
}

static int poll_pipe(int fd) {
  struct pollfd probe = {.fd = fd, .events = POLLIN};
  int rc = poll(&probe, 1, 5000);
  return rc == 1 && (probe.revents & POLLIN) ? 1 : rc;
}

static int wait_epoll(int fd) {
  struct epoll_event event;
  int rc = epoll_wait(fd, &event, 1, 5000);
  return rc == 1 && (event.events & EPOLLIN) ? 1 : rc;
}

/* Another thread writes into the pipe 30 ms from now; `wait` (poll or epoll_wait on fd, 5 s at most) waits for it. */
static void wait_while_another_writes(const char *what, int (*wait)(int fd), int fd, const int pipe_fds[2]) {
  char drain[64];
  struct delayed_write job = {pipe_fds[1], "x"};
  pthread_t writer;
  pthread_create(&writer, NULL, write_later, &job);
  errno = 0;
  int rc = wait(fd);
  int error = errno;
  pthread_join(writer, NULL);
  printf("%s with no fd left: %d %s\n", what, rc, rc == 1 ? "readable" : errno_name(error));
  read(pipe_fds[0], drain, sizeof drain);
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = kLimit;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    perror("setrlimit");
    return 1;
  }

  /* What the program needs later, made while fds are left. */
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 8);
  socklen_t length = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  int connected = connect(client, (struct sockaddr *)&address, sizeof address);
  write(client, "queued", 6);
  printf("connected while fds were left: %s\n", connected == 0 ? "yes" : "no");
  int pipe_fds[2];
  pipe(pipe_fds);
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  int epoll = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN, .data.fd = pipe_fds[0]};
  epoll_ctl(epoll, EPOLL_CTL_ADD, pipe_fds[0], &interest);

  /* Fill every fd up to the limit. */
  int fillers[kMaxFillers];
  int filled = 0;
  int error = 0;
  while (filled < kMaxFillers) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
      error = errno;
      break;
    }
    fillers[filled++] = fd;
  }
  int highest = filled > 0 ? fillers[filled - 1] : -1;
  printf("socket until it failed: %s; the last fd was the limit minus one: %s\n", errno_name(error),
         highest == kLimit - 1 ? "yes" : "no");
  printf("#nocompare sockets made: %d, highest fd %d\n", filled, highest);

  int pair2[2];
  errno = 0;
  int rc = socketpair(AF_UNIX, SOCK_STREAM, 0, pair2);
  printf("socketpair: %d %s\n", rc, errno_name(errno));
  errno = 0;
  rc = dup(listener);
  printf("dup: %d %s\n", rc, errno_name(errno));
  errno = 0;
  int accepted = accept(listener, NULL, NULL);
  printf("accept with a connection queued: %d %s\n", accepted, errno_name(errno));
  errno = 0;
  accepted = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
  printf("accept4(SOCK_NONBLOCK) with a connection queued: %d %s\n", accepted, errno_name(errno));

  /* Blocking reads and waits that must wait, with no fd left. */
  wait_while_another_writes("poll", poll_pipe, pipe_fds[0], pipe_fds);
  wait_while_another_writes("epoll_wait", wait_epoll, epoll, pipe_fds);
  read_while_another_writes("pipe", pipe_fds[0], pipe_fds[1], "through the pipe");
  read_while_another_writes("socketpair", pair[0], pair[1], "through the socketpair");

  /* Free two fds: the queued connection is accepted and its data read. */
  close(fillers[--filled]);
  close(fillers[--filled]);
  errno = 0;
  accepted = accept(listener, NULL, NULL);
  char buffer[16] = {0};
  ssize_t n = accepted >= 0 ? read(accepted, buffer, sizeof buffer - 1) : -1;
  printf("accept after closing two fds: %s %s, read %zd bytes: %s\n", accepted >= 0 ? "a connection" : "failed",
         errno_name(errno), n, n > 0 ? buffer : "(none)");
  errno = 0;
  int last = socket(AF_INET, SOCK_DGRAM, 0);
  printf("socket into the last free fd: %s\n", last == kLimit - 1 ? "the limit minus one" : errno_name(errno));
  errno = 0;
  rc = socket(AF_INET, SOCK_DGRAM, 0);
  printf("one more socket: %d %s\n", rc, errno_name(errno));
  close(last);
  while (filled > 0) {
    close(fillers[--filled]);
  }
  errno = 0;
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  printf("socket after closing the rest: %s\n", fresh >= 0 ? "ok" : errno_name(errno));
  return 0;
}
