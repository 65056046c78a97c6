/* poll_epoll.c - the program's own epoll instance over 100 socketpairs: epoll_wait with -1, 0 and 50 ms, maxevents below the ready count, EPOLLET, EPOLLONESHOT, MOD/DEL, epoll_ctl errors, hang-ups, a nested instance and ten threads with their own instances; events as natively. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kPairs = 100, kWaiters = 10 };

static int pairs[kPairs][2];
static unsigned seed = 4242;

static unsigned next_random(void) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 16) & 0x7fff;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *error_name(int error) {
  switch (error) {
  case EEXIST: return "EEXIST";
  case ENOENT: return "ENOENT";
  case EPERM: return "EPERM";
  case EBADF: return "EBADF";
  case EINVAL: return "EINVAL";
  default: return strerror(error);
  }
}

/* Prints the count and each event as pair:hex, in the order epoll gave them. */
static void show(const char *what, int rc, const struct epoll_event *events) {
  printf("%s: %d", what, rc);
  if (rc < 0) {
    printf(" %s", error_name(errno));
  }
  for (int i = 0; i < rc && i < 16; i++) {
    printf(" %u:%x", events[i].data.u32, events[i].events);
  }
  if (rc > 16) {
    printf(" ...");
  }
  printf("\n");
}

static void add(int epfd, int index, unsigned events) {
  struct epoll_event event = {.events = events, .data.u32 = (unsigned)index};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, pairs[index][0], &event) != 0) {
    printf("epoll_ctl ADD %d: %s\n", index, error_name(errno));
  }
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

struct waiter {
  int first;
  int rc;
  unsigned found;
};

static void *wait_own_instance(void *arg) {
  struct waiter *job = arg;
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < 10; i++) {
    add(epfd, job->first + i, EPOLLIN);
  }
  struct epoll_event events[10];
  job->rc = epoll_wait(epfd, events, 10, -1);
  job->found = job->rc > 0 ? events[0].data.u32 : 999;
  close(epfd);
  return NULL;
}

