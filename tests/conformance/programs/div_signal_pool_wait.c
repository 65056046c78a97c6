/* div_signal_pool_wait.c - a signal with a handler sent with pthread_kill to a thread inside system("sleep 0.5"): does the handler run while system() still waits, and what does system() return? */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Handlers of threads in the thread pool's
 * waits run late"): natively the handler runs at once (glibc's system()
 * waits again after it, so it returns the command's status); under sprig
 * system() runs on libuv's thread pool, and the handler runs when it has
 * returned. test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static atomic_int handled, inside, done;

static void on_signal(int signal_number) {
  (void)signal_number;
  atomic_fetch_add(&handled, 1);
}

static void nap_ms(int ms) {
  struct timespec interval = {0, ms * 1000000L};
  nanosleep(&interval, NULL);
}

static void *runner(void *argument) {
  int *status = argument;
  atomic_store(&inside, 1);
  *status = system("sleep 0.5");
  atomic_store(&done, 1);
  return NULL;
}

int main(void) {
  alarm(20);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGUSR1, &action, NULL);
  int status = -1;
  pthread_t thread;
  pthread_create(&thread, NULL, runner, &status);
  for (int nap = 0; nap < 5000 && !atomic_load(&inside); nap++) {
    nap_ms(1);
  }
  nap_ms(100);
  pthread_kill(thread, SIGUSR1);
  for (int nap = 0; nap < 200 && atomic_load(&handled) == 0 && !atomic_load(&done); nap++) {
    nap_ms(1);
  }
  int early = atomic_load(&handled) > 0 && !atomic_load(&done);
  pthread_join(thread, NULL);
  printf("the handler ran while system() still waited: %s\n", early ? "yes" : "no");
  printf("system() returned: exit status %d, the handler ran: %s\n",
         WIFEXITED(status) ? WEXITSTATUS(status) : -1, atomic_load(&handled) > 0 ? "yes" : "no");
  return 0;
}
