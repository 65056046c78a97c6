/* deadlock_join_cycle.c - a thread joins main while main joins it: both wait for ever (glibc hangs too). */
#include <pthread.h>
#include <stdio.h>

static pthread_t main_thread;

static void *join_main(void *arg) {
  pthread_join(main_thread, NULL);
  return arg;
}

int main(void) {
  main_thread = pthread_self();
  pthread_t thread;
  pthread_create(&thread, NULL, join_main, NULL);
  printf("joining\n");
  fflush(stdout);
  pthread_join(thread, NULL);
  printf("not reached\n");
  return 0;
}