int main(void) {
  alarm(20);
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < kPairs; i++) {
    socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]);
  }
  int epfd = epoll_create1(0);
  for (int i = 0; i < kPairs; i++) {
    add(epfd, i, EPOLLIN);
  }
  static struct epoll_event events[kPairs];

  /* Timeout 0; ten ready; maxevents 4 takes them in turns (level-triggered). */
  show("nothing ready, timeout 0", epoll_wait(epfd, events, kPairs, 0), events);
  int chosen[10];
  for (int i = 0; i < 10; i++) {
    chosen[i] = (int)(next_random() % kPairs);
    write(pairs[chosen[i]][1], "x", 1);
  }
  show("10 written, timeout 0", epoll_wait(epfd, events, kPairs, 0), events);
  show("maxevents 4, timeout 50", epoll_wait(epfd, events, 4, 50), events);
  show("maxevents 4 again", epoll_wait(epfd, events, 4, -1), events);
  show("maxevents 4 again", epoll_wait(epfd, events, 4, 0), events);
  for (int i = 0; i < 10; i++) {
    drain(pairs[chosen[i]][0]);
  }
  show("drained, timeout 0", epoll_wait(epfd, events, kPairs, 0), events);

  /* Timeout -1: one write at a time from another thread. */
  int right = 0;
  for (int round = 0; round < 20; round++) {
    int target = (int)(next_random() % kPairs);
    struct delayed_write job = {pairs[target][1], 5000 + (int)(next_random() % 15000)};
    pthread_t thread;
    pthread_create(&thread, NULL, write_later, &job);
    int rc = epoll_wait(epfd, events, kPairs, -1);
    pthread_join(thread, NULL);
    right += rc == 1 && events[0].data.u32 == (unsigned)target && events[0].events == EPOLLIN;
    drain(pairs[target][0]);
  }
  printf("timeout -1, 20 rounds: %d woke for exactly the written pair\n", right);

  /* Timeout 50 ms, nothing coming; epoll_pwait with no mask. */
  double start = now();
  int rc = epoll_wait(epfd, events, kPairs, 50);
  double elapsed = now() - start;
  show("nothing coming, timeout 50", rc, events);
  printf("waited at least 50 ms: %s, less than 500 ms: %s\n", elapsed >= 0.049 ? "yes" : "no", elapsed < 0.5 ? "yes" : "no");
  printf("#nocompare waited %.4f s\n", elapsed);
  show("epoll_pwait, nothing coming, timeout 20", epoll_pwait(epfd, events, kPairs, 20, NULL), events);

  /* EPOLLET: one event per edge, not per unread byte. */
  int et = epoll_create1(0);
  add(et, 20, EPOLLIN | EPOLLET);
  write(pairs[20][1], "a", 1);
  show("ET: written", epoll_wait(et, events, 8, 0), events);
  show("ET: again, not read", epoll_wait(et, events, 8, 0), events);
  show("ET: again, 30 ms", epoll_wait(et, events, 8, 30), events);
  struct delayed_write job = {pairs[20][1], 20000};
  pthread_t thread;
  pthread_create(&thread, NULL, write_later, &job);
  show("ET: a new byte after 20 ms, timeout -1", epoll_wait(et, events, 8, -1), events);
  pthread_join(thread, NULL);
  drain(pairs[20][0]);
  /* EPOLLOUT|EPOLLET: writable once; after a write, a new edge. */
  struct epoll_event out_event = {.events = EPOLLOUT | EPOLLET, .data.u32 = 21};
  epoll_ctl(et, EPOLL_CTL_ADD, pairs[21][0], &out_event);
  show("ET EPOLLOUT: first", epoll_wait(et, events, 8, 0), events);
  show("ET EPOLLOUT: second", epoll_wait(et, events, 8, 0), events);
  write(pairs[21][0], "b", 1);
  show("ET EPOLLOUT: after a write", epoll_wait(et, events, 8, 0), events);
  close(et);

  /* EPOLLONESHOT: one event, then nothing until re-armed with MOD. */
  int oneshot = epoll_create1(0);
  add(oneshot, 30, EPOLLIN | EPOLLONESHOT);
  pthread_create(&thread, NULL, write_later, &(struct delayed_write){pairs[30][1], 20000});
  show("ONESHOT: data after 20 ms, timeout -1", epoll_wait(oneshot, events, 8, -1), events);
  pthread_join(thread, NULL);
  write(pairs[30][1], "c", 1);
  show("ONESHOT: more data, timeout 30", epoll_wait(oneshot, events, 8, 30), events);
  struct epoll_event rearm = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = 30};
  printf("MOD to re-arm: %d\n", epoll_ctl(oneshot, EPOLL_CTL_MOD, pairs[30][0], &rearm));
  show("ONESHOT: re-armed", epoll_wait(oneshot, events, 8, -1), events);
  drain(pairs[30][0]);
  close(oneshot);

  /* MOD to EPOLLOUT, DEL, and epoll_ctl errors. */
  struct epoll_event mod = {.events = EPOLLOUT, .data.u32 = 40};
  printf("MOD 40 to EPOLLOUT: %d\n", epoll_ctl(epfd, EPOLL_CTL_MOD, pairs[40][0], &mod));
  show("after MOD", epoll_wait(epfd, events, kPairs, 0), events);
  printf("DEL 40: %d\n", epoll_ctl(epfd, EPOLL_CTL_DEL, pairs[40][0], NULL));
  write(pairs[41][1], "d", 1);
  show("after DEL, 41 written", epoll_wait(epfd, events, kPairs, -1), events);
  drain(pairs[41][0]);
  struct epoll_event any = {.events = EPOLLIN};
  rc = epoll_ctl(epfd, EPOLL_CTL_ADD, pairs[41][0], &any);
  printf("ADD twice: %d %s\n", rc, rc < 0 ? error_name(errno) : "");
  rc = epoll_ctl(epfd, EPOLL_CTL_MOD, pairs[40][0], &any);
  printf("MOD after DEL: %d %s\n", rc, rc < 0 ? error_name(errno) : "");
  char path[] = "/tmp/poll_epoll_XXXXXX";
  int file = mkstemp(path);
  unlink(path);
  rc = epoll_ctl(epfd, EPOLL_CTL_ADD, file, &any);
  printf("ADD a regular file: %d %s\n", rc, rc < 0 ? error_name(errno) : "");
  close(file);
  rc = epoll_ctl(epfd, EPOLL_CTL_ADD, file, &any);
  printf("ADD a closed fd: %d %s\n", rc, rc < 0 ? error_name(errno) : "");
  rc = epoll_ctl(epfd, EPOLL_CTL_ADD, epfd, &any);
  printf("ADD the instance to itself: %d %s\n", rc, rc < 0 ? error_name(errno) : "");
  rc = epoll_wait(epfd, events, 0, 0);
  printf("maxevents 0: %d %s\n", rc, rc < 0 ? error_name(errno) : "");
  rc = epoll_wait(file, events, 1, 10);
  printf("epoll_wait on a closed fd: %d %s\n", rc, rc < 0 ? error_name(errno) : "");
  int not_epoll = pairs[99][1];
  rc = epoll_wait(not_epoll, events, 1, 10);
  printf("epoll_wait on a socket: %d %s\n", rc, rc < 0 ? error_name(errno) : "");

  /* A nested instance: the outer one reports the inner one readable. */
  int inner = epoll_create1(0);
  add(inner, 50, EPOLLIN);
  int outer = epoll_create1(0);
  struct epoll_event nested = {.events = EPOLLIN, .data.u32 = 1000};
  epoll_ctl(outer, EPOLL_CTL_ADD, inner, &nested);
  pthread_create(&thread, NULL, write_later, &(struct delayed_write){pairs[50][1], 20000});
  show("outer instance, inner gets data after 20 ms", epoll_wait(outer, events, 8, -1), events);
  pthread_join(thread, NULL);
  show("inner instance", epoll_wait(inner, events, 8, 0), events);
  drain(pairs[50][0]);
  close(outer);
  close(inner);

  /* Ten threads, each with its own instance over ten pairs. */
  struct waiter waiters[kWaiters];
  pthread_t waiter_threads[kWaiters], writer_threads[kWaiters];
  struct delayed_write writes[kWaiters];
  for (int i = 0; i < kWaiters; i++) {
    waiters[i] = (struct waiter){i * 10, 0, 999};
    pthread_create(&waiter_threads[i], NULL, wait_own_instance, &waiters[i]);
  }
  for (int i = 0; i < kWaiters; i++) {
    writes[i] = (struct delayed_write){pairs[i * 10 + (int)(next_random() % 10)][1], 20000 + (int)(next_random() % 30000)};
    pthread_create(&writer_threads[i], NULL, write_later, &writes[i]);
  }
  for (int i = 0; i < kWaiters; i++) {
    pthread_join(waiter_threads[i], NULL);
    pthread_join(writer_threads[i], NULL);
    printf("thread %d: %d, pair %u\n", i, waiters[i].rc, waiters[i].found);
    drain(pairs[waiters[i].found][0]);
  }

  /* Hang-ups: the peer closes, or shuts down its writing side. */
  struct epoll_event rdhup = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = 60};
  epoll_ctl(epfd, EPOLL_CTL_MOD, pairs[60][0], &rdhup);
  pthread_create(&thread, NULL, write_later, &(struct delayed_write){pairs[70][1], 20000});
  show("a write after 20 ms", epoll_wait(epfd, events, kPairs, -1), events);
  pthread_join(thread, NULL);
  drain(pairs[70][0]);
  close(pairs[60][1]);
  shutdown(pairs[61][1], SHUT_WR);
  show("peer of 60 closed, 61 shut down", epoll_wait(epfd, events, kPairs, -1), events);
  /* Closing a registered fd removes it from the instance. */
  close(pairs[60][0]);
  close(pairs[61][0]);
  close(pairs[61][1]);
  show("both closed", epoll_wait(epfd, events, kPairs, 20), events);

  close(epfd);
  for (int i = 0; i < kPairs; i++) {
    if (i != 60 && i != 61) {
      close(pairs[i][0]);
      close(pairs[i][1]);
    }
  }
  return 0;
}
