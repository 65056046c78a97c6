/* deadlock_lock_order.c - two threads take two mutexes in opposite orders and deadlock; main joins them: the process hangs. */
/* sprig: own-test */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;

static void *forward(void *arg) {
  pthread_mutex_lock(&first);
  usleep(50000);
  pthread_mutex_lock(&second); /* never succeeds */
  return arg;
}

static void *backward(void *arg) {
  pthread_mutex_lock(&second);
  usleep(50000);
  pthread_mutex_lock(&first); /* never succeeds */
  return arg;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, forward, NULL);
  pthread_create(&b, NULL, backward, NULL);
  printf("both threads started\n");
  fflush(stdout);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("not reached\n");
  return 0;
}
