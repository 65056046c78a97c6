/* net_fcntl64_flags.c - a program built with _FILE_OFFSET_BITS=64 calls fcntl64, not fcntl: F_GETFL shows its own O_NONBLOCK view, and redis's pattern (F_SETFL only when F_GETFL says blocking) leaves a listener non-blocking, so accept says EAGAIN at once. */
/* sprig: green */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64 /* fcntl is fcntl64 from here on, as in redis-server, python3, libsqlite3 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* redis's anetSetBlock: nothing to do when the flag is already as wanted. */
static int set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) {
    return -1;
  }
  if ((flags & O_NONBLOCK) != 0) {
    return 0;
  }
  return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void *sleeper(void *arg) {
  (void)arg;
  usleep(50000);
  return NULL;
}

static double now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

int main(void) {
  alarm(20);
  pthread_t witness;
  pthread_create(&witness, NULL, sleeper, NULL);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  printf("new socket: O_NONBLOCK %s\n", (fcntl(listener, F_GETFL) & O_NONBLOCK) ? "on" : "off");
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0) {
    perror("bind/listen");
    return 1;
  }
  /* Should accept ever park, give up after 300 ms instead of hanging. */
  struct timeval timeout = {0, 300000};
  setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  printf("set_nonblocking: %d\n", set_nonblocking(listener));
  printf("after: O_NONBLOCK %s\n", (fcntl(listener, F_GETFL) & O_NONBLOCK) ? "on" : "off");
  double start = now_ms();
  int client = accept(listener, NULL, NULL);
  double waited = now_ms() - start;
  printf("accept with no client: %d %s, at once: %s\n", client, errno == EAGAIN ? "EAGAIN" : strerror(errno),
         waited < 150 ? "yes" : "no");

  printf("F_SETFL 0: %d\n", fcntl(listener, F_SETFL, 0));
  printf("cleared: O_NONBLOCK %s\n", (fcntl(listener, F_GETFL) & O_NONBLOCK) ? "on" : "off");
  printf("F_GETFD after F_SETFD FD_CLOEXEC: %d\n",
         fcntl(listener, F_SETFD, FD_CLOEXEC) == 0 && fcntl(listener, F_GETFD) == FD_CLOEXEC);
  int copy = fcntl(listener, F_DUPFD_CLOEXEC, 0);
  printf("F_DUPFD_CLOEXEC copy: O_NONBLOCK %s\n", (fcntl(copy, F_GETFL) & O_NONBLOCK) ? "on" : "off");
  close(copy);
  close(listener);
  pthread_join(witness, NULL);
  return 0;
}
