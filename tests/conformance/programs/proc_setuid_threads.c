/* proc_setuid_threads.c - setuid() and setgroups() from a thread that is not main, while other threads sleep and after a name lookup started helper threads: every thread takes the change, and the call returns. */
/* sprig: green pool */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_barrier_t started;

/* Sleeps 200 ms in all: glibc's SIGSETXID interrupts a sleep (EINTR). */
static void *sleeper(void *arg) {
  pthread_barrier_wait(&started);
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 200000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec += 1;
    until.tv_nsec -= 1000000000;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
  }
  return arg;
}

static void *changer(void *arg) {
  (void)arg;
  pthread_barrier_wait(&started);
  gid_t group = getgid();
  int groups_rc = setgroups(1, &group);
  int uid_rc = setuid(getuid());
  int gid_rc = setresgid(getgid(), getgid(), getgid());
  printf("setgroups %d, setuid %d, setresgid %d\n", groups_rc, uid_rc, gid_rc);
  return NULL;
}

int main(void) {
  alarm(20);
  struct addrinfo hints, *found = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int lookup = getaddrinfo("localhost", "80", &hints, &found);
  printf("lookup: %d\n", lookup);
  if (found != NULL) {
    freeaddrinfo(found);
  }
  enum { kSleepers = 4 };
  pthread_barrier_init(&started, NULL, kSleepers + 1);
  pthread_t threads[kSleepers + 1];
  for (int i = 0; i < kSleepers; i++) {
    pthread_create(&threads[i], NULL, sleeper, NULL);
  }
  pthread_create(&threads[kSleepers], NULL, changer, NULL);
  for (int i = 0; i <= kSleepers; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("uid %d gid %d: every thread joined\n", getuid() == geteuid(), getgid() == getegid());
  return 0;
}
