/* div_unhooked_waits.c - sigwait(), sigwaitinfo(), sigsuspend() and pause() for a signal another process sends 200 ms after the call began to wait, msgrcv() and mq_receive() for its message, and epoll_pwait2() for its write to a pipe: does a witness thread keep ticking meanwhile? (A futex wait through syscall() parks: futex_syscall.c.) */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Blocking calls sprig does not interpose"):
 * under sprig msgrcv(), mq_receive() and epoll_pwait2() block the worker, so
 * the witness stops; the waits for a signal park only their thread.
 * test_divergences.py checks both results. Signals: SIGUSR1 and SIGUSR2 are
 * blocked before the witness starts, so natively they go to main, which
 * unblocks SIGUSR2 only where it waits for it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kDelayUs = 200000 };

static atomic_int ticks;
static atomic_int stop;
static volatile sig_atomic_t handled;

static void *witness(void *arg) {
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    usleep(5000);
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

static void report(const char *what, long rc, int before) {
  printf("%s: %ld; the witness ticked meanwhile: %s\n", what, rc,
         atomic_load(&ticks) - before > 0 ? "yes" : "no");
}

static void on_signal(int signal_number) {
  (void)signal_number;
  handled++;
}

/* In a child: waits until the parent's main thread sleeps (state S in its
 * /proc stat, looked at every 1 ms for at most 10 s), so the parent is inside
 * its call however slowly a loaded machine runs it, then for the delay. */
static void wait_until_parent_waits(pid_t parent) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)parent, (int)parent);
  for (int i = 0; i < 10000; i++) {
    char line[512] = "";
    FILE *stat = fopen(path, "r");
    if (stat != NULL) {
      if (fgets(line, sizeof line, stat) == NULL) {
        line[0] = '\0';
      }
      fclose(stat);
    }
    const char *name_end = strrchr(line, ')');
    if (name_end != NULL && name_end[1] == ' ' && name_end[2] == 'S') {
      break;
    }
    usleep(1000);
  }
  usleep(kDelayUs);
}

/* A child that signals this process once it waits, after the delay. */
static pid_t signal_later(int signal_number) {
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    wait_until_parent_waits(parent);
    kill(parent, signal_number);
    _exit(0);
  }
  return child;
}

static void signal_waits(void) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);

  pid_t child = signal_later(SIGUSR1);
  int received = 0;
  int before = atomic_load(&ticks);
  int rc = sigwait(&usr1, &received);
  report("sigwait() for SIGUSR1", rc == 0 && received == SIGUSR1 ? 0 : -1, before);
  waitpid(child, NULL, 0);

  child = signal_later(SIGUSR1);
  before = atomic_load(&ticks);
  rc = sigwaitinfo(&usr1, NULL);
  report("sigwaitinfo() for SIGUSR1", rc == SIGUSR1 ? 0 : -1, before);
  waitpid(child, NULL, 0);

  sigset_t all_but_usr1;
  sigemptyset(&all_but_usr1);
  sigaddset(&all_but_usr1, SIGUSR1);
  child = signal_later(SIGUSR2);
  before = atomic_load(&ticks);
  rc = sigsuspend(&all_but_usr1); /* SIGUSR2 unblocked while it waits */
  report("sigsuspend() until SIGUSR2 is handled", handled == 1 ? rc : -2, before);
  waitpid(child, NULL, 0);

  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
  child = signal_later(SIGUSR2);
  before = atomic_load(&ticks);
  rc = pause();
  report("pause() until SIGUSR2 is handled", handled == 2 ? rc : -2, before);
  pthread_sigmask(SIG_BLOCK, &usr2, NULL);
  waitpid(child, NULL, 0);
}

static void message_waits(void) {
  int queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  struct message {
    long type;
    char text[8];
  } message = {1, "sysv"};
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    wait_until_parent_waits(parent);
    _exit(msgsnd(queue, &message, sizeof message.text, 0) == 0 ? 0 : 1);
  }
  struct message got = {0, ""};
  int before = atomic_load(&ticks);
  long rc = msgrcv(queue, &got, sizeof got.text, 0, 0);
  report("msgrcv() of a message sent 200 ms later", rc, before);
  waitpid(child, NULL, 0);
  msgctl(queue, IPC_RMID, NULL);

  char name[64];
  snprintf(name, sizeof name, "/div_unhooked_waits.%d", (int)getpid());
  struct mq_attr attributes = {.mq_maxmsg = 4, .mq_msgsize = 16};
  mqd_t posix_queue = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attributes);
  if (posix_queue == (mqd_t)-1) {
    perror("mq_open");
    return;
  }
  mq_unlink(name);
  child = fork();
  if (child == 0) {
    wait_until_parent_waits(parent);
    _exit(mq_send(posix_queue, "posix", 5, 0) == 0 ? 0 : 1);
  }
  char text[16];
  before = atomic_load(&ticks);
  rc = mq_receive(posix_queue, text, sizeof text, NULL);
  report("mq_receive() of a message sent 200 ms later", rc, before);
  waitpid(child, NULL, 0);
  mq_close(posix_queue);
}

static void epoll_pwait2_wait(void) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    return;
  }
  int epoll_fd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pipe_fds[0], &event);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    wait_until_parent_waits(parent);
    _exit(write(pipe_fds[1], "e", 1) == 1 ? 0 : 1);
  }
  struct timespec limit = {5, 0};
  int before = atomic_load(&ticks);
  int rc = epoll_pwait2(epoll_fd, &event, 1, &limit, NULL);
  report("epoll_pwait2() for a pipe written 200 ms later", rc, before);
  waitpid(child, NULL, 0);
  close(epoll_fd);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

int main(void) {
  alarm(20);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGUSR2, &action, NULL);
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &both, NULL); /* the witness inherits it */
  pthread_t thread;
  pthread_create(&thread, NULL, witness, NULL);
  usleep(20000);
  signal_waits();
  message_waits();
  epoll_pwait2_wait();
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  return 0;
}
