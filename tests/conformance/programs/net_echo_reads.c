/* net_echo_reads.c - request/response over loopback TCP, one thread per connection on each side: counts the read system calls per echoed message (/proc/self/io syscr). */
/* sprig: own-test */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kConnections = 4, kRoundTrips = 500, kMessage = 64 };

static int listener;
static struct sockaddr_in server_address;

/* Reads into a buffer larger than a message, as most clients do, until len
 * bytes have come (a message may arrive in pieces); 0 on success. */
static int read_reply(int fd, char *reply, size_t len) {
  char buffer[4096];
  for (size_t got = 0; got < len;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0 || got + (size_t)n > len) {
      return -1;
    }
    memcpy(reply + got, buffer, (size_t)n);
    got += (size_t)n;
  }
  return 0;
}

static void *echo_connection(void *arg) {
  int fd = (int)(long)arg;
  char buffer[4096]; /* larger than a message: each read returns what is there */
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0 || write(fd, buffer, (size_t)n) != n) {
      break;
    }
  }
  close(fd);
  return NULL;
}

static void *acceptor(void *arg) {
  (void)arg;
  for (int i = 0; i < kConnections; i++) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      perror("accept");
      exit(1);
    }
    pthread_t thread;
    pthread_create(&thread, NULL, echo_connection, (void *)(long)fd);
    pthread_detach(thread);
  }
  return NULL;
}

static void *client(void *arg) {
  long *failures = arg;
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&server_address, sizeof server_address) != 0) {
    perror("connect");
    exit(1);
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char message[kMessage], reply[kMessage];
  for (int trip = 0; trip < kRoundTrips; trip++) {
    memset(message, 'a' + trip % 26, sizeof message);
    if (write(fd, message, sizeof message) != (ssize_t)sizeof message ||
        read_reply(fd, reply, sizeof reply) != 0 || memcmp(message, reply, sizeof reply) != 0) {
      ++*failures;
      break;
    }
  }
  close(fd);
  return NULL;
}

static long read_syscalls(void) {
  FILE *io = fopen("/proc/self/io", "r");
  char line[128];
  long count = -1;
  while (io != NULL && fgets(line, sizeof line, io) != NULL) {
    if (strncmp(line, "syscr:", 6) == 0) {
      count = atol(line + 6);
    }
  }
  if (io != NULL) {
    fclose(io);
  }
  return count;
}

int main(void) {
  alarm(20);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  server_address.sin_family = AF_INET;
  server_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof server_address;
  if (bind(listener, (struct sockaddr *)&server_address, sizeof server_address) != 0 ||
      listen(listener, 16) != 0 || getsockname(listener, (struct sockaddr *)&server_address, &length) != 0) {
    perror("listen");
    return 1;
  }
  pthread_t accepting, clients[kConnections];
  long failures[kConnections] = {0};
  pthread_create(&accepting, NULL, acceptor, NULL);
  long before = read_syscalls();
  for (int i = 0; i < kConnections; i++) {
    pthread_create(&clients[i], NULL, client, &failures[i]);
  }
  long failed = 0;
  for (int i = 0; i < kConnections; i++) {
    pthread_join(clients[i], NULL);
    failed += failures[i];
  }
  long after = read_syscalls();
  pthread_join(accepting, NULL);
  long messages = (long)kConnections * kRoundTrips;
  printf("messages=%ld failed=%ld\n", messages, failed);
  printf("#nocompare reads_per_message=%.2f\n", (double)(after - before) / (double)messages);
  return failed == 0 ? 0 : 1;
}
