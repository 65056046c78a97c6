/* net_timeouts.c - SO_RCVTIMEO on recv/read/accept and SO_SNDTIMEO on a full socket give EAGAIN (or a partial count) after about the timeout, as natively; getsockopt returns what was set. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *error_name(int error) {
  switch (error) {
  case EAGAIN: return "EAGAIN";
  case EINPROGRESS: return "EINPROGRESS";
  case EINTR: return "EINTR";
  default: return strerror(error);
  }
}

/* Linux rounds socket timeouts up to whole jiffies and may wake up to one
 * jiffy (at most 4 ms at HZ=250) early: "about the timeout" allows that. */
static void report(const char *what, long rc, int error, double elapsed, double timeout) {
  if (rc < 0) {
    printf("%s: -1 %s", what, error_name(error));
  } else {
    printf("%s: %ld", what, rc);
  }
  printf(", waited about the timeout: %s, less than 10x: %s\n", elapsed >= timeout - 0.005 ? "yes" : "no",
         elapsed < 10 * timeout ? "yes" : "no");
  printf("#nocompare %s: %.4f s for a %.3f s timeout\n", what, elapsed, timeout);
}

static void set_timeout(int fd, int option, long usec) {
  struct timeval value = {usec / 1000000, usec % 1000000};
  if (setsockopt(fd, SOL_SOCKET, option, &value, sizeof value) != 0) {
    printf("setsockopt: %s\n", strerror(errno));
  }
  struct timeval back = {-1, -1};
  socklen_t length = sizeof back;
  getsockopt(fd, SOL_SOCKET, option, &back, &length);
  printf("%s set to %ld us, getsockopt: %ld.%06ld (length %u)\n", option == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO", usec,
         (long)back.tv_sec, (long)back.tv_usec, length);
}

struct delayed_send {
  int fd;
  int delay_us;
};

static void *send_later(void *arg) {
  struct delayed_send *job = arg;
  usleep((useconds_t)job->delay_us);
  send(job->fd, "y", 1, 0);
  return NULL;
}

/* Reads everything there is after a delay, without waiting, then stops. */
struct drain {
  int fd;
  int delay_us;
  long drained;
};

static void *drain_later(void *arg) {
  struct drain *job = arg;
  static char sink[65536];
  usleep((useconds_t)job->delay_us);
  for (int i = 0; i < 100000; i++) {
    ssize_t n = recv(job->fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n <= 0) {
      break;
    }
    job->drained += n;
  }
  return NULL;
}

/* Fills fd's send buffer (and the peer's receive buffer) until EAGAIN. */
static long fill(int fd) {
  static char chunk[65536];
  long total = 0;
  for (int i = 0; i < 100000; i++) {
    ssize_t n = send(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0) {
      break;
    }
    total += n;
  }
  return total;
}

static void timed_send(const char *what, int fd, size_t length, double timeout) {
  static char big[4 << 20];
  double start = now();
  long rc = send(fd, big, length, 0);
  int error = errno;
  double elapsed = now() - start;
  if (rc > 0 && (size_t)rc < length) {
    printf("%s: a partial count", what);
    printf(", waited about the timeout: %s, less than 10x: %s\n", elapsed >= timeout - 0.005 ? "yes" : "no",
           elapsed < 10 * timeout ? "yes" : "no");
    printf("#nocompare %s: %ld bytes in %.4f s\n", what, rc, elapsed);
  } else {
    report(what, rc, error, elapsed, timeout);
  }
}

