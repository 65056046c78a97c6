/* proc_vfork_child.c - a vfork() child that does what CPython's subprocess does before exec (resets the handlers, sets its own mask, closes a socket) leaves the parent's handlers, mask and socket as they were; a thread waiting on that socket reads on; then SIGTERM still ends the parent. */
/* sprig: green */
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

static volatile sig_atomic_t usr1_hits;
static void count_usr1(int signal_number) {
  (void)signal_number;
  usr1_hits++;
}

struct reader {
  int fd;
  atomic_int reading; /* about to call read() */
  long rc;
  char byte;
};

static void *read_one(void *arg) {
  struct reader *reader = arg;
  atomic_store(&reader->reading, 1);
  reader->rc = read(reader->fd, &reader->byte, 1);
  return NULL;
}

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

/* What _posixsubprocess's child does between vfork() and exec. */
static void child_before_exec(const sigset_t *child_mask, int socket_to_close) {
  struct sigaction to_default;
  memset(&to_default, 0, sizeof to_default);
  to_default.sa_handler = SIG_DFL;
  for (int number = 1; number < NSIG; number++) {
    struct sigaction now;
    if (number == SIGKILL || number == SIGSTOP || sigaction(number, NULL, &now) != 0) {
      continue;
    }
    if (now.sa_handler != SIG_DFL && now.sa_handler != SIG_IGN) {
      sigaction(number, &to_default, NULL);
    }
  }
  pthread_sigmask(SIG_SETMASK, child_mask, NULL);
  close(socket_to_close);
}

static int run_vfork_child(int socket_to_close, int use_exec) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* as CPython: nothing runs in the child's window */
  pid_t child = vfork();
  if (child == 0) {
    child_before_exec(&old, socket_to_close);
    if (use_exec) {
      execl("/bin/true", "true", (char *)NULL);
    }
    _exit(use_exec ? 127 : 3);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  int status = -1;
  if (child < 0 || waitpid(child, &status, 0) != child) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void report_parent_state(const char *after) {
  struct sigaction usr1;
  sigaction(SIGUSR1, NULL, &usr1);
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, NULL, &mask);
  int before = usr1_hits;
  raise(SIGUSR1);
  kill(getpid(), SIGUSR1);
  printf("after %s: the parent's SIGUSR1 handler %s, SIGTERM %s, SIGUSR1 %s, "
         "raise() and kill() ran it %d times\n",
         after, usr1.sa_handler == count_usr1 ? "kept" : "lost",
         sigismember(&mask, SIGTERM) ? "blocked" : "not blocked",
         sigismember(&mask, SIGUSR1) ? "blocked" : "not blocked", usr1_hits - before);
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = count_usr1;
  sigaction(SIGUSR1, &action, NULL);

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
    perror("socketpair");
    return 1;
  }
  struct reader reader = {pair[0], 0, 0, 0};
  pthread_t waiting;
  pthread_create(&waiting, NULL, read_one, &reader);
  wait_for(&reader.reading);
  usleep(50000); /* the reader waits in read() */

  printf("a vfork() child that exits: status %d\n", run_vfork_child(pair[0], 0));
  report_parent_state("the child that exits");
  printf("a vfork() child that execs /bin/true: status %d\n", run_vfork_child(pair[0], 1));
  report_parent_state("the child that execs");

  int flags = fcntl(pair[0], F_GETFL);
  printf("the parent's socket: O_NONBLOCK %s\n", (flags & O_NONBLOCK) != 0 ? "on" : "off");
  if (send(pair[1], "v", 1, 0) != 1) {
    perror("send");
  }
  pthread_join(waiting, NULL);
  printf("the parent's thread waiting on it: read %ld byte '%c'\n", reader.rc,
         reader.rc == 1 ? reader.byte : '-');

  /* The default action of SIGTERM, which a mask left blocked would hold off. */
  kill(getpid(), SIGTERM);
  usleep(500000);
  printf("still running after SIGTERM\n");
  return 0;
}
