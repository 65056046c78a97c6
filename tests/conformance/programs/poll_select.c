/* poll_select.c - select and pselect over 100 socketpairs with data arriving on seeded-random ones from other threads: timeouts NULL, zero and 50 ms, the timeout updated to the time not slept, write and except sets, EBADF and EINVAL; results exactly as natively. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kPairs = 100, kSelectors = 10 };

static int pairs[kPairs][2];
static int max_fd;
static unsigned seed = 777;

static unsigned next_random(void) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 16) & 0x7fff;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void set_all(fd_set *set) {
  FD_ZERO(set);
  for (int i = 0; i < kPairs; i++) {
    FD_SET(pairs[i][0], set);
  }
}

/* The pair indexes whose first fd is in set, as a list. */
static void show(const char *what, int rc, const fd_set *set) {
  printf("%s: %d", what, rc);
  if (rc < 0) {
    printf(" %s", errno == EBADF ? "EBADF" : errno == EINVAL ? "EINVAL" : strerror(errno));
  }
  if (set != NULL) {
    int listed = 0;
    for (int i = 0; i < kPairs; i++) {
      if (FD_ISSET(pairs[i][0], set) && listed++ < 12) {
        printf(" %d", i);
      }
    }
    if (listed > 12) {
      printf(" ... (%d in the set)", listed);
    }
  }
  printf("\n");
}

static void drain(int fd) {
  char buffer[4096];
  while (recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
  }
}

struct delayed_write {
  int fd;
  int delay_us;
};

static void *write_later(void *arg) {
  struct delayed_write *job = arg;
  usleep((useconds_t)job->delay_us);
  write(job->fd, "!", 1);
  return NULL;
}

struct selector {
  int first;
  int found;
  int rc;
};

static void *select_group(void *arg) {
  struct selector *job = arg;
  fd_set set;
  FD_ZERO(&set);
  for (int i = 0; i < 10; i++) {
    FD_SET(pairs[job->first + i][0], &set);
  }
  job->rc = select(max_fd + 1, &set, NULL, NULL, NULL);
  for (int i = 0; i < 10; i++) {
    if (FD_ISSET(pairs[job->first + i][0], &set)) {
      job->found = job->first + i;
    }
  }
  return NULL;
}

static void *drain_later(void *arg) {
  usleep(30000);
  drain((int)(long)arg);
  return NULL;
}