int main(void) {
  alarm(20);
  char byte;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 8);
  getsockname(listener, (struct sockaddr *)&address, &length);

  /* A fresh socket has no timeouts. */
  int client = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval none = {-1, -1};
  length = sizeof none;
  getsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &none, &length);
  printf("default SO_RCVTIMEO: %ld.%06ld\n", (long)none.tv_sec, (long)none.tv_usec);
  connect(client, (struct sockaddr *)&address, sizeof address);
  int server = accept(listener, NULL, NULL);

  /* recv and read time out with EAGAIN. */
  set_timeout(client, SO_RCVTIMEO, 200000);
  double start = now();
  long rc = recv(client, &byte, 1, 0);
  int error = errno;
  report("recv with SO_RCVTIMEO 200 ms", rc, error, now() - start, 0.2);
  start = now();
  rc = read(client, &byte, 1);
  error = errno;
  report("read with SO_RCVTIMEO 200 ms", rc, error, now() - start, 0.2);

  /* Data that comes before the timeout is returned at once. */
  struct delayed_send job = {server, 50000};
  pthread_t thread;
  pthread_create(&thread, NULL, send_later, &job);
  start = now();
  rc = recv(client, &byte, 1, 0);
  double elapsed = now() - start;
  pthread_join(thread, NULL);
  printf("recv with data after 50 ms: %ld '%c', before the timeout: %s\n", rc, rc == 1 ? byte : '?', elapsed < 0.2 ? "yes" : "no");

  /* A longer timeout, then 0 again: no timeout, so a recv waits past the old one for data at 400 ms. */
  set_timeout(client, SO_RCVTIMEO, 50000);
  start = now();
  rc = recv(client, &byte, 1, 0);
  error = errno;
  report("recv with SO_RCVTIMEO 50 ms", rc, error, now() - start, 0.05);
  set_timeout(client, SO_RCVTIMEO, 0);
  job.delay_us = 400000;
  pthread_create(&thread, NULL, send_later, &job);
  start = now();
  rc = recv(client, &byte, 1, 0);
  elapsed = now() - start;
  pthread_join(thread, NULL);
  printf("recv with SO_RCVTIMEO 0: %ld '%c', waited for the data: %s\n", rc, rc == 1 ? byte : '?', elapsed >= 0.35 ? "yes" : "no");

  /* accept on a listener with SO_RCVTIMEO. */
  set_timeout(listener, SO_RCVTIMEO, 150000);
  start = now();
  rc = accept(listener, NULL, NULL);
  error = errno;
  report("accept with SO_RCVTIMEO 150 ms", rc, error, now() - start, 0.15);
  start = now();
  rc = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  error = errno;
  report("accept4 with SO_RCVTIMEO 150 ms", rc, error, now() - start, 0.15);

  /* SO_SNDTIMEO on a full AF_UNIX stream socket: EAGAIN when nothing fits. */
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  set_timeout(pair[0], SO_SNDTIMEO, 200000);
  printf("unix pair filled: %s\n", fill(pair[0]) > 0 ? "yes" : "no");
  timed_send("send 64 KiB to a full unix socket, SO_SNDTIMEO 200 ms", pair[0], 65536, 0.2);
  /* The reader drains everything once, after 50 ms: the writer writes some, then times out. */
  set_timeout(pair[0], SO_SNDTIMEO, 300000);
  struct drain drainer = {pair[1], 50000, 0};
  pthread_create(&thread, NULL, drain_later, &drainer);
  timed_send("send 4 MiB, peer drains once, SO_SNDTIMEO 300 ms", pair[0], 4 << 20, 0.3);
  pthread_join(thread, NULL);
  printf("the peer drained something: %s\n", drainer.drained > 0 ? "yes" : "no");

  /* The same on TCP: fill, let the stack settle, fill again, then time out. */
  set_timeout(server, SO_SNDTIMEO, 200000);
  long filled = fill(server);
  usleep(100000);
  filled += fill(server);
  printf("tcp socket filled: %s\n", filled > 0 ? "yes" : "no");
  timed_send("send 64 KiB to a full tcp socket, SO_SNDTIMEO 200 ms", server, 65536, 0.2);
  set_timeout(server, SO_SNDTIMEO, 0);

  close(pair[0]);
  close(pair[1]);
  close(server);
  close(client);
  close(listener);
  return 0;
}
