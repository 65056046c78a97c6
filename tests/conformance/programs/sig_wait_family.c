/* sig_wait_family.c - waiting for signals in a thread: sigwait, sigwaitinfo (sigqueue's si_code and value, in order), sigtimedwait (EAGAIN at the timeout, the signal when it comes in time), sigsuspend (-1 EINTR after the handler ran, mask restored), pause (-1 EINTR), and a signalfd (blocking read and poll get a process-directed signal; div_signalfd_thread_signal.c shows a thread-directed one). */
/* sprig: green */
/* Main blocks the signals before it starts any thread, so every thread blocks them; the thread that waits
 * takes them. The sender (main, another thread or a child process) sends once the waiting thread has set
 * a flag just before its call and a short nap has passed; a signal sent a little early stays pending and
 * gives the same result, except for pause(), which the sender interrupts every 100 ms until it returned. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int handled;
static pthread_t handler_ran_on;
static atomic_int entering, returned;
static pthread_t waiter;

static void on_signal(int signal_number) {
  (void)signal_number;
  handler_ran_on = pthread_self();
  atomic_fetch_add(&handled, 1);
}

static void nap_ms(int ms) {
  struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

static void wait_flag(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    nap_ms(1);
  }
}

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

static const char *signal_name(int signal_number) {
  static char text[32];
  if (signal_number == SIGUSR1) {
    return "SIGUSR1";
  }
  if (signal_number == SIGUSR2) {
    return "SIGUSR2";
  }
  if (signal_number == SIGHUP) {
    return "SIGHUP";
  }
  if (signal_number == SIGRTMIN) {
    return "SIGRTMIN";
  }
  snprintf(text, sizeof text, "signal %d", signal_number);
  return text;
}

static const char *code_name(int code) {
  static char text[32];
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_TKILL:
      return "SI_TKILL";
    default:
      snprintf(text, sizeof text, "code %d", code);
      return text;
  }
}

static sigset_t one(int signal_number) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_number);
  return set;
}

static void child_kills_parent(int signal_number) {
  pid_t child = fork();
  if (child == 0) {
    kill(getppid(), signal_number);
    _exit(0);
  }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

static char out[256];

/* ---- the waits, each in a thread of its own ---- */

static void *do_sigwait_usr1(void *arg) {
  sigset_t set = one(SIGUSR1);
  int taken = 0;
  atomic_store(&entering, 1);
  int rc = sigwait(&set, &taken);
  atomic_store(&returned, 1);
  sprintf(out, "returned %d, signal %s", rc, signal_name(taken));
  return arg;
}

static void *do_sigwaitinfo_rt(void *arg) {
  sigset_t set = one(SIGRTMIN);
  siginfo_t first, second;
  memset(&first, 0, sizeof first);
  memset(&second, 0, sizeof second);
  atomic_store(&entering, 1);
  int rc1 = sigwaitinfo(&set, &first);
  int rc2 = sigwaitinfo(&set, &second);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s, si_signo %s, si_code %s, si_pid this process: %s, values in order: %d then %d",
          rc1 == SIGRTMIN && rc2 == SIGRTMIN ? "SIGRTMIN twice" : "something else", signal_name(first.si_signo),
          code_name(first.si_code), yes_no(first.si_pid == getpid()), first.si_value.sival_int, second.si_value.sival_int);
  return arg;
}

static void *do_sigtimedwait_timeout(void *arg) {
  sigset_t set = one(SIGUSR2);
  struct timespec timeout = {0, 100000000};
  errno = 0;
  int rc = sigtimedwait(&set, NULL, &timeout);
  sprintf(out, "%d %s", rc, rc < 0 && errno == EAGAIN ? "EAGAIN" : strerror(errno));
  return arg;
}

static void *do_sigtimedwait_in_time(void *arg) {
  sigset_t set = one(SIGUSR2);
  struct timespec timeout = {15, 0};
  siginfo_t info;
  memset(&info, 0, sizeof info);
  atomic_store(&entering, 1);
  int rc = sigtimedwait(&set, &info, &timeout);
  atomic_store(&returned, 1);
  sprintf(out, "returned %s, si_code %s", rc > 0 ? signal_name(rc) : "-1", code_name(info.si_code));
  return arg;
}

static void *do_sigsuspend(void *arg) {
  sigset_t during;
  pthread_sigmask(SIG_BLOCK, NULL, &during);
  sigdelset(&during, SIGUSR2);
  atomic_store(&entering, 1);
  int rc = sigsuspend(&during);
  int error = errno;
  int ran = atomic_load(&handled) > 0;
  int on_this = ran && pthread_equal(handler_ran_on, pthread_self());
  atomic_store(&returned, 1);
  sigset_t after;
  pthread_sigmask(SIG_BLOCK, NULL, &after);
  sprintf(out, "%d %s, handler ran on this thread before it returned: %s, SIGUSR2 blocked again after: %s", rc,
          rc < 0 && error == EINTR ? "EINTR" : strerror(error), yes_no(on_this), yes_no(sigismember(&after, SIGUSR2) == 1));
  return arg;
}

static void *do_pause(void *arg) {
  sigset_t hup = one(SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &hup, NULL);
  atomic_store(&entering, 1);
  int rc = pause();
  int error = errno;
  atomic_store(&returned, 1);
  int ran = atomic_load(&handled) > 0;
  pthread_sigmask(SIG_BLOCK, &hup, NULL);
  sprintf(out, "%d %s, handler ran: %s", rc, rc < 0 && error == EINTR ? "EINTR" : strerror(error), yes_no(ran));
  return arg;
}

