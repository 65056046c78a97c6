/* net_dup2_waiter.c - dup2() of /dev/null onto a socket fd another thread is blocked reading: what the blocked read returns (Linux: it keeps waiting on the socket and returns the data that comes later). */
/* sprig: own-test green */
/* A divergence sprig(7) lists ("Closing a descriptor wakes its waiters"):
 * under sprig the blocked read wakes at once with EBADF. test_scale_and_io.py
 * checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct waiter {
  int fd;
  long rc;
  int error;
  char byte;
  atomic_int reading; /* about to call read() */
  atomic_int done;
};

static void *wait_for_data(void *arg) {
  struct waiter *job = arg;
  atomic_store(&job->reading, 1);
  job->rc = read(job->fd, &job->byte, 1);
  job->error = errno;
  atomic_store(&job->done, 1);
  return NULL;
}

int main(void) {
  alarm(20);
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  struct waiter job = {.fd = pair[0]};
  pthread_t thread;
  pthread_create(&thread, NULL, wait_for_data, &job);
  /* at most 10 s, so a loaded machine only slows it */
  for (int i = 0; i < 10000 && !atomic_load(&job.reading); i++) {
    usleep(1000);
  }
  usleep(100000); /* the reader is blocked in read() now */
  int null_fd = open("/dev/null", O_RDONLY);
  int rc = dup2(null_fd, pair[0]);
  printf("dup2 onto the waited-on fd: %s\n", rc == pair[0] ? "ok" : strerror(errno));
  usleep(100000);
  printf("the waiter returned before any data: %s\n", atomic_load(&job.done) ? "yes" : "no");
  /* Natively the blocked read still holds the socket open; if it does not, the peer is gone: EPIPE. */
  long sent = send(pair[1], "d", 1, MSG_NOSIGNAL);
  printf("send from the peer: %ld%s\n", sent, sent < 0 ? (errno == EPIPE ? " EPIPE" : " other error") : "");
  pthread_join(thread, NULL);
  if (job.rc < 0) {
    printf("waiter: -1 %s\n", job.error == EBADF ? "EBADF" : strerror(job.error));
  } else {
    printf("waiter: %ld byte '%c'\n", job.rc, job.rc == 1 ? job.byte : '?');
  }
  char byte;
  printf("read on the fd after dup2: %zd (now /dev/null)\n", read(pair[0], &byte, 1));
  close(null_fd);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