int main(void) {
  alarm(20);
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < kPairs; i++) {
    socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]);
    max_fd = pairs[i][0] > max_fd ? pairs[i][0] : max_fd;
    max_fd = pairs[i][1] > max_fd ? pairs[i][1] : max_fd;
  }
  printf("every fd below FD_SETSIZE: %s\n", max_fd < FD_SETSIZE ? "yes" : "no");
  fd_set readable, writable;
  struct timeval zero = {0, 0};

  /* A zero timeout. */
  set_all(&readable);
  show("nothing ready, zero timeout", select(max_fd + 1, &readable, NULL, NULL, &zero), &readable);
  set_all(&writable);
  zero = (struct timeval){0, 0};
  show("write set, zero timeout", select(max_fd + 1, NULL, &writable, NULL, &zero), &writable);
  int chosen[10];
  for (int i = 0; i < 10; i++) {
    chosen[i] = (int)(next_random() % kPairs);
    write(pairs[chosen[i]][1], "x", 1);
  }
  set_all(&readable);
  set_all(&writable);
  zero = (struct timeval){0, 0};
  int rc = select(max_fd + 1, &readable, &writable, NULL, &zero);
  show("10 written, read and write sets, zero timeout (read set)", rc, &readable);
  show("(write set)", rc, &writable);
  set_all(&readable);
  struct timeval fifty = {0, 50000};
  show("10 written, 50 ms", select(max_fd + 1, &readable, NULL, NULL, &fifty), &readable);
  printf("timeout left: %s\n", fifty.tv_sec == 0 && fifty.tv_usec > 0 && fifty.tv_usec <= 50000 ? "some" : "none or wrong");
  for (int i = 0; i < 10; i++) {
    drain(pairs[chosen[i]][0]);
  }

  /* NULL timeout: one write at a time from another thread. */
  int right = 0;
  for (int round = 0; round < 20; round++) {
    int target = (int)(next_random() % kPairs);
    struct delayed_write job = {pairs[target][1], 5000 + (int)(next_random() % 15000)};
    pthread_t thread;
    pthread_create(&thread, NULL, write_later, &job);
    set_all(&readable);
    rc = select(max_fd + 1, &readable, NULL, NULL, NULL);
    pthread_join(thread, NULL);
    int only_target = rc == 1 && FD_ISSET(pairs[target][0], &readable);
    right += only_target;
    drain(pairs[target][0]);
  }
  printf("NULL timeout, 20 rounds: %d woke for exactly the written pair\n", right);

  /* The timeout is updated: nothing comes within 50 ms (0 left); data after 20 ms of a 1 s timeout (most left). */
  set_all(&readable);
  fifty = (struct timeval){0, 50000};
  double start = now();
  rc = select(max_fd + 1, &readable, NULL, NULL, &fifty);
  double elapsed = now() - start;
  show("nothing coming, 50 ms", rc, &readable);
  printf("waited at least 50 ms: %s; timeout now %ld.%06ld\n", elapsed >= 0.049 ? "yes" : "no", (long)fifty.tv_sec, (long)fifty.tv_usec);
  int target = (int)(next_random() % kPairs);
  struct delayed_write job = {pairs[target][1], 20000};
  pthread_t thread;
  pthread_create(&thread, NULL, write_later, &job);
  set_all(&readable);
  struct timeval second = {1, 0};
  rc = select(max_fd + 1, &readable, NULL, NULL, &second);
  pthread_join(thread, NULL);
  long left_us = second.tv_sec * 1000000 + second.tv_usec;
  printf("data after 20 ms of 1 s: %d, pair %d set: %s, time left between 0.5 and 0.99 s: %s\n", rc, target,
         FD_ISSET(pairs[target][0], &readable) ? "yes" : "no", left_us > 500000 && left_us < 990000 ? "yes" : "no");
  printf("#nocompare left %ld us\n", left_us);
  drain(pairs[target][0]);

  /* pselect: a timespec, left alone. */
  set_all(&readable);
  struct timespec thirty = {0, 30000000};
  show("pselect, nothing coming, 30 ms", pselect(max_fd + 1, &readable, NULL, NULL, &thirty, NULL), &readable);
  printf("pselect left its timeout alone: %s\n", thirty.tv_sec == 0 && thirty.tv_nsec == 30000000 ? "yes" : "no");

  /* Ten selectors at once, each on its own ten pairs. */
  struct selector selectors[kSelectors];
  pthread_t selector_threads[kSelectors], writer_threads[kSelectors];
  struct delayed_write writes[kSelectors];
  for (int i = 0; i < kSelectors; i++) {
    selectors[i] = (struct selector){i * 10, -1, 0};
    pthread_create(&selector_threads[i], NULL, select_group, &selectors[i]);
  }
  for (int i = 0; i < kSelectors; i++) {
    writes[i] = (struct delayed_write){pairs[i * 10 + (int)(next_random() % 10)][1], 20000 + (int)(next_random() % 30000)};
    pthread_create(&writer_threads[i], NULL, write_later, &writes[i]);
  }
  for (int i = 0; i < kSelectors; i++) {
    pthread_join(selector_threads[i], NULL);
    pthread_join(writer_threads[i], NULL);
    printf("selector %d: %d, pair %d\n", i, selectors[i].rc, selectors[i].found);
    drain(pairs[selectors[i].found][0]);
  }

  /* A full socket is not writable until the peer drains. */
  static char chunk[65536];
  while (send(pairs[7][0], chunk, sizeof chunk, MSG_DONTWAIT) > 0) {
  }
  FD_ZERO(&writable);
  FD_SET(pairs[7][0], &writable);
  fifty = (struct timeval){0, 50000};
  printf("full socket, write set, 50 ms: %d\n", select(max_fd + 1, NULL, &writable, NULL, &fifty));
  pthread_create(&thread, NULL, drain_later, (void *)(long)pairs[7][1]);
  FD_ZERO(&writable);
  FD_SET(pairs[7][0], &writable);
  rc = select(max_fd + 1, NULL, &writable, NULL, NULL);
  pthread_join(thread, NULL);
  printf("full socket, the peer drains after 30 ms, NULL timeout: %d, set: %s\n", rc, FD_ISSET(pairs[7][0], &writable) ? "yes" : "no");

  /* Out-of-band data already there: the except set (TCP). */
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  getsockname(listener, (struct sockaddr *)&address, &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  connect(client, (struct sockaddr *)&address, sizeof address);
  int server = accept(listener, NULL, NULL);
  send(client, "u", 1, MSG_OOB);
  usleep(20000);
  fd_set except;
  FD_ZERO(&except);
  FD_SET(server, &except);
  FD_ZERO(&readable);
  FD_SET(server, &readable);
  struct timeval hundred = {0, 100000};
  int top = server > max_fd ? server : max_fd;
  rc = select(top + 1, &readable, NULL, &except, &hundred);
  printf("OOB byte waiting: %d, readable %s, exceptional %s\n", rc, FD_ISSET(server, &readable) ? "yes" : "no",
         FD_ISSET(server, &except) ? "yes" : "no");
  close(client);
  close(server);
  close(listener);

  /* Hang-ups, and errors. */
  close(pairs[3][1]);
  shutdown(pairs[5][1], SHUT_WR);
  set_all(&readable);
  zero = (struct timeval){0, 0};
  show("hang-ups, zero timeout", select(max_fd + 1, &readable, NULL, NULL, &zero), &readable);
  set_all(&readable);
  show("hang-ups, NULL timeout", select(max_fd + 1, &readable, NULL, NULL, NULL), &readable);
  int closed_fd = pairs[11][0];
  close(pairs[11][0]);
  close(pairs[11][1]);
  FD_ZERO(&readable);
  FD_SET(closed_fd, &readable);
  fifty = (struct timeval){0, 50000};
  show("a closed fd in the set", select(max_fd + 1, &readable, NULL, NULL, &fifty), NULL);
  fifty = (struct timeval){0, 50000};
  show("negative nfds", select(-1, NULL, NULL, NULL, &fifty), NULL);
  struct timeval negative = {-1, 0};
  show("negative timeout", select(0, NULL, NULL, NULL, &negative), NULL);
  fifty = (struct timeval){0, 30000};
  start = now();
  rc = select(0, NULL, NULL, NULL, &fifty);
  printf("select with no fds, 30 ms: %d, slept: %s, timeout now %ld.%06ld\n", rc, now() - start >= 0.029 ? "yes" : "no",
         (long)fifty.tv_sec, (long)fifty.tv_usec);

  for (int i = 0; i < kPairs; i++) {
    if (i != 11) {
      close(pairs[i][0]);
      if (i != 3) {
        close(pairs[i][1]);
      }
    }
  }
  return 0;
}
