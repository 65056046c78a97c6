/* exit_from_thread.c - exit(7) from a thread while others sleep: atexit runs once, buffered stdout is flushed, status 7. */
/* sprig: green compare-stderr */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int handler_runs;

static void at_exit_handler(void) {
  handler_runs++;
  printf("atexit handler run %d\n", handler_runs);
}

static void *long_sleeper(void *arg) {
  (void)arg;
  sleep(10);
  printf("long sleeper woke (must not happen)\n");
  return NULL;
}

static void *exiter(void *arg) {
  (void)arg;
  usleep(200000);
  printf("exiter calls exit(7)\n"); /* stays in the stdio buffer: stdout is a pipe */
  fprintf(stderr, "exiter: stderr is unbuffered\n");
  exit(7);
}

int main(void) {
  alarm(20);
  atexit(at_exit_handler);
  printf("main starts threads\n");
  pthread_t threads[6];
  for (int i = 0; i < 5; i++) {
    pthread_create(&threads[i], NULL, long_sleeper, NULL);
  }
  pthread_create(&threads[5], NULL, exiter, NULL);
  for (int i = 0; i < 6; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("main joined everyone (must not happen)\n");
  return 0;
}
