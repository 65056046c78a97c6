/* div_fd_closed_behind.c - a descriptor closed by close_range(), closefrom(), fclose() or an OS thread started before main, whose number a non-blocking eventfd then gets: the eventfd's F_GETFL and a read() before a thread writes it 100 ms later. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Descriptors closed behind sprig's back"):
 * under sprig the eventfd is treated as the descriptor that had its number:
 * after a socket, F_GETFL hides its O_NONBLOCK and the read waits for the
 * write instead of failing with EAGAIN. test_divergences.py checks both
 * results. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static void *write_later(void *arg) {
  usleep(100000);
  uint64_t one = 1;
  if (write(*(int *)arg, &one, sizeof one) != sizeof one) {
    perror("write");
  }
  return NULL;
}

/* An eventfd made non-blocking where `old_fd` was: what F_GETFL and read show. */
static void reuse(const char *how, int old_fd) {
  int fd = eventfd(0, EFD_NONBLOCK);
  if (fd != old_fd) {
    printf("%s: the eventfd got %d, not %d\n", how, fd, old_fd);
    close(fd);
    return;
  }
  pthread_t thread;
  pthread_create(&thread, NULL, write_later, &fd);
  int flags = fcntl(fd, F_GETFL);
  uint64_t value = 0;
  errno = 0;
  ssize_t got = read(fd, &value, sizeof value);
  int error = errno;
  printf("%s: O_NONBLOCK %s, read ", how, (flags & O_NONBLOCK) != 0 ? "on" : "off");
  if (got < 0) {
    printf("-1 %s\n", error == EAGAIN ? "EAGAIN" : strerror(error));
  } else {
    printf("%zd (the write 100 ms later)\n", got);
  }
  pthread_join(thread, NULL);
  close(fd);
}

/* An OS thread started before main (not a green thread under sprig): it
 * closes the descriptors whose numbers come through `requests`. */
static int requests[2];
static int replies[2];

static void *closer(void *arg) {
  int fd;
  while (read(requests[0], &fd, sizeof fd) == sizeof fd) {
    int rc = close(fd);
    if (write(replies[1], &rc, sizeof rc) != sizeof rc) {
      break;
    }
  }
  return arg;
}

__attribute__((constructor)) static void start_closer(void) {
  if (pipe(requests) != 0 || pipe(replies) != 0) {
    abort();
  }
  pthread_t thread;
  pthread_create(&thread, NULL, closer, NULL);
  pthread_detach(thread);
}

int main(void) {
  alarm(20);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  close_range((unsigned)fd, (unsigned)fd, 0);
  reuse("a socket closed by close_range()", fd);

  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  closefrom(fd);
  reuse("a socket closed by closefrom()", fd);

  FILE *stream = fopen("/dev/null", "r");
  fd = fileno(stream);
  int flags = fcntl(fd, F_GETFL); /* the program looks at it */
  fclose(stream);
  reuse(flags >= 0 ? "/dev/null opened by fopen(), closed by fclose()" : "fcntl failed", fd);

  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  int rc = -1;
  if (write(requests[1], &fd, sizeof fd) != sizeof fd ||
      read(replies[0], &rc, sizeof rc) != sizeof rc) {
    return 1;
  }
  reuse(rc == 0 ? "a socket closed by an OS thread started before main" : "close failed", fd);
  return 0;
}
