/* net_scale_client.c - N (default 10,000) threads each open a TCP connection to 127.0.0.1:PORT; once all are connected (so all are open at once), each sends 1 KiB of its own pattern and checks the echo; prints connections=N ok=N. */
/* sprig: own-test green */
/* Run by test_scale_and_io.py against net_scale_server.c, both under sprig. */
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

enum { kMessage = 1024 };

static struct sockaddr_in server;
static long wanted;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_connected = PTHREAD_COND_INITIALIZER;
static long connected;
static long connect_failures;
static long ok;
static long max_open;
static long open_now;
static long first_error;

static void *client(void *arg) {
  long id = (long)arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int good = fd >= 0 && connect(fd, (struct sockaddr *)&server, sizeof server) == 0;
  int error = errno;
  pthread_mutex_lock(&lock);
  if (good) {
    open_now++;
    max_open = open_now > max_open ? open_now : max_open;
  } else {
    connect_failures++;
    first_error = first_error == 0 ? error : first_error;
  }
  if (++connected == wanted) {
    pthread_cond_broadcast(&all_connected);
  }
  while (connected < wanted) {
    pthread_cond_wait(&all_connected, &lock);
  }
  pthread_mutex_unlock(&lock);
  if (!good) {
    if (fd >= 0) {
      close(fd);
    }
    return NULL;
  }
  unsigned char out[kMessage], in[kMessage];
  unsigned long sent_sum = 0, got_sum = 0;
  for (int i = 0; i < kMessage; i++) {
    out[i] = (unsigned char)(id * 7 + i * 13 + i / 97);
    sent_sum = sent_sum * 31 + out[i];
  }
  good = write(fd, out, kMessage) == kMessage;
  long got = 0;
  while (good && got < kMessage) {
    ssize_t n = read(fd, in + got, (size_t)(kMessage - got));
    if (n <= 0) {
      good = 0;
      break;
    }
    got += n;
  }
  for (int i = 0; good && i < kMessage; i++) {
    got_sum = got_sum * 31 + in[i];
  }
  good = good && got_sum == sent_sum && memcmp(in, out, kMessage) == 0;
  close(fd);
  pthread_mutex_lock(&lock);
  open_now--;
  ok += good;
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(110);
  if (argc < 2) {
    fprintf(stderr, "usage: %s port [connections]\n", argv[0]);
    return 2;
  }
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server.sin_port = htons((unsigned short)atoi(argv[1]));
  wanted = argc > 2 ? strtol(argv[2], NULL, 10) : 10000;
  if (wanted <= 0 || wanted > 1000000) {
    return 2;
  }
  pthread_t *threads = calloc((size_t)wanted, sizeof *threads);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (long i = 0; i < wanted; i++) {
    int rc = pthread_create(&threads[i], &attr, client, (void *)i);
    if (rc != 0) {
      printf("pthread_create: %s after %ld\n", strerror(rc), i);
      return 1;
    }
  }
  for (long i = 0; i < wanted; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("connections=%ld ok=%ld connect_failures=%ld max_open=%ld first_error=%s\n", wanted, ok, connect_failures, max_open,
         first_error == 0 ? "none" : strerror((int)first_error));
  free(threads);
  return 0;
}
