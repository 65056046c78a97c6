/* net_signal_eintr.c - a signal whose handler has no SA_RESTART interrupts a thread blocked in read(), poll() or nanosleep() with EINTR; with SA_RESTART the read goes on waiting and returns the data that comes later. */
/* sprig: green */
/* The signal is process-directed; the helper thread is created with it
 * blocked, so it goes to main, the thread that waits. A watchdog unblocks a
 * read or poll still waiting after 1 s (with SA_RESTART, that is the byte it
 * returns). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static atomic_int waiting;
static int pair[2];

static void on_signal(int signal_number) {
  (void)signal_number;
  handled++;
}

/* Sends SIGUSR1 to the process after 100 ms, then unblocks main after 1 s if it still waits. */
static void *helper(void *arg) {
  (void)arg;
  usleep(100000);
  kill(getpid(), SIGUSR1);
  for (int i = 0; i < 100 && atomic_load(&waiting); i++) {
    usleep(10000);
  }
  if (atomic_load(&waiting)) {
    send(pair[1], "w", 1, 0);
  }
  return NULL;
}

static pthread_t start_helper(void) {
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, &old);
  atomic_store(&waiting, 1);
  pthread_t thread;
  pthread_create(&thread, NULL, helper, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return thread;
}

static void handle(int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, NULL);
}

static void report(const char *what, long rc, int error) {
  if (rc < 0) {
    printf("%s: -1 %s, handler ran %d time(s)\n", what, error == EINTR ? "EINTR" : strerror(error), (int)handled);
  } else {
    printf("%s: %ld (the helper's byte after 1 s), handler ran %d time(s)\n", what, rc, (int)handled);
  }
}

static void drain(void) {
  char buffer[16];
  while (recv(pair[0], buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
  }
}

int main(void) {
  alarm(20);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  char byte;

  handle(0);
  handled = 0;
  pthread_t thread = start_helper();
  ssize_t n = read(pair[0], &byte, 1);
  int error = errno;
  atomic_store(&waiting, 0);
  pthread_join(thread, NULL);
  report("read, no SA_RESTART", n, error);
  drain();

  handle(SA_RESTART);
  handled = 0;
  thread = start_helper();
  n = read(pair[0], &byte, 1);
  error = errno;
  atomic_store(&waiting, 0);
  pthread_join(thread, NULL);
  report("read, SA_RESTART", n, error);
  drain();

  /* poll is never restarted (signal(7)). */
  handled = 0;
  thread = start_helper();
  struct pollfd pfd = {pair[0], POLLIN, 0};
  int rc = poll(&pfd, 1, -1);
  error = errno;
  atomic_store(&waiting, 0);
  pthread_join(thread, NULL);
  report("poll, SA_RESTART", rc, error);
  drain();

  /* nanosleep: EINTR with the time left. */
  handle(0);
  handled = 0;
  thread = start_helper();
  struct timespec request = {0, 500000000}, left = {0, 0};
  rc = nanosleep(&request, &left);
  error = errno;
  atomic_store(&waiting, 0);
  pthread_join(thread, NULL);
  printf("nanosleep 500 ms: %d %s, time left more than 0.3 s: %s, handler ran %d time(s)\n", rc, rc < 0 && error == EINTR ? "EINTR" : "",
         left.tv_nsec > 300000000 ? "yes" : "no", (int)handled);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
