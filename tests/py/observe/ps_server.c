/* ps_server.c - a server with 1,000 green threads parked on known things (socket reads, a mutex, a condition variable, sleeps, joins, accept) for `sprig ps`; a line on stdin ends it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kReaders = 200, kLockers = 200, kWaiters = 200, kSleepers = 200, kJoiners = 199 };

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int done;
static int listener;
static int pairs[kReaders][2];
static pthread_t sleepers[kSleepers];

static void name_self(const char *kind, long index) {
  char name[16];
  snprintf(name, sizeof name, "%s-%ld", kind, index);
  pthread_setname_np(pthread_self(), name);
}

static void *reader_main(void *arg) {
  long index = (long)arg;
  name_self("reader", index);
  char byte;
  ssize_t n = read(pairs[index][1], &byte, 1);
  return (void *)n;
}

static void *locker_main(void *arg) {
  name_self("locker", (long)arg);
  pthread_mutex_lock(&held);
  pthread_mutex_unlock(&held);
  return NULL;
}

static void *waiter_main(void *arg) {
  name_self("waiter", (long)arg);
  pthread_mutex_lock(&cond_mutex);
  while (!done) {
    pthread_cond_wait(&never, &cond_mutex);
  }
  pthread_mutex_unlock(&cond_mutex);
  return NULL;
}

static void *sleeper_main(void *arg) {
  name_self("sleeper", (long)arg);
  sleep(60);
  return NULL;
}

static void *joiner_main(void *arg) {
  long index = (long)arg;
  name_self("joiner", index);
  pthread_join(sleepers[index], NULL);
  return NULL;
}

static void *acceptor_main(void *arg) {
  name_self("acceptor", (long)arg);
  int connection = accept(listener, NULL, NULL);
  return (void *)(long)connection;
}

int main(void) {
  alarm(60);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    perror("listen");
    return 1;
  }
  pthread_mutex_lock(&held);
  pthread_t thread;
  for (long i = 0; i < kReaders; i++) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) != 0) {
      perror("socketpair");
      return 1;
    }
    pthread_create(&thread, NULL, reader_main, (void *)i);
  }
  for (long i = 0; i < kLockers; i++) {
    pthread_create(&thread, NULL, locker_main, (void *)i);
  }
  for (long i = 0; i < kWaiters; i++) {
    pthread_create(&thread, NULL, waiter_main, (void *)i);
  }
  for (long i = 0; i < kSleepers; i++) {
    pthread_create(&sleepers[i], NULL, sleeper_main, (void *)i);
  }
  for (long i = 0; i < kJoiners; i++) {
    pthread_create(&thread, NULL, joiner_main, (void *)i);
  }
  pthread_create(&thread, NULL, acceptor_main, (void *)0L);
  usleep(100000); /* every thread has parked by now */
  printf("ready listener_fd=%d port=%d\n", listener, ntohs(address.sin_port));
  fflush(stdout);
  char line[16];
  if (read(STDIN_FILENO, line, sizeof line) < 0) { /* main parks here: read fd 0 */
    perror("read");
  }
  printf("done\n");
  fflush(stdout);
  _exit(0);
}
