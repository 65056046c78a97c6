/* echo_threads.c - an ordinary thread-per-connection TCP echo server: an accept loop and one
 * pthread per connection, each echoing until its peer closes.
 *
 * usage: echo_threads CONNECTIONS [PORT]
 * Listens on 127.0.0.1:PORT (0 or absent: a free port) and prints
 * "port=N". Accepts CONNECTIONS connections, each served by a detached
 * thread that reads and writes back until end of file, then waits for every
 * connection to end and prints "served=N bytes=B failed=F". Exit status 0
 * if every connection was served, 1 if not, 2 on bad usage or a socket
 * error. Knows nothing of sprig: bench.py runs it natively and under
 * LD_PRELOAD. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_BYTES 4096
#define SAFETY_NET_S 600

struct tally {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  long finished;
  long long bytes;
};

static struct tally g_tally = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .changed = PTHREAD_COND_INITIALIZER,
};

static int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, data, length);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    data += written;
    length -= (size_t)written;
  }
  return 0;
}

static void *serve_connection(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buffer[BUFFER_BYTES];
  long long bytes = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0 || write_all(fd, buffer, (size_t)got) < 0) {
      break;
    }
    bytes += got;
  }
  close(fd);
  pthread_mutex_lock(&g_tally.lock);
  g_tally.finished++;
  g_tally.bytes += bytes;
  pthread_cond_signal(&g_tally.changed);
  pthread_mutex_unlock(&g_tally.lock);
  return NULL;
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, SOMAXCONN) < 0 ||
      getsockname(fd, (struct sockaddr *)&address, &length) < 0) {
    close(fd);
    return -1;
  }
  printf("port=%d\n", ntohs(address.sin_port));
  fflush(stdout);
  return fd;
}

int main(int argc, char **argv) {
  long connections = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
  long port = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (connections < 1 || connections > 100000 || port < 0 || port > 65535) {
    fprintf(stderr, "usage: %s CONNECTIONS [PORT]\n", argv[0]);
    return 2;
  }
  alarm(SAFETY_NET_S);
  int listener = listen_on((int)port);
  if (listener < 0) {
    perror("echo_threads: listen");
    return 2;
  }
  pthread_attr_t detached;
  pthread_attr_init(&detached);
  pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
  long started = 0;
  long failed = 0;
  for (long accepted = 0; accepted < connections;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      perror("echo_threads: accept");
      return 2;
    }
    accepted++;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t thread;
    int rc = pthread_create(&thread, &detached, serve_connection, (void *)(intptr_t)fd);
    if (rc != 0) {
      fprintf(stderr, "echo_threads: pthread_create: %s\n", strerror(rc));
      close(fd);
      failed++;
      continue;
    }
    started++;
  }
  close(listener);
  pthread_mutex_lock(&g_tally.lock);
  while (g_tally.finished < started) {
    pthread_cond_wait(&g_tally.changed, &g_tally.lock);
  }
  long long bytes = g_tally.bytes;
  pthread_mutex_unlock(&g_tally.lock);
  printf("served=%ld bytes=%lld failed=%ld\n", started, bytes, failed);
  return failed == 0 ? 0 : 1;
}
