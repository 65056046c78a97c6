/* net_sndtimeo_unix.c - SO_SNDTIMEO while the peer drains regularly: on AF_UNIX stream it bounds each wait for room (an 8 MiB send completes), on TCP the whole call (a partial count after 200 ms), as Linux does. */
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

/* Linux: unix_stream_sendmsg() allocates each skb with sock_alloc_send_pskb(),
 * which starts a fresh SO_SNDTIMEO wait each time; tcp_sendmsg() takes the
 * timeout once for the whole call. */

enum { kTcpBytes = 2 << 20, kUnixBytes = 8 << 20 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct drainer {
  int fd;
  useconds_t period;
  atomic_int stop;
  long drained;
};

static void *drain(void *arg) {
  struct drainer *job = arg;
  static char sink[65536];
  for (int round = 0; round < 100 && !atomic_load(&job->stop); round++) {
    usleep(job->period);
    /* At most 256 KiB a round: natively the sender refills the buffer while
     * the drainer reads on the other core, so an unbounded drain could take
     * the whole send in one round. */
    for (int i = 0; i < 4; i++) {
      ssize_t n = recv(job->fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n <= 0) {
        break;
      }
      job->drained += n;
    }
  }
  return NULL;
}

/* Sends `bytes` with SO_SNDTIMEO `timeout_us` while the peer drains every
 * `drain_us`. On AF_UNIX the drain period is 8x shorter than the timeout, so
 * a loaded machine still keeps every single wait under the timeout. */
static void timed_send(const char *what, int writer, int reader, int bytes, long timeout_us,
                       useconds_t drain_us) {
  struct timeval timeout = {0, timeout_us};
  setsockopt(writer, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  static char data[kUnixBytes];
  struct drainer job = {.fd = reader, .period = drain_us};
  pthread_t thread;
  pthread_create(&thread, NULL, drain, &job);
  double start = now();
  long rc = send(writer, data, (size_t)bytes, 0);
  int error = errno;
  double elapsed = now() - start;
  atomic_store(&job.stop, 1);
  pthread_join(thread, NULL);
  double timeout_s = (double)timeout_us / 1e6;
  if (rc == bytes) {
    printf("%s: all %d bytes written, longer than the timeout: %s\n", what, bytes,
           elapsed > 1.25 * timeout_s ? "yes" : "no");
  } else if (rc > 0) {
    printf("%s: a partial count, after about the timeout: %s\n", what,
           elapsed >= 0.975 * timeout_s && elapsed < 5 * timeout_s ? "yes" : "no");
  } else {
    printf("%s: -1 %s\n", what, strerror(error));
  }
  printf("#nocompare %s: %ld bytes in %.3f s\n", what, rc, elapsed);
}

int main(void) {
  alarm(20);
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  timed_send("AF_UNIX stream, SO_SNDTIMEO 400 ms, 8 MiB", pair[0], pair[1], kUnixBytes, 400000, 50000);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  getsockname(listener, (struct sockaddr *)&address, &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  int size = 65536;
  setsockopt(client, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  connect(client, (struct sockaddr *)&address, sizeof address);
  int server = accept(listener, NULL, NULL);
  setsockopt(server, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  timed_send("TCP, SO_SNDTIMEO 200 ms, 2 MiB", client, server, kTcpBytes, 200000, 100000);

  close(server);
  close(client);
  close(listener);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
