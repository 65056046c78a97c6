/* poll_exceptional.c - waits with a 600 ms timeout for an event a peer thread causes 100 ms later: poll() for POLLPRI alone and select() with only exceptfds, for urgent (MSG_OOB) TCP data; select() for reading on a descriptor above FD_SETSIZE (1500), for ordinary data. Each returns with its event within 300 ms. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kHighFd = 1500 };

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

struct peer {
  int fd;
  int flags;
};

static void *send_later(void *arg) {
  struct peer *peer = arg;
  usleep(100000);
  if (send(peer->fd, "!", 1, peer->flags) != 1) {
    perror("send");
  }
  return NULL;
}

/* A connected TCP pair over 127.0.0.1. */
static void tcp_pair(int fds[2]) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    perror("listener");
    exit(1);
  }
  fds[0] = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fds[0], (struct sockaddr *)&address, sizeof address) != 0) {
    perror("connect");
    exit(1);
  }
  fds[1] = accept(listener, NULL, NULL);
  close(listener);
}

static void start_peer(pthread_t *thread, struct peer *peer) {
  pthread_create(thread, NULL, send_later, peer);
}

static const char *when(long long started) {
  return now_ms() - started < 300 ? "within 300 ms" : "at its 600 ms timeout";
}

static void poll_pri(void) {
  int fds[2];
  tcp_pair(fds);
  struct peer peer = {fds[1], MSG_OOB};
  pthread_t thread;
  start_peer(&thread, &peer);
  struct pollfd wanted = {fds[0], POLLPRI, 0};
  long long started = now_ms();
  int rc = poll(&wanted, 1, 600);
  printf("poll(POLLPRI) for urgent data sent 100 ms later: %d, revents%s%s, %s\n", rc,
         (wanted.revents & POLLPRI) != 0 ? " POLLPRI" : "", wanted.revents == 0 ? " none" : "",
         when(started));
  pthread_join(thread, NULL);
  close(fds[0]);
  close(fds[1]);
}

static void select_except(void) {
  int fds[2];
  tcp_pair(fds);
  struct peer peer = {fds[1], MSG_OOB};
  pthread_t thread;
  start_peer(&thread, &peer);
  fd_set exceptional;
  FD_ZERO(&exceptional);
  FD_SET(fds[0], &exceptional);
  struct timeval timeout = {0, 600000};
  long long started = now_ms();
  int rc = select(fds[0] + 1, NULL, NULL, &exceptional, &timeout);
  printf("select(exceptfds only) for urgent data sent 100 ms later: %d, %s, %s\n", rc,
         FD_ISSET(fds[0], &exceptional) ? "set" : "not set", when(started));
  pthread_join(thread, NULL);
  close(fds[0]);
  close(fds[1]);
}

static void select_high_fd(void) {
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur <= kHighFd) {
    limit.rlim_cur = limit.rlim_max > 2048 ? 2048 : limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  int fds[2];
  tcp_pair(fds);
  if (dup2(fds[0], kHighFd) != kHighFd) {
    printf("select() on fd %d: cannot have that descriptor\n", kHighFd);
    return;
  }
  struct peer peer = {fds[1], 0};
  pthread_t thread;
  start_peer(&thread, &peer);
  /* A set large enough for the descriptor, as programs that pass FD_SETSIZE make it. */
  size_t words = (kHighFd + 1 + 8 * sizeof(fd_mask) - 1) / (8 * sizeof(fd_mask));
  fd_mask *readable = calloc(words, sizeof(fd_mask));
  readable[kHighFd / (8 * sizeof(fd_mask))] |= (fd_mask)1 << (kHighFd % (8 * sizeof(fd_mask)));
  struct timeval timeout = {0, 600000};
  long long started = now_ms();
  int rc = select(kHighFd + 1, (fd_set *)readable, NULL, NULL, &timeout);
  int set = (readable[kHighFd / (8 * sizeof(fd_mask))] >> (kHighFd % (8 * sizeof(fd_mask)))) & 1;
  printf("select(readfds) on fd %d for data sent 100 ms later: %d, %s, %s\n", kHighFd, rc,
         set ? "set" : "not set", when(started));
  pthread_join(thread, NULL);
  free(readable);
  close(kHighFd);
  close(fds[0]);
  close(fds[1]);
}

int main(void) {
  alarm(20);
  poll_pri();
  select_except();
  select_high_fd();
  return 0;
}
