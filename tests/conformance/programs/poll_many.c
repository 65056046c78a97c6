/* poll_many.c - poll and ppoll over 100 socketpairs with data arriving on seeded-random ones from other threads: timeouts 0, -1 and 50 ms, POLLOUT on a full socket, hang-ups, POLLNVAL and negative fds; revents exactly as natively. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kPairs = 100, kPollers = 10 };

static int pairs[kPairs][2];
static unsigned seed = 12345;

static unsigned next_random(void) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 16) & 0x7fff;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void watch_all(struct pollfd *fds, short events) {
  for (int i = 0; i < kPairs; i++) {
    fds[i] = (struct pollfd){pairs[i][0], events, 0};
  }
}

/* Prints the count and every non-zero revents as index:hex. */
static void show(const char *what, int rc, const struct pollfd *fds, int count) {
  printf("%s: %d", what, rc);
  if (rc < 0) {
    printf(" %s", strerror(errno));
  }
  int listed = 0;
  for (int i = 0; i < count; i++) {
    if (fds[i].revents != 0) {
      if (listed++ < 12) {
        printf(" %d:%x", i, fds[i].revents);
      }
    }
  }
  if (listed > 12) {
    printf(" ... (%d with revents)", listed);
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

/* Poller i polls pairs 10i..10i+9 without a timeout; one of them gets data. */
struct poller {
  int first;
  int found;
  short revents;
  int rc;
};

static void *poll_group(void *arg) {
  struct poller *job = arg;
  struct pollfd fds[10];
  for (int i = 0; i < 10; i++) {
    fds[i] = (struct pollfd){pairs[job->first + i][0], POLLIN, 0};
  }
  job->rc = poll(fds, 10, -1);
  for (int i = 0; i < 10; i++) {
    if (fds[i].revents != 0) {
      job->found = job->first + i;
      job->revents = fds[i].revents;
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
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]) != 0) {
      printf("socketpair: %s\n", strerror(errno));
      return 1;
    }
  }
  static struct pollfd fds[kPairs];

  /* Timeout 0. */
  watch_all(fds, POLLIN);
  show("nothing ready, timeout 0", poll(fds, kPairs, 0), fds, kPairs);
  watch_all(fds, POLLOUT);
  show("POLLOUT, timeout 0", poll(fds, kPairs, 0), fds, kPairs);
  int chosen[10];
  for (int i = 0; i < 10; i++) {
    chosen[i] = (int)(next_random() % kPairs);
    write(pairs[chosen[i]][1], "x", 1);
  }
  watch_all(fds, POLLIN | POLLOUT);
  show("10 written, POLLIN|POLLOUT, timeout 0", poll(fds, kPairs, 0), fds, kPairs);
  watch_all(fds, POLLIN);
  show("10 written, POLLIN, timeout 50", poll(fds, kPairs, 50), fds, kPairs);
  for (int i = 0; i < 10; i++) {
    drain(pairs[chosen[i]][0]);
  }

  /* Timeout -1: one write at a time from another thread, after 5 to 20 ms. */
  int right = 0;
  for (int round = 0; round < 20; round++) {
    int target = (int)(next_random() % kPairs);
    struct delayed_write job = {pairs[target][1], 5000 + (int)(next_random() % 15000)};
    pthread_t thread;
    pthread_create(&thread, NULL, write_later, &job);
    watch_all(fds, POLLIN);
    int rc = poll(fds, kPairs, -1);
    pthread_join(thread, NULL);
    right += rc == 1 && fds[target].revents == POLLIN;
    drain(pairs[target][0]);
  }
  printf("timeout -1, 20 rounds: %d woke for exactly the written pair\n", right);

  /* Timeout 50 ms with nothing coming. */
  watch_all(fds, POLLIN);
  double start = now();
  int rc = poll(fds, kPairs, 50);
  double elapsed = now() - start;
  show("nothing coming, timeout 50", rc, fds, kPairs);
  printf("waited at least 50 ms: %s, less than 500 ms: %s\n", elapsed >= 0.049 ? "yes" : "no", elapsed < 0.5 ? "yes" : "no");
  printf("#nocompare waited %.4f s\n", elapsed);

  /* ppoll with a 30 ms timespec, and with data arriving. */
  struct timespec thirty = {0, 30000000};
  watch_all(fds, POLLIN);
  show("ppoll, nothing coming, 30 ms", ppoll(fds, kPairs, &thirty, NULL), fds, kPairs);
  int target = (int)(next_random() % kPairs);
  struct delayed_write job = {pairs[target][1], 10000};
  pthread_t thread;
  pthread_create(&thread, NULL, write_later, &job);
  watch_all(fds, POLLIN);
  struct timespec long_wait = {5, 0};
  rc = ppoll(fds, kPairs, &long_wait, NULL);
  pthread_join(thread, NULL);
  printf("ppoll with data after 10 ms: %d, pair %d POLLIN: %s\n", rc, target, fds[target].revents == POLLIN ? "yes" : "no");
  drain(pairs[target][0]);
  struct timespec bad = {0, 1000000000};
  rc = ppoll(fds, 1, &bad, NULL);
  printf("ppoll with tv_nsec 1e9: %d %s\n", rc, errno == EINVAL ? "EINVAL" : strerror(errno));

  /* Ten pollers at once, each on its own ten pairs, data on one seeded pair of each. */
  struct poller pollers[kPollers];
  pthread_t poller_threads[kPollers], writer_threads[kPollers];
  struct delayed_write writes[kPollers];
  for (int i = 0; i < kPollers; i++) {
    pollers[i] = (struct poller){i * 10, -1, 0, 0};
    pthread_create(&poller_threads[i], NULL, poll_group, &pollers[i]);
  }
  for (int i = 0; i < kPollers; i++) {
    writes[i] = (struct delayed_write){pairs[i * 10 + (int)(next_random() % 10)][1], 20000 + (int)(next_random() % 30000)};
    pthread_create(&writer_threads[i], NULL, write_later, &writes[i]);
  }
  for (int i = 0; i < kPollers; i++) {
    pthread_join(poller_threads[i], NULL);
    pthread_join(writer_threads[i], NULL);
    printf("poller %d: %d, pair %d revents %x\n", i, pollers[i].rc, pollers[i].found, pollers[i].revents);
    drain(pairs[pollers[i].found][0]);
  }

  /* POLLOUT on a full socket: not writable until the peer drains. */
  int full = pairs[7][0];
  static char chunk[65536];
  while (send(full, chunk, sizeof chunk, MSG_DONTWAIT) > 0) {
  }
  struct pollfd out = {full, POLLOUT, 0};
  show("full socket, POLLOUT, timeout 50", poll(&out, 1, 50), &out, 1);
  pthread_create(&thread, NULL, drain_later, (void *)(long)pairs[7][1]);
  out.revents = 0;
  show("full socket, POLLOUT, the peer drains after 30 ms, timeout -1", poll(&out, 1, -1), &out, 1);
  pthread_join(thread, NULL);

  /* Hang-ups, shutdown, a closed fd (POLLNVAL) and negative fds (skipped). */
  close(pairs[3][1]);
  shutdown(pairs[5][1], SHUT_WR);
  shutdown(pairs[9][0], SHUT_RD);
  int closed_fd = pairs[11][0];
  close(pairs[11][0]);
  close(pairs[11][1]);
  watch_all(fds, POLLIN | POLLRDHUP);
  fds[11].fd = closed_fd;
  fds[13].fd = -1;
  fds[14].fd = -pairs[14][0];
  write(pairs[14][1], "x", 1);
  show("hang-ups, POLLIN|POLLRDHUP, timeout 0", poll(fds, kPairs, 0), fds, kPairs);
  show("the same, timeout -1", poll(fds, kPairs, -1), fds, kPairs);
  watch_all(fds, 0);
  fds[11].fd = closed_fd;
  show("events 0, timeout 20", poll(fds, kPairs, 20), fds, kPairs);

  /* No fds at all: a sleep. */
  start = now();
  rc = poll(NULL, 0, 30);
  printf("poll(NULL, 0, 30): %d, slept: %s\n", rc, now() - start >= 0.029 ? "yes" : "no");

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