static void *do_signalfd_read(void *arg) {
  sigset_t set = one(SIGUSR2);
  int fd = signalfd(-1, &set, SFD_CLOEXEC);
  struct signalfd_siginfo info;
  memset(&info, 0, sizeof info);
  atomic_store(&entering, 1);
  ssize_t n = read(fd, &info, sizeof info);
  atomic_store(&returned, 1);
  sprintf(out, "read %s, ssi_signo %s, ssi_code %s, ssi_pid this process: %s",
          n == (ssize_t)sizeof info ? "one signalfd_siginfo" : "something else", signal_name((int)info.ssi_signo),
          code_name(info.ssi_code), yes_no(info.ssi_pid == (unsigned)getpid()));
  close(fd);
  return arg;
}

static void *do_signalfd_poll(void *arg) {
  sigset_t set = one(SIGUSR2);
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  struct pollfd wanted = {fd, POLLIN, 0};
  atomic_store(&entering, 1);
  int rc = poll(&wanted, 1, 15000);
  atomic_store(&returned, 1);
  struct signalfd_siginfo info;
  memset(&info, 0, sizeof info);
  ssize_t n = read(fd, &info, sizeof info);
  sprintf(out, "poll returned %d, POLLIN: %s, then read %s, ssi_signo %s", rc, yes_no(wanted.revents & POLLIN),
          n == (ssize_t)sizeof info ? "one signalfd_siginfo" : "something else", signal_name((int)info.ssi_signo));
  close(fd);
  return arg;
}

/* ---- senders ---- */

static void start(void *(*body)(void *)) {
  atomic_store(&handled, 0);
  atomic_store(&entering, 0);
  atomic_store(&returned, 0);
  out[0] = 0;
  pthread_create(&waiter, NULL, body, NULL);
}

static void when_waiting(void) {
  wait_flag(&entering);
  nap_ms(50);
}

static void finish(const char *what) {
  pthread_join(waiter, NULL);
  printf("%s: %s\n", what, out);
}

static void *queue_two(void *arg) {
  (void)arg;
  when_waiting();
  union sigval value = {.sival_int = 1};
  sigqueue(getpid(), SIGRTMIN, value);
  value.sival_int = 2;
  sigqueue(getpid(), SIGRTMIN, value);
  return NULL;
}

static void *kill_process_usr2(void *arg) {
  (void)arg;
  when_waiting();
  kill(getpid(), SIGUSR2);
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR2, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigaddset(&blocked, SIGUSR2);
  sigaddset(&blocked, SIGHUP);
  sigaddset(&blocked, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &blocked, NULL);

  start(do_sigwait_usr1);
  when_waiting();
  pthread_kill(waiter, SIGUSR1);
  finish("sigwait, pthread_kill to the waiting thread");

  start(do_sigwait_usr1);
  when_waiting();
  child_kills_parent(SIGUSR1);
  finish("sigwait, kill() from a child process");

  start(do_sigwaitinfo_rt);
  pthread_t sender;
  pthread_create(&sender, NULL, queue_two, NULL);
  pthread_join(sender, NULL);
  finish("sigwaitinfo, two sigqueue(SIGRTMIN) from another thread");

  start(do_sigtimedwait_timeout);
  finish("sigtimedwait 100 ms, nothing sent");

  start(do_sigtimedwait_in_time);
  pthread_create(&sender, NULL, kill_process_usr2, NULL);
  pthread_join(sender, NULL);
  finish("sigtimedwait 15 s, kill(getpid()) from another thread");

  start(do_sigsuspend);
  when_waiting();
  pthread_kill(waiter, SIGUSR2);
  finish("sigsuspend unblocking SIGUSR2, pthread_kill to the thread");

  start(do_sigsuspend);
  when_waiting();
  child_kills_parent(SIGUSR2);
  finish("sigsuspend unblocking SIGUSR2, kill() from a child process");

  start(do_pause);
  wait_flag(&entering);
  for (int round = 0; round < 100 && !atomic_load(&returned); round++) {
    nap_ms(50);
    if (atomic_load(&returned)) {
      break;
    }
    int before = atomic_load(&handled);
    pthread_kill(waiter, SIGHUP);
    for (int i = 0; i < 50 && !atomic_load(&returned) && atomic_load(&handled) == before; i++) {
      nap_ms(1);
    }
    nap_ms(50);
  }
  finish("pause, SIGHUP with a handler");

  start(do_signalfd_read);
  pthread_create(&sender, NULL, kill_process_usr2, NULL);
  pthread_join(sender, NULL);
  finish("blocking read of a signalfd, kill(getpid()) from another thread");

  start(do_signalfd_poll);
  when_waiting();
  child_kills_parent(SIGUSR2);
  finish("poll on a signalfd, kill() from a child process");

  sigset_t pending;
  sigpending(&pending);
  printf("anything left pending in main: %s\n",
         yes_no(sigismember(&pending, SIGUSR1) || sigismember(&pending, SIGUSR2) || sigismember(&pending, SIGHUP) ||
                sigismember(&pending, SIGRTMIN)));
  return 0;
}
