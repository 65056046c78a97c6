/* div_after_fork.c - fork() while another thread runs a pthread_once() initializer: does the child's pthread_once() on that control run it again? And a vfork() child that closes a socket before _exit(): what the parent's thread waiting on it, and the parent's F_GETFL and read() afterwards, see. */
/* sprig: own-test */
/* Divergences sprig(7) lists ("After fork()"): under sprig the child's
 * pthread_once() waits for ever for an initializer that runs in no thread of
 * the child (here until the child's 1 s alarm), and the vfork() child's
 * close() goes to sprig in the parent's memory: the parent's waiting thread
 * wakes with EBADF, and the socket's entry is forgotten, so the parent then
 * sees sprig's O_NONBLOCK. test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_runs;
static atomic_int init_running; /* the first initializer has started */
static atomic_int init_may_end; /* ... and may return (set after the fork) */

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

static void slow_init(void) {
  init_runs++;
  atomic_store(&init_running, 1);
  wait_for(&init_may_end);
}

static void *run_once(void *arg) {
  pthread_once(&once, slow_init);
  return arg;
}

static void fork_during_once(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, run_once, NULL);
  wait_for(&init_running);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    alarm(1);
    atomic_store(&init_may_end, 1); /* an initializer the child runs returns at once */
    pthread_once(&once, slow_init);
    _exit(init_runs == 2 ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  atomic_store(&init_may_end, 1);
  pthread_join(thread, NULL);
  printf("the child's pthread_once() on a control whose initializer ran at fork: %s\n",
         WIFEXITED(status) && WEXITSTATUS(status) == 0        ? "ran the initializer again"
         : WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? "waited until its alarm"
                                                              : "failed");
}

struct reader {
  int fd;
  long rc;
  int error;
  atomic_int reading; /* about to call read() */
};

static void *read_one(void *arg) {
  struct reader *reader = arg;
  char byte;
  errno = 0;
  atomic_store(&reader->reading, 1);
  reader->rc = read(reader->fd, &byte, 1);
  reader->error = errno;
  return NULL;
}

/* Sends two bytes, one for each reader, 100 ms on. */
static void *send_later(void *arg) {
  usleep(100000);
  for (int i = 0; i < 2; i++) {
    if (send(*(int *)arg, "v", 1, 0) != 1) {
      perror("send");
    }
  }
  return NULL;
}

static void describe(char *out, size_t size, long rc, int error) {
  if (rc < 0) {
    snprintf(out, size, "-1 %s",
             error == EAGAIN  ? "EAGAIN"
             : error == EBADF ? "EBADF"
                              : strerror(error));
  } else {
    snprintf(out, size, "%ld", rc);
  }
}

static void vfork_child_closes(void) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  struct reader reader = {pair[0], 0, 0, 0};
  pthread_t waiting;
  pthread_create(&waiting, NULL, read_one, &reader);
  wait_for(&reader.reading);
  usleep(50000); /* the reader waits */
  pid_t child = vfork();
  if (child == 0) {
    close(pair[0]);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  int flags = fcntl(pair[0], F_GETFL);
  pthread_t sender;
  pthread_create(&sender, NULL, send_later, &pair[1]);
  struct reader again = {pair[0], 0, 0, 0};
  read_one(&again); /* the parent reads too, before the peer sends */
  pthread_join(waiting, NULL);
  pthread_join(sender, NULL);
  char result[64];
  describe(result, sizeof result, reader.rc, reader.error);
  printf("after a vfork() child closed the socket: the parent's waiting read: %s\n", result);
  describe(result, sizeof result, again.rc, again.error);
  printf("then the parent's F_GETFL: O_NONBLOCK %s, and its read before the peer sends: %s\n",
         (flags & O_NONBLOCK) != 0 ? "on" : "off", result);
  close(pair[0]);
  close(pair[1]);
}

int main(void) {
  alarm(20);
  fork_during_once();
  vfork_child_closes();
  return 0;
}
