/* once_recursive.c - an initializer that calls pthread_once on its own control hangs its thread forever (natively too); the other threads go on and the process exits normally. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int entered;
static atomic_int returned;
static atomic_int ticks;

static void init(void) {
  atomic_fetch_add(&entered, 1);
  pthread_once(&once, init); /* never returns */
  atomic_fetch_add(&returned, 1);
}

static void *runner(void *arg) {
  (void)arg;
  pthread_once(&once, init);
  atomic_fetch_add(&returned, 1);
  return NULL;
}

static void *ticker(void *arg) {
  (void)arg;
  for (int i = 0; i < 20; i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(10000);
  }
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t stuck, other;
  pthread_create(&stuck, NULL, runner, NULL);
  pthread_create(&other, NULL, ticker, NULL);
  pthread_join(other, NULL);
  printf("the other thread finished: %d ticks\n", atomic_load(&ticks));
  printf("initializer entered %d time(s), calls returned: %d\n", atomic_load(&entered),
         atomic_load(&returned));
  printf("the stuck thread is still running: %s\n",
         pthread_tryjoin_np(stuck, NULL) == EBUSY ? "yes" : "no");
  fflush(stdout);
  exit(0);
}
