/* net_udp.c - UDP over 127.0.0.1: a blocking recvfrom in one thread gets datagrams sent from another with their boundaries and sender address, MSG_DONTWAIT gives EAGAIN, truncation, a refused connected socket, and 8 threads doing request/reply with an echo thread. */
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
#include <unistd.h>

enum { kClients = 8, kRounds = 50 };

static const int kSizes[] = {1, 0, 100, 1000, 8192, 60000};
enum { kMessages = sizeof kSizes / sizeof kSizes[0] };

static struct sockaddr_in receiver_address, echo_address;

static const char *error_name(int error) {
  switch (error) {
  case EAGAIN: return "EAGAIN";
  case ECONNREFUSED: return "ECONNREFUSED";
  default: return strerror(error);
  }
}

static int udp_socket(struct sockaddr_in *address) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof local;
  bind(fd, (struct sockaddr *)&local, sizeof local);
  getsockname(fd, (struct sockaddr *)&local, &length);
  if (address != NULL) {
    *address = local;
  }
  return fd;
}

static void *sender(void *arg) {
  (void)arg;
  struct sockaddr_in mine;
  int fd = udp_socket(&mine);
  static char message[65536];
  usleep(50000); /* the receiver is blocked in recvfrom by now */
  for (int i = 0; i < kMessages; i++) {
    memset(message, 'a' + i, (size_t)kSizes[i]);
    sendto(fd, message, (size_t)kSizes[i], 0, (struct sockaddr *)&receiver_address, sizeof receiver_address);
  }
  /* Tell the receiver our port, to compare with the address it saw. */
  sendto(fd, &mine.sin_port, sizeof mine.sin_port, 0, (struct sockaddr *)&receiver_address, sizeof receiver_address);
  close(fd);
  return NULL;
}

static void *echo(void *arg) {
  int fd = (int)(long)arg;
  char buffer[256];
  for (int i = 0; i < kClients * kRounds; i++) {
    struct sockaddr_in from;
    socklen_t length = sizeof from;
    ssize_t n = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length);
    if (n < 0) {
      printf("echo recvfrom: %s\n", strerror(errno));
      break;
    }
    sendto(fd, buffer, (size_t)n, 0, (struct sockaddr *)&from, length);
  }
  return NULL;
}

static atomic_int replies_ok;

static void *client(void *arg) {
  int id = (int)(long)arg;
  int fd = udp_socket(NULL);
  connect(fd, (struct sockaddr *)&echo_address, sizeof echo_address);
  for (int round = 0; round < kRounds; round++) {
    char request[32], reply[64];
    int length = snprintf(request, sizeof request, "client %d round %d", id, round);
    send(fd, request, (size_t)length, 0);
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n == length && memcmp(request, reply, (size_t)length) == 0) {
      atomic_fetch_add(&replies_ok, 1);
    }
  }
  close(fd);
  return NULL;
}

struct blocked_recv {
  int fd;
  long rc;
  int error;
};

static void *recv_blocked(void *arg) {
  struct blocked_recv *job = arg;
  char byte;
  job->rc = recv(job->fd, &byte, 1, 0);
  job->error = errno;
  return NULL;
}

int main(void) {
  alarm(20);
  int receiver = udp_socket(&receiver_address);
  char byte;
  long rc = recv(receiver, &byte, 1, MSG_DONTWAIT);
  printf("recv MSG_DONTWAIT on an empty socket: %ld %s\n", rc, rc < 0 ? error_name(errno) : "");

  /* Boundaries: each recvfrom gets one datagram, whatever its size. */
  pthread_t thread;
  pthread_create(&thread, NULL, sender, NULL);
  static char buffer[65536];
  struct sockaddr_in from;
  for (int i = 0; i < kMessages; i++) {
    socklen_t length = sizeof from;
    ssize_t n = recvfrom(receiver, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length);
    int same = 1;
    for (ssize_t j = 0; j < n; j++) {
      same &= buffer[j] == 'a' + i;
    }
    printf("datagram %d: %zd bytes (sent %d), content right: %s\n", i, n, kSizes[i], same ? "yes" : "no");
  }
  in_port_t port = 0;
  recv(receiver, &port, sizeof port, 0);
  printf("recvfrom reported the sender's address: %s\n",
         from.sin_port == port && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "yes" : "no");
  pthread_join(thread, NULL);

  /* Truncation: a short buffer gets the start, the rest is dropped; MSG_TRUNC returns the real length. */
  int writer = udp_socket(NULL);
  sendto(writer, "0123456789", 10, 0, (struct sockaddr *)&receiver_address, sizeof receiver_address);
  sendto(writer, "abcdefghij", 10, 0, (struct sockaddr *)&receiver_address, sizeof receiver_address);
  char small[4] = {0};
  rc = recv(receiver, small, sizeof small, 0);
  printf("recv into 4 bytes: %ld '%.4s'\n", rc, small);
  rc = recv(receiver, small, sizeof small, MSG_TRUNC);
  printf("recv MSG_TRUNC into 4 bytes: %ld '%.4s'\n", rc, small);
  sendto(writer, "peekpeek", 8, 0, (struct sockaddr *)&receiver_address, sizeof receiver_address);
  rc = recv(receiver, small, sizeof small, MSG_PEEK);
  printf("recv MSG_PEEK: %ld '%.4s'\n", rc, small);
  rc = recv(receiver, buffer, sizeof buffer, MSG_DONTWAIT);
  printf("recv MSG_DONTWAIT after the peek: %ld\n", rc);
  rc = recv(receiver, buffer, sizeof buffer, MSG_DONTWAIT);
  printf("recv MSG_DONTWAIT, empty again: %ld %s\n", rc, rc < 0 ? error_name(errno) : "");
  close(writer);

  /* A connected socket whose peer port is closed: the ICMP error wakes a blocked recv with ECONNREFUSED. */
  struct sockaddr_in closed;
  int gone = udp_socket(&closed);
  close(gone);
  int connected = udp_socket(NULL);
  connect(connected, (struct sockaddr *)&closed, sizeof closed);
  struct blocked_recv job = {connected, 0, 0};
  pthread_create(&thread, NULL, recv_blocked, &job);
  usleep(50000);
  rc = send(connected, "x", 1, 0);
  pthread_join(thread, NULL);
  printf("send to a closed port: %ld; the blocked recv: %ld %s\n", rc, job.rc, job.rc < 0 ? error_name(job.error) : "");
  rc = recv(connected, &byte, 1, MSG_DONTWAIT);
  printf("recv again: %ld %s\n", rc, rc < 0 ? error_name(errno) : "");
  close(connected);

  /* Request/reply: 8 client threads, one echo thread. */
  int echo_fd = udp_socket(&echo_address);
  pthread_t echo_thread, clients[kClients];
  pthread_create(&echo_thread, NULL, echo, (void *)(long)echo_fd);
  for (int i = 0; i < kClients; i++) {
    pthread_create(&clients[i], NULL, client, (void *)(long)i);
  }
  for (int i = 0; i < kClients; i++) {
    pthread_join(clients[i], NULL);
  }
  pthread_join(echo_thread, NULL);
  printf("request/reply: %d of %d replies right\n", atomic_load(&replies_ok), kClients * kRounds);
  close(echo_fd);
  close(receiver);
  return 0;
}
