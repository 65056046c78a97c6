/* signal_masks_per_thread.c - per-thread signal state: a mask and an alternate signal stack one thread sets, as another thread sees them; and the signal masks of ppoll(), pselect() and epoll_pwait(), which unblock SIGUSR2 for a wait of 500 ms while another process sends it 100 ms in. */
/* SIGUSR2 is blocked before any thread starts, so natively it goes to main,
 * the thread that waits: the call fails with EINTR once the handler ran. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static pthread_barrier_t step;
static char alternate_stack[65536];

static void on_signal(int signal_number) {
  (void)signal_number;
  handled++;
}

/* Thread A blocks SIGUSR1 and sets an alternate stack; thread B looks. */
static void *setter(void *arg) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
  sigaltstack(&stack, NULL);
  pthread_barrier_wait(&step); /* set */
  pthread_barrier_wait(&step); /* looked at */
  return arg;
}

static void *looker(void *arg) {
  pthread_barrier_wait(&step);
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  stack_t stack;
  sigaltstack(NULL, &stack);
  printf("another thread's pthread_sigmask(SIG_BLOCK, SIGUSR1) shows in this one: %s\n",
         sigismember(&mask, SIGUSR1) ? "yes" : "no");
  printf("another thread's sigaltstack() shows in this one: %s\n",
         (stack.ss_flags & SS_DISABLE) == 0 && stack.ss_sp == alternate_stack ? "yes" : "no");
  pthread_barrier_wait(&step);
  return arg;
}

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

enum call { kPpoll, kPselect, kEpollPwait };

/* Waits 500 ms on an empty pipe with SIGUSR2 unblocked by the call's mask;
 * a child sends SIGUSR2 100 ms in. */
static void masked_wait(const char *name, enum call call) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    return;
  }
  sigset_t unblocked;
  pthread_sigmask(SIG_BLOCK, NULL, &unblocked);
  sigdelset(&unblocked, SIGUSR2);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    usleep(100000);
    kill(parent, SIGUSR2);
    _exit(0);
  }
  handled = 0;
  long long started = now_ms();
  int rc = -2;
  errno = 0;
  if (call == kPpoll) {
    struct pollfd wanted = {pipe_fds[0], POLLIN, 0};
    struct timespec timeout = {0, 500000000};
    rc = ppoll(&wanted, 1, &timeout, &unblocked);
  } else if (call == kPselect) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(pipe_fds[0], &readable);
    struct timespec timeout = {0, 500000000};
    rc = pselect(pipe_fds[0] + 1, &readable, NULL, NULL, &timeout, &unblocked);
  } else {
    int epoll_fd = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pipe_fds[0], &event);
    rc = epoll_pwait(epoll_fd, &event, 1, 500, &unblocked);
    close(epoll_fd);
  }
  int error = errno;
  long long took = now_ms() - started;
  int during = handled;
  waitpid(child, NULL, 0);
  sigset_t pending;
  sigpending(&pending);
  printf("%s unblocking SIGUSR2, sent 100 ms in: %d%s, %s, handler ran: %s, SIGUSR2 pending after: "
         "%s\n",
         name, rc, rc < 0 ? (error == EINTR ? " EINTR" : " (other error)") : "",
         took < 300 ? "within 300 ms" : "at its timeout", during > 0 ? "yes" : "no",
         sigismember(&pending, SIGUSR2) ? "yes" : "no");
  if (sigismember(&pending, SIGUSR2)) {
    int taken = 0;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigwait(&usr2, &taken); /* clear it for the next call */
  }
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

int main(void) {
  alarm(20);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGUSR2, &action, NULL);
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, NULL);

  pthread_barrier_init(&step, NULL, 2);
  pthread_t threads[2];
  pthread_create(&threads[0], NULL, setter, NULL);
  pthread_create(&threads[1], NULL, looker, NULL);
  pthread_join(threads[0], NULL);
  pthread_join(threads[1], NULL);
  fflush(stdout);

  masked_wait("ppoll()", kPpoll);
  masked_wait("pselect()", kPselect);
  masked_wait("epoll_pwait()", kEpollPwait);
  return 0;
}
