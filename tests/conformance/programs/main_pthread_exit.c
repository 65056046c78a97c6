/* main_pthread_exit.c - main calls pthread_exit while other threads sleep: they finish, their output appears, the status is 0. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void at_exit_handler(void) { printf("atexit handler ran\n"); }

static void *sleeper(void *arg) {
  intptr_t i = (intptr_t)arg;
  usleep((useconds_t)(100000 + 50000 * i)); /* finish in order */
  printf("sleeper %ld done\n", (long)i);
  return NULL;
}

int main(void) {
  alarm(20);
  atexit(at_exit_handler);
  for (intptr_t i = 0; i < 4; i++) {
    pthread_t thread;
    pthread_create(&thread, NULL, sleeper, (void *)i);
  }
  printf("main leaves with pthread_exit\n");
  pthread_exit(NULL);
}
