/* dns_numeric_green.c - getaddrinfo of address literals and port numbers and numeric getnameinfo, from 20 threads, answer as natively and start no OS thread (redis-server and python resolve 127.0.0.1 this way before every bind or connect). */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kThreads = 20 };

static pthread_barrier_t all_started;

static void describe_lookup(char *out, size_t size, const char *node, const char *service, int family,
                            int flags) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  struct addrinfo *found = NULL;
  int rc = getaddrinfo(node, service, &hints, &found);
  size_t used = (size_t)snprintf(out, size, "getaddrinfo(%s, %s): rc %d", node ? node : "NULL",
                                 service ? service : "NULL", rc);
  for (struct addrinfo *entry = found; entry != NULL && used < size; entry = entry->ai_next) {
    char host[64];
    char port[16];
    int named = getnameinfo(entry->ai_addr, entry->ai_addrlen, host, sizeof host, port, sizeof port,
                            NI_NUMERICHOST | NI_NUMERICSERV);
    used += (size_t)snprintf(out + used, size - used, " [%s]:%s (%d)", host, port, named);
  }
  if (found != NULL) {
    freeaddrinfo(found);
  }
}

static void *resolver(void *arg) {
  char *out = arg;
  pthread_barrier_wait(&all_started); /* every thread alive at once: natively 21 OS threads */
  describe_lookup(out, 512, "127.0.0.1", "6379", AF_INET, 0);
  usleep(20000);
  return NULL;
}

int main(void) {
  alarm(20);
  char line[512];
  describe_lookup(line, sizeof line, "127.0.0.1", "80", AF_UNSPEC, 0);
  printf("%s\n", line);
  describe_lookup(line, sizeof line, "::1", "443", AF_INET6, 0);
  printf("%s\n", line);
  describe_lookup(line, sizeof line, NULL, "8080", AF_INET, AI_PASSIVE);
  printf("%s\n", line);
  describe_lookup(line, sizeof line, "10.1.2.3", NULL, AF_INET, AI_NUMERICHOST);
  printf("%s\n", line);
  describe_lookup(line, sizeof line, "127.0.0.1", "99999", AF_INET, AI_NUMERICSERV);
  printf("%s\n", line);
  describe_lookup(line, sizeof line, "::ffff:127.0.0.1", "0", AF_INET6, 0);
  printf("%s\n", line);

  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons(11211);
  inet_pton(AF_INET, "192.0.2.7", &address.sin_addr);
  char host[64];
  char port[16];
  int rc = getnameinfo((struct sockaddr *)&address, sizeof address, host, sizeof host, port, sizeof port,
                       NI_NUMERICHOST | NI_NUMERICSERV);
  printf("getnameinfo numeric: rc %d %s %s\n", rc, host, port);
  rc = getnameinfo((struct sockaddr *)&address, 3, host, sizeof host, NULL, 0, NI_NUMERICHOST);
  printf("getnameinfo of a short address: rc %s\n", rc == EAI_FAMILY ? "EAI_FAMILY" : "other");

  static char results[kThreads][512];
  pthread_t threads[kThreads];
  pthread_barrier_init(&all_started, NULL, kThreads);
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, resolver, results[i]);
  }
  int same = 0;
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
    same += strcmp(results[i], results[0]) == 0;
  }
  printf("%d threads: %s; all the same: %s\n", kThreads, results[0], same == kThreads ? "yes" : "no");
  return 0;
}
