/* deadlock_cond.c - a thread waits on a condition variable nobody signals; main joins it. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nobody_signals = PTHREAD_COND_INITIALIZER;

static void *wait_for_ever(void *arg) {
  pthread_setname_np(pthread_self(), "forgotten");
  pthread_mutex_lock(&mutex);
  pthread_cond_wait(&nobody_signals, &mutex);
  pthread_mutex_unlock(&mutex);
  return arg;
}

int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, wait_for_ever, NULL);
  printf("cond %p\n", (void *)&nobody_signals);
  fflush(stdout);
  pthread_join(thread, NULL);
  printf("not reached\n");
  return 0;
}
