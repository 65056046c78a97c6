/* poll_busy_loop.c - a thread whose event loop never waits (epoll_wait, poll and select that find something, or nothing, at once, again and again) does not starve the others, as redis-benchmark --threads spins on writable sockets until another thread's counter stops it. */
/* sprig: green */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static int wake_pipe[2];

static double now_s(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

/* The other thread: sleeps, then stops the spinner (a flag, and a byte in the pipe). */
static void *stopper(void *arg) {
  (void)arg;
  usleep(20000);
  atomic_store(&stop, 1);
  if (write(wake_pipe[1], "x", 1) != 1) {
    perror("write");
  }
  return NULL;
}

/* Runs `spin` until the stopper thread stopped it, or 1 s passed; says which. */
static void race(const char *name, int (*spin)(void)) {
  char byte;
  atomic_store(&stop, 0);
  pthread_t other;
  pthread_create(&other, NULL, stopper, NULL);
  double start = now_s();
  long rounds = 0;
  int stopped = 0;
  while (now_s() - start < 1.0) {
    rounds++;
    if (spin()) {
      stopped = 1;
      break;
    }
  }
  pthread_join(other, NULL);
  if (read(wake_pipe[0], &byte, 1) != 1) {
    perror("read");
  }
  printf("%s: stopped by the other thread: %s\n", name, stopped ? "yes" : "no");
  printf("#nocompare %s: %ld rounds in %.3f s\n", name, rounds, now_s() - start);
}

static int epoll_instance;

/* An event loop over an always-writable socket: epoll_wait returns at once, every time. */
static int spin_epoll_ready(void) {
  struct epoll_event events[4];
  int ready = epoll_wait(epoll_instance, events, 4, 100);
  return ready != 1 || atomic_load(&stop);
}

static int spin_epoll_zero(void) {
  struct epoll_event events[4];
  epoll_wait(epoll_instance, events, 4, 0);
  return atomic_load(&stop);
}

/* A zero-timeout poll and select on the pipe, which stays empty until the other thread writes. */
static int spin_poll_zero(void) {
  struct pollfd probe = {wake_pipe[0], POLLIN, 0};
  return poll(&probe, 1, 0) == 1;
}

static int spin_select_zero(void) {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(wake_pipe[0], &readable);
  struct timeval zero = {0, 0};
  return select(wake_pipe[0] + 1, &readable, NULL, NULL, &zero) == 1;
}

int main(void) {
  alarm(20);
  int pair[2];
  if (pipe(wake_pipe) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
    perror("pipe/socketpair");
    return 1;
  }
  epoll_instance = epoll_create1(0);
  struct epoll_event writable = {.events = EPOLLOUT, .data.fd = pair[0]};
  epoll_ctl(epoll_instance, EPOLL_CTL_ADD, pair[0], &writable);
  race("epoll_wait with a timeout, always ready", spin_epoll_ready);
  race("epoll_wait with timeout 0", spin_epoll_zero);
  race("poll with timeout 0", spin_poll_zero);
  race("select with a zero timeout", spin_select_zero);
  return 0;
}
