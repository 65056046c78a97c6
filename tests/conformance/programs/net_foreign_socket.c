/* net_foreign_socket.c - sockets made before main (in a constructor, so not by sprig) and used by threads: blocking reads wait while a witness ticks, a blocking 4 MiB write completes, SO_RCVTIMEO set before main applies, accept on such a listener waits, and their flags stay the program's. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kBig = 4 << 20 };

static int pair[2] = {-1, -1};
static int timed[2] = {-1, -1};
static int listener = -1;
static struct sockaddr_in listen_address;

/* Runs before main, so before sprig runs any green thread: these sockets are the program's own, blocking in the kernel. */
__attribute__((constructor)) static void make_sockets(void) {
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  socketpair(AF_UNIX, SOCK_STREAM, 0, timed);
  struct timeval timeout = {0, 150000};
  setsockopt(timed[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  listen_address = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof listen_address;
  bind(listener, (struct sockaddr *)&listen_address, sizeof listen_address);
  listen(listener, 8);
  getsockname(listener, (struct sockaddr *)&listen_address, &length);
}

static atomic_int ticks;
static atomic_int stop;

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(5000);
  }
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *send_later(void *arg) {
  usleep(100000);
  send((int)(long)arg, "late", 4, 0);
  return NULL;
}

struct reader {
  int fd;
  long got;
  long bad;
};

static void *slow_reader(void *arg) {
  struct reader *job = arg;
  static unsigned char buffer[65536];
  while (job->got < kBig) {
    ssize_t n = read(job->fd, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    for (ssize_t i = 0; i < n; i++) {
      job->bad += buffer[i] != (unsigned char)((job->got + i) % 251);
    }
    job->got += n;
    usleep(200);
  }
  return NULL;
}

static void *connect_later(void *arg) {
  (void)arg;
  usleep(50000);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  connect(fd, (struct sockaddr *)&listen_address, sizeof listen_address);
  send(fd, "hello", 5, 0);
  close(fd);
  return NULL;
}

static void show_flags(const char *what, int fd) {
  printf("%s: O_NONBLOCK %s\n", what, (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "on" : "off");
}

int main(void) {
  alarm(20);
  printf("made before main: %s\n", pair[0] >= 0 && timed[0] >= 0 && listener >= 0 ? "yes" : "no");
  show_flags("pair before use", pair[0]);
  pthread_t witness_thread, thread;
  pthread_create(&witness_thread, NULL, witness, NULL);

  /* A blocking read that waits 100 ms for data. */
  pthread_create(&thread, NULL, send_later, (void *)(long)pair[1]);
  int before = atomic_load(&ticks);
  char buffer[16] = {0};
  ssize_t n = read(pair[0], buffer, sizeof buffer - 1);
  int during = atomic_load(&ticks) - before;
  pthread_join(thread, NULL);
  printf("blocking read: %zd '%s', witness ticked meanwhile: %s\n", n, buffer, during >= 5 ? "yes" : "no");
  printf("#nocompare ticks during the read: %d\n", during);
  show_flags("pair after a blocking read", pair[0]);
  n = recv(pair[0], buffer, 1, MSG_DONTWAIT);
  printf("recv MSG_DONTWAIT: %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "");

  /* A blocking 4 MiB write with a slow reader: all of it, in one call. */
  unsigned char *big = malloc(kBig);
  for (long i = 0; i < kBig; i++) {
    big[i] = (unsigned char)(i % 251);
  }
  struct reader job = {pair[0], 0, 0};
  pthread_create(&thread, NULL, slow_reader, &job);
  n = write(pair[1], big, kBig);
  pthread_join(thread, NULL);
  printf("blocking write of 4 MiB: %zd, reader got %ld, %ld wrong\n", n, job.got, job.bad);
  show_flags("writer end after the write", pair[1]);

  /* SO_RCVTIMEO set before main. */
  double start = now();
  n = recv(timed[0], buffer, 1, 0);
  int error = errno;
  double elapsed = now() - start;
  printf("recv with SO_RCVTIMEO 150 ms set before main: %zd %s, about the timeout: %s\n", n, n < 0 && error == EAGAIN ? "EAGAIN" : "",
         elapsed >= 0.145 && elapsed < 1.5 ? "yes" : "no");

  /* The program makes one of them non-blocking itself. */
  fcntl(timed[0], F_SETFL, O_NONBLOCK);
  show_flags("after the program's F_SETFL O_NONBLOCK", timed[0]);
  start = now();
  n = recv(timed[0], buffer, 1, 0);
  printf("recv on it: %zd %s, at once: %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "", now() - start < 0.1 ? "yes" : "no");

  /* accept on a listener made before main: waits for the connection. */
  show_flags("listener", listener);
  pthread_create(&thread, NULL, connect_later, NULL);
  int accepted = accept(listener, NULL, NULL);
  pthread_join(thread, NULL);
  memset(buffer, 0, sizeof buffer);
  n = read(accepted, buffer, sizeof buffer - 1);
  printf("accept: %s, read %zd '%s'\n", accepted >= 0 ? "a socket" : strerror(errno), n, buffer);
  show_flags("accepted socket", accepted);
  show_flags("listener after accept", listener);

  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  free(big);
  close(accepted);
  close(listener);
  close(timed[0]);
  close(timed[1]);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
