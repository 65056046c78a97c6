/* io_writev_many.c - a blocking writev() and sendmsg() of many buffers into a socket whose reader is slower: 9, 64 and 1024 (IOV_MAX) buffers, more than the socket holds, each call writing all of them. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define PIECE_BYTES 700 /* not a power of two: partial writes end inside buffers */

static int pair[2];

struct tally {
  long bytes;
  uint32_t sum;
};

/* Reads until end of file in small steps, pausing now and then, so the
 * writer fills the socket and has to wait. */
static void *reader(void *arg) {
  struct tally *tally = arg;
  char buffer[1000];
  long reads = 0;
  for (;;) {
    ssize_t got = read(pair[0], buffer, sizeof buffer);
    if (got <= 0) {
      break;
    }
    for (ssize_t i = 0; i < got; i++) {
      tally->sum = tally->sum * 31 + (unsigned char)buffer[i];
    }
    tally->bytes += got;
    if (++reads % 64 == 0) {
      usleep(1000);
    }
  }
  return NULL;
}

static uint32_t expected_sum(const struct iovec *iov, int count, uint32_t sum) {
  for (int i = 0; i < count; i++) {
    const unsigned char *bytes = iov[i].iov_base;
    for (size_t j = 0; j < iov[i].iov_len; j++) {
      sum = sum * 31 + bytes[j];
    }
  }
  return sum;
}

int main(void) {
  alarm(20);
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
    return 1;
  }
  int sizes[] = {9, 64, IOV_MAX};
  struct iovec *iov = calloc(IOV_MAX + 1, sizeof *iov);
  char *data = malloc((size_t)IOV_MAX * PIECE_BYTES);
  for (long i = 0; i < (long)IOV_MAX * PIECE_BYTES; i++) {
    data[i] = (char)('a' + (i * 7) % 26);
  }
  struct tally tally = {0, 0};
  pthread_t thread;
  pthread_create(&thread, NULL, reader, &tally);
  uint32_t sum = 0;
  long total = 0;
  for (size_t round = 0; round < sizeof sizes / sizeof sizes[0]; round++) {
    int count = sizes[round];
    for (int i = 0; i < count; i++) {
      iov[i].iov_base = data + (long)i * PIECE_BYTES;
      iov[i].iov_len = PIECE_BYTES;
    }
    ssize_t written = writev(pair[1], iov, count);
    printf("writev of %d buffers: %zd of %ld bytes\n", count, written, (long)count * PIECE_BYTES);
    sum = expected_sum(iov, count, sum);
    total += written > 0 ? written : 0;
    struct msghdr message = {.msg_iov = iov, .msg_iovlen = (size_t)count};
    written = sendmsg(pair[1], &message, 0);
    printf("sendmsg of %d buffers: %zd of %ld bytes\n", count, written, (long)count * PIECE_BYTES);
    sum = expected_sum(iov, count, sum);
    total += written > 0 ? written : 0;
  }
  iov[0].iov_len = 1;
  errno = 0;
  ssize_t refused = writev(pair[1], iov, IOV_MAX + 1);
  printf("writev of IOV_MAX + 1 buffers: %zd %s\n", refused, errno == EINVAL ? "EINVAL" : strerror(errno));
  close(pair[1]);
  pthread_join(thread, NULL);
  printf("reader: %ld bytes of %ld, data %s\n", tally.bytes, total,
         tally.sum == sum ? "intact" : "corrupted");
  free(data);
  free(iov);
  return 0;
}
