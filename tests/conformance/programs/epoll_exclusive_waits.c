/* epoll_exclusive_waits.c - epoll_wait on a set with an EPOLLEXCLUSIVE entry: it times out, gets an event that comes later, and a thread waiting in it without a timeout is cancelled by pthread_cancel. */
/* sprig: green pool */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static atomic_int waiting;

static int exclusive_set(int fd) {
  int epfd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = fd};
  if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) != 0) {
    perror("epoll");
    return -1;
  }
  return epfd;
}

static void *wait_for_ever(void *arg) {
  int epfd = *(int *)arg;
  struct epoll_event event;
  atomic_store(&waiting, 1);
  epoll_wait(epfd, &event, 1, -1);
  return "returned";
}

static long elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(void) {
  alarm(20);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    return 1;
  }
  struct epoll_event event;
  struct timespec start;

  int epfd = exclusive_set(pipe_fds[0]);
  clock_gettime(CLOCK_MONOTONIC, &start);
  int rc = epoll_wait(epfd, &event, 1, 200);
  long took = elapsed_ms(&start);
  printf("nothing ready, 200 ms timeout: %d, %s\n", rc, took >= 190 ? "after the timeout" : "early");

  int timer = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec in_150ms = {.it_value = {0, 150000000}};
  timerfd_settime(timer, 0, &in_150ms, NULL);
  int timer_set = exclusive_set(timer);
  rc = epoll_wait(timer_set, &event, 1, 5000);
  printf("a timer 150 ms away: %d, the timer's fd: %s\n", rc, event.data.fd == timer ? "yes" : "no");

  pthread_t thread;
  pthread_create(&thread, NULL, wait_for_ever, &epfd);
  for (int naps = 0; naps < 10000 && !atomic_load(&waiting); ++naps) {
    usleep(1000);
  }
  usleep(100000); /* in the wait by now, or the cancel acts at its start: the same end */
  clock_gettime(CLOCK_MONOTONIC, &start);
  pthread_cancel(thread);
  void *result = NULL;
  pthread_join(thread, &result);
  took = elapsed_ms(&start);
  printf("a thread waiting with no timeout, cancelled: %s, %s\n",
         result == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : (char *)result,
         took < 1000 ? "within a second" : "late");
  return 0;
}
