/* net_ipv6.c - the thread-per-connection echo over ::1: 100 client threads each send 64 KiB and get every byte back; addresses read back as ::1; a closed ::1 port refuses. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kClients = 100, kBytes = 64 * 1024 };

static int listener;
static struct sockaddr_in6 server_address;
static atomic_int peers_are_loopback;
static atomic_int served_connections;
static atomic_long echoed_bytes;
static atomic_int clients_ok;
static atomic_int clients_bad;

static unsigned char pattern(int client, long offset) { return (unsigned char)(client * 131 + offset * 7 + offset / 251); }

static void *connection(void *arg) {
  int fd = (int)(long)arg;
  char buffer[8192];
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got <= 0) {
      if (got < 0) {
        printf("server read: %s\n", strerror(errno));
      }
      break;
    }
    ssize_t sent = write(fd, buffer, (size_t)got);
    if (sent != got) {
      printf("server write: %zd of %zd (%s)\n", sent, got, strerror(errno));
      break;
    }
    atomic_fetch_add(&echoed_bytes, got);
  }
  close(fd);
  atomic_fetch_add(&served_connections, 1);
  return NULL;
}

static void *accept_loop(void *arg) {
  (void)arg;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int accepted = 0; accepted < kClients; accepted++) {
    struct sockaddr_in6 peer;
    socklen_t peer_length = sizeof peer;
    int fd = accept(listener, (struct sockaddr *)&peer, &peer_length);
    if (fd < 0) {
      printf("accept: %s\n", strerror(errno));
      return NULL;
    }
    if (peer_length == sizeof peer && peer.sin6_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr)) {
      atomic_fetch_add(&peers_are_loopback, 1);
    }
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, connection, (void *)(long)fd);
    if (rc != 0) {
      printf("pthread_create: %s\n", strerror(rc));
      close(fd);
    }
  }
  pthread_attr_destroy(&attr);
  return NULL;
}

static void *client(void *arg) {
  int id = (int)(long)arg;
  unsigned char *out = malloc(kBytes);
  unsigned char *in = malloc(kBytes);
  for (long i = 0; i < kBytes; i++) {
    out[i] = pattern(id, i);
  }
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&server_address, sizeof server_address) != 0) {
    printf("client %d connect: %s\n", id, strerror(errno));
    atomic_fetch_add(&clients_bad, 1);
    close(fd);
    free(out);
    free(in);
    return NULL;
  }
  int ok = write(fd, out, kBytes) == kBytes;
  long got = 0;
  while (ok && got < kBytes) {
    ssize_t n = read(fd, in + got, (size_t)(kBytes - got));
    if (n <= 0) {
      ok = 0;
      break;
    }
    got += n;
  }
  ok = ok && memcmp(in, out, kBytes) == 0;
  /* After the echo, the server sees EOF and closes: our read then gets 0. */
  shutdown(fd, SHUT_WR);
  char extra;
  ok = ok && read(fd, &extra, 1) == 0;
  close(fd);
  atomic_fetch_add(ok ? &clients_ok : &clients_bad, 1);
  free(out);
  free(in);
  return NULL;
}

int main(void) {
  alarm(20);
  listener = socket(AF_INET6, SOCK_STREAM, 0);
  server_address.sin6_family = AF_INET6;
  server_address.sin6_addr = in6addr_loopback;
  server_address.sin6_port = 0;
  socklen_t length = sizeof server_address;
  if (bind(listener, (struct sockaddr *)&server_address, sizeof server_address) != 0 ||
      listen(listener, kClients) != 0 ||
      getsockname(listener, (struct sockaddr *)&server_address, &length) != 0) {
    printf("listen: %s\n", strerror(errno));
    return 1;
  }
  pthread_t server;
  pthread_create(&server, NULL, accept_loop, NULL);
  static pthread_t clients[kClients];
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  for (int i = 0; i < kClients; i++) {
    int rc = pthread_create(&clients[i], &attr, client, (void *)(long)i);
    if (rc != 0) {
      printf("pthread_create: %s\n", strerror(rc));
      return 1;
    }
  }
  for (int i = 0; i < kClients; i++) {
    pthread_join(clients[i], NULL);
  }
  pthread_join(server, NULL);
  /* Every client saw the server close, so every connection thread is done. */
  for (int i = 0; i < 1000 && atomic_load(&served_connections) < kClients; i++) {
    usleep(1000);
  }
  close(listener);
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &server_address.sin6_addr, text, sizeof text);
  printf("listening on %s, peers seen as ::1: %d\n", text, atomic_load(&peers_are_loopback));
  /* The port is closed now: a connect is refused. */
  int refused = socket(AF_INET6, SOCK_STREAM, 0);
  int rc = connect(refused, (struct sockaddr *)&server_address, sizeof server_address);
  printf("connect to the closed ::1 port: %d %s\n", rc, rc < 0 && errno == ECONNREFUSED ? "ECONNREFUSED" : strerror(errno));
  close(refused);
  printf("clients ok=%d bad=%d\n", atomic_load(&clients_ok), atomic_load(&clients_bad));
  printf("server connections=%d echoed bytes=%ld\n", atomic_load(&served_connections), atomic_load(&echoed_bytes));
  return 0;
}
