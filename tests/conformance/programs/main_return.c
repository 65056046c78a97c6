/* main_return.c - main returning 3 with unflushed stdout (and a still sleeping thread): output flushed, atexit runs, status 3. */
/* sprig: green compare-stderr */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void at_exit_handler(void) { printf("atexit handler ran\n"); }

static void *sleeper(void *arg) {
  (void)arg;
  sleep(10);
  printf("sleeper woke (must not happen)\n");
  return NULL;
}

int main(void) {
  alarm(20);
  atexit(at_exit_handler);
  pthread_t thread;
  pthread_create(&thread, NULL, sleeper, NULL);
  for (int i = 0; i < 100; i++) {
    printf("buffered line %d\n", i);
  }
  fputs("no newline at the end", stdout);
  fprintf(stderr, "main returns 3\n");
  usleep(150000);
  return 3;
}
