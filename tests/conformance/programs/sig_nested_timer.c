/* sig_nested_timer.c - a timer's SIGALRM a few microseconds after a SIGUSR1 sent with kill() to the process itself, 20,000 times (CPython's test_stress_delivery_simultaneous): the two handlers nest at every point of each other's entry and return, and every signal is delivered; the mask is the same afterwards. */
/* One thread: a second one, parked, changes the timing enough that the
 * race below no longer showed. Under sprig a signal can arrive while the trampoline of another one is in
 * libc (its errno, the sigreturn stub): such a nested signal once recorded
 * the kernel's transient handler mask as the thread's, left SIGUSR1 blocked
 * for good and lost the next one. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

enum { kRounds = 20000 };

static volatile sig_atomic_t usr1_hits;
static volatile sig_atomic_t alarm_hits;

static void on_signal(int signal_number) {
  if (signal_number == SIGUSR1) {
    usr1_hits++;
  } else {
    alarm_hits++;
  }
}

int main(void) {
  alarm(60);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGUSR1, &action, NULL);
  sigaction(SIGALRM, &action, NULL);
  srand(7);
  int lost_at = -1;
  for (int round = 0; round < kRounds && lost_at < 0; round++) {
    struct itimerval soon = {{0, 0}, {0, 1 + rand() % 10}};
    setitimer(ITIMER_REAL, &soon, NULL);
    kill(getpid(), SIGUSR1);
    /* Both handlers before the next round (1 ms naps, at most 5 s). */
    for (int nap = 0; nap < 5000 && usr1_hits + alarm_hits < 2 * (round + 1); nap++) {
      usleep(1000);
    }
    if (usr1_hits + alarm_hits < 2 * (round + 1)) {
      lost_at = round;
    }
  }
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, NULL, &mask);
  if (lost_at >= 0) {
    printf("round %d: a signal was not delivered (SIGUSR1 %d, SIGALRM %d)\n", lost_at,
           (int)usr1_hits, (int)alarm_hits);
  } else {
    printf("%d rounds: every SIGUSR1 and SIGALRM delivered\n", kRounds);
  }
  printf("afterwards SIGUSR1 %s, SIGALRM %s\n",
         sigismember(&mask, SIGUSR1) ? "blocked" : "not blocked",
         sigismember(&mask, SIGALRM) ? "blocked" : "not blocked");
  return lost_at >= 0;
}
