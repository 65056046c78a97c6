/* net_timeouts_accepted.c - a socket accepted from a listener with SO_RCVTIMEO/SO_SNDTIMEO inherits both (Linux copies them): its recv and its send to a full peer give EAGAIN after the listener's timeouts. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A call that never returns would hang the program: after 2 s a watchdog
 * unblocks it (sends a byte, or drains the peer), and the output says so. */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct watchdog {
  int fd;
  int drain; /* 0: send a byte on fd; 1: read everything from fd */
  atomic_int done;
  atomic_int fired;
};

static void *watch(void *arg) {
  struct watchdog *dog = arg;
  for (int i = 0; i < 200 && !atomic_load(&dog->done); i++) {
    usleep(10000);
  }
  if (atomic_load(&dog->done)) {
    return NULL;
  }
  atomic_store(&dog->fired, 1);
  if (dog->drain) {
    static char sink[65536];
    for (int i = 0; i < 100000 && recv(dog->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {
    }
  } else {
    send(dog->fd, "w", 1, 0);
  }
  return NULL;
}

static void show(const char *what, long rc, int error, double elapsed, double timeout, struct watchdog *dog) {
  if (atomic_load(&dog->fired)) {
    printf("%s: %ld, only after the watchdog unblocked it (the timeout was not applied)\n", what, rc);
  } else if (rc < 0) {
    printf("%s: -1 %s, waited about the timeout: %s\n", what, error == EAGAIN ? "EAGAIN" : strerror(error),
           elapsed >= timeout - 0.005 && elapsed < 10 * timeout ? "yes" : "no");
  } else {
    printf("%s: %ld\n", what, rc);
  }
  printf("#nocompare %s: %.4f s\n", what, elapsed);
}

int main(void) {
  alarm(20);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 8);
  getsockname(listener, (struct sockaddr *)&address, &length);
  struct timeval receive = {0, 200000}, send_timeout = {0, 300000};
  setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &receive, sizeof receive);
  setsockopt(listener, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);

  int client = socket(AF_INET, SOCK_STREAM, 0);
  connect(client, (struct sockaddr *)&address, sizeof address);
  int accepted = accept(listener, NULL, NULL);
  struct timeval value;
  length = sizeof value;
  getsockopt(accepted, SOL_SOCKET, SO_RCVTIMEO, &value, &length);
  printf("accepted socket SO_RCVTIMEO: %ld.%06ld\n", (long)value.tv_sec, (long)value.tv_usec);
  length = sizeof value;
  getsockopt(accepted, SOL_SOCKET, SO_SNDTIMEO, &value, &length);
  printf("accepted socket SO_SNDTIMEO: %ld.%06ld\n", (long)value.tv_sec, (long)value.tv_usec);

  /* recv with the inherited SO_RCVTIMEO. */
  struct watchdog dog = {.fd = client, .drain = 0};
  pthread_t thread;
  pthread_create(&thread, NULL, watch, &dog);
  char byte;
  double start = now();
  long rc = recv(accepted, &byte, 1, 0);
  int error = errno;
  double elapsed = now() - start;
  atomic_store(&dog.done, 1);
  pthread_join(thread, NULL);
  show("recv on the accepted socket", rc, error, elapsed, 0.2, &dog);

  /* send to a full peer with the inherited SO_SNDTIMEO. */
  static char chunk[65536];
  long filled = 0;
  for (int i = 0; i < 100000; i++) {
    ssize_t n = send(accepted, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0) {
      break;
    }
    filled += n;
  }
  usleep(100000);
  for (int i = 0; i < 100000; i++) {
    ssize_t n = send(accepted, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0) {
      break;
    }
    filled += n;
  }
  printf("accepted socket filled: %s\n", filled > 0 ? "yes" : "no");
  struct watchdog drain_dog = {.fd = client, .drain = 1};
  pthread_create(&thread, NULL, watch, &drain_dog);
  start = now();
  rc = send(accepted, chunk, sizeof chunk, 0);
  error = errno;
  elapsed = now() - start;
  atomic_store(&drain_dog.done, 1);
  pthread_join(thread, NULL);
  show("send 64 KiB on the full accepted socket", rc, error, elapsed, 0.3, &drain_dog);

  close(accepted);
  close(client);
  close(listener);
  return 0;
}
