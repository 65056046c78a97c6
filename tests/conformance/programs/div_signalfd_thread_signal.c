/* div_signalfd_thread_signal.c - a signal pthread_kill sends to a thread that blocks it: does that thread's signalfd read it? And one kill() sends to the process, read the same way. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Signals sent to a green thread are not seen
 * by a signalfd"): natively the target thread's read of its signalfd takes
 * the signal; under sprig the read finds nothing (EAGAIN) and the signal
 * stays pending for the thread, where sigwait() takes it. A signal sent to
 * the process is read both ways. test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static atomic_int ready, sent;

static void wait_for(atomic_int *flag) {
  for (int nap = 0; nap < 10000 && !atomic_load(flag); nap++) {
    struct timespec one_ms = {0, 1000000};
    nanosleep(&one_ms, NULL);
  }
}

static const char *read_once(int fd, char *text, size_t size) {
  struct signalfd_siginfo info;
  ssize_t n = read(fd, &info, sizeof info);
  if (n == (ssize_t)sizeof info) {
    snprintf(text, size, "one signalfd_siginfo, %s, %s", info.ssi_signo == SIGUSR1 ? "SIGUSR1" : "another signal",
             info.ssi_code == SI_TKILL ? "SI_TKILL" : info.ssi_code == SI_USER ? "SI_USER" : "another code");
  } else {
    snprintf(text, size, "%zd %s", n, n < 0 && errno == EAGAIN ? "EAGAIN" : strerror(errno));
  }
  return text;
}

static void *target(void *argument) {
  (void)argument;
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  int fd = signalfd(-1, &usr1, SFD_NONBLOCK | SFD_CLOEXEC);
  atomic_store(&ready, 1);
  wait_for(&sent);
  char text[128];
  printf("pthread_kill(SIGUSR1) to this thread, its signalfd read: %s\n", read_once(fd, text, sizeof text));
  sigset_t pending;
  sigpending(&pending);
  int still = sigismember(&pending, SIGUSR1);
  printf("SIGUSR1 still pending for the thread after the read: %s\n", still ? "yes" : "no");
  if (still) {
    int taken = 0;
    sigwait(&usr1, &taken);
  }
  kill(getpid(), SIGUSR1);
  printf("kill(getpid(), SIGUSR1), the signalfd read: %s\n", read_once(fd, text, sizeof text));
  close(fd);
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  pthread_t thread;
  pthread_create(&thread, NULL, target, NULL);
  wait_for(&ready);
  pthread_kill(thread, SIGUSR1);
  atomic_store(&sent, 1);
  pthread_join(thread, NULL);
  return 0;
}
