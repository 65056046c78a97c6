/* yield_masks.c - two threads that yield to each other 100,000 times each; with "same" both keep the process's mask, with "blocked" both block SIGUSR1 (the same mask, not the one the process started with), with "differ" only one blocks it. Prints the yields made. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define YIELDS 100000

static const char *g_mode;

static void *yielder(void *argument) {
  int index = *(int *)argument;
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  if (strcmp(g_mode, "blocked") == 0 || (strcmp(g_mode, "differ") == 0 && index == 1)) {
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  }
  for (int i = 0; i < YIELDS; i++) {
    sched_yield();
  }
  return NULL;
}

int main(int argc, char **argv) {
  g_mode = argc > 1 ? argv[1] : "same";
  pthread_t threads[2];
  int indexes[2] = {0, 1};
  for (int i = 0; i < 2; i++) {
    pthread_create(&threads[i], NULL, yielder, &indexes[i]);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("yields %d\n", 2 * YIELDS);
  return 0;
}
