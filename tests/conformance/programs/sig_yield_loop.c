/* sig_yield_loop.c - a process-directed signal that only one thread accepts, while that thread does nothing but call sched_yield(): its handler must run, each time, before the sender goes on. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { kSignals = 20000 }; /* ~0.2 s natively: long enough for the harness to see the threads */

static sem_t handled_one;
static atomic_int handled;
static atomic_int stop_spinning;

static void on_usr1(int number) {
  (void)number;
  atomic_fetch_add(&handled, 1);
  sem_post(&handled_one); /* async-signal-safe */
}

/* The only thread that does not block SIGUSR1; it never waits. */
static void *spinner(void *arg) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
  while (!atomic_load(&stop_spinning)) {
    sched_yield();
  }
  return arg;
}

int main(void) {
  alarm(20);
  sem_init(&handled_one, 0, 0);
  struct sigaction action = {0};
  action.sa_handler = on_usr1;
  sigaction(SIGUSR1, &action, NULL);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* inherited by the spinner, which unblocks it */
  pthread_t thread;
  pthread_create(&thread, NULL, spinner, NULL);
  int answered = 0;
  for (int i = 0; i < kSignals; i++) {
    kill(getpid(), SIGUSR1);
    struct timespec limit;
    clock_gettime(CLOCK_REALTIME, &limit);
    limit.tv_sec += 5;
    int rc;
    while ((rc = sem_timedwait(&handled_one, &limit)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      break;
    }
    answered++;
  }
  atomic_store(&stop_spinning, 1);
  pthread_join(thread, NULL);
  printf("signals sent %d, each handled before the next: %d, handled in all: %d\n", kSignals,
         answered, atomic_load(&handled));
  return 0;
}
