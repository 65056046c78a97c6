/* net_scale_server.c - a thread-per-connection TCP echo server on 127.0.0.1: prints port=P first, accepts N connections (argument, default 10,000), echoes each until EOF, then prints connections=N echoed=BYTES. */
/* sprig: own-test green */
/* Run by test_scale_and_io.py together with net_scale_client.c, both under sprig. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static long finished;
static long echoed;
static long failures;

static void *connection(void *arg) {
  int fd = (int)(long)arg;
  char buffer[4096];
  long total = 0;
  int failed = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got <= 0) {
      failed = got < 0;
      break;
    }
    if (write(fd, buffer, (size_t)got) != got) {
      failed = 1;
      break;
    }
    total += got;
  }
  close(fd);
  pthread_mutex_lock(&lock);
  finished++;
  echoed += total;
  failures += failed;
  pthread_cond_signal(&all_done);
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(110);
  long wanted = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
  if (wanted <= 0 || wanted > 1000000) {
    fprintf(stderr, "usage: %s [connections]\n", argv[0]);
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, SOMAXCONN) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    printf("listen: %s\n", strerror(errno));
    return 1;
  }
  printf("port=%d\n", ntohs(address.sin_port));
  fflush(stdout);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  long accepted = 0;
  while (accepted < wanted) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      printf("accept: %s after %ld\n", strerror(errno), accepted);
      return 1;
    }
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, connection, (void *)(long)fd);
    if (rc != 0) {
      printf("pthread_create: %s after %ld\n", strerror(rc), accepted);
      return 1;
    }
    accepted++;
  }
  close(listener);
  pthread_mutex_lock(&lock);
  while (finished < accepted) {
    pthread_cond_wait(&all_done, &lock);
  }
  pthread_mutex_unlock(&lock);
  printf("connections=%ld echoed=%ld failures=%ld\n", accepted, echoed, failures);
  return 0;
}
