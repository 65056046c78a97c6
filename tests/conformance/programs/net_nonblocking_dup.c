/* net_nonblocking_dup.c - O_NONBLOCK belongs to the open file description: set through one fd of a socket, it shows through a dup()/dup2()/F_DUPFD copy made before, whose read then gives EAGAIN. */
/* sprig: own-test green */
/* A divergence sprig(7) lists ("The O_NONBLOCK view is per descriptor
 * number"): under sprig the copies keep the view they had when made, and a
 * read through one waits. A watchdog unblocks such a read after 1 s.
 * test_scale_and_io.py checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_int reading;
static int peer;

static void *watchdog(void *arg) {
  (void)arg;
  usleep(30000); /* lives a while in any case, so the harness sees two OS threads natively */
  for (int i = 0; i < 100 && atomic_load(&reading); i++) {
    usleep(10000);
  }
  if (atomic_load(&reading)) {
    send(peer, "w", 1, 0);
  }
  return NULL;
}

static void try_read(const char *what, int fd) {
  atomic_store(&reading, 1);
  pthread_t thread;
  pthread_create(&thread, NULL, watchdog, NULL);
  char byte;
  ssize_t n = read(fd, &byte, 1);
  int error = errno;
  atomic_store(&reading, 0);
  pthread_join(thread, NULL);
  if (n < 0) {
    printf("%s: read -1 %s\n", what, error == EAGAIN ? "EAGAIN" : "other error");
  } else {
    printf("%s: read %zd, the watchdog's byte after 1 s\n", what, n);
  }
}

static void show(const char *what, int fd) {
  printf("%s: O_NONBLOCK %s\n", what, (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "on" : "off");
}

int main(void) {
  alarm(20);
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  peer = pair[1];
  int copy = dup(pair[0]);
  int copy2 = dup2(pair[0], 200);
  int copy3 = fcntl(pair[0], F_DUPFD_CLOEXEC, 300);
  fcntl(pair[0], F_SETFL, O_NONBLOCK);
  show("the fd set non-blocking", pair[0]);
  show("its dup()", copy);
  show("its dup2()", copy2);
  show("its F_DUPFD_CLOEXEC", copy3);
  try_read("read through the dup()", copy);

  /* And back: cleared through a copy, the original is blocking again. */
  int on = 0;
  ioctl(copy, FIONBIO, &on);
  show("the copy after FIONBIO 0", copy);
  show("the original", pair[0]);
  close(copy3);
  close(copy2);
  close(copy);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
