/* net_partial_writes.c - one blocking write/send/writev of 8 MiB on a socketpair and on TCP returns the full count in one call while another thread reads slowly; the data arrives intact. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { kBytes = 8 << 20, kChunk = 64 * 1024 };

static unsigned char *data;

struct reader {
  int fd;
  long got;
  long bad;
  int reads;
};

/* Reads 64 KiB at a time with a 100 us pause between reads, checking each byte. */
static void *slow_reader(void *arg) {
  struct reader *job = arg;
  static unsigned char buffer[kChunk];
  while (job->got < kBytes) {
    ssize_t n = read(job->fd, buffer, sizeof buffer);
    if (n <= 0) {
      printf("reader: %zd (%s)\n", n, n < 0 ? strerror(errno) : "EOF");
      break;
    }
    for (ssize_t i = 0; i < n; i++) {
      job->bad += buffer[i] != data[job->got + i];
    }
    job->got += n;
    job->reads++;
    usleep(100);
  }
  return NULL;
}

static void run(const char *what, int writer, int reader_fd, int how) {
  struct reader job = {reader_fd, 0, 0, 0};
  pthread_t thread;
  pthread_create(&thread, NULL, slow_reader, &job);
  ssize_t rc;
  if (how == 0) {
    rc = write(writer, data, kBytes);
  } else if (how == 1) {
    rc = send(writer, data, kBytes, 0);
  } else {
    /* Three pieces of uneven size. */
    struct iovec pieces[3] = {{data, 1000}, {data + 1000, 5 << 20}, {data + 1000 + (5 << 20), kBytes - 1000 - (5 << 20)}};
    rc = writev(writer, pieces, 3);
  }
  int error = errno;
  pthread_join(thread, NULL);
  printf("%s: returned %zd%s%s, reader got %ld bytes, %ld wrong, took more than one read: %s\n", what, rc, rc < 0 ? " " : "",
         rc < 0 ? strerror(error) : "", job.got, job.bad, job.reads > 1 ? "yes" : "no");
}

int main(void) {
  alarm(20);
  data = malloc(kBytes);
  for (long i = 0; i < kBytes; i++) {
    data[i] = (unsigned char)(i * 31 + i / 4093);
  }
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  run("unix write 8 MiB", pair[0], pair[1], 0);
  run("unix send 8 MiB", pair[1], pair[0], 1);
  run("unix writev 8 MiB", pair[0], pair[1], 2);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  getsockname(listener, (struct sockaddr *)&address, &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  connect(client, (struct sockaddr *)&address, sizeof address);
  int server = accept(listener, NULL, NULL);
  run("tcp write 8 MiB", client, server, 0);
  run("tcp send 8 MiB", server, client, 1);
  run("tcp writev 8 MiB", client, server, 2);

  close(server);
  close(client);
  close(listener);
  close(pair[0]);
  close(pair[1]);
  free(data);
  return 0;
}
