/* trace_workers.c - six named threads that take turns on a mutex and sleep between turns: the
 * program behind docs/trace-example.png (SPRIG_TRACE=trace.json scripts/sprig
 * build/demo/trace_workers). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg) {
  long id = (long)arg;
  char name[16];
  snprintf(name, sizeof name, "worker-%ld", id);
  pthread_setname_np(pthread_self(), name);
  for (int round = 0; round < 4; round++) {
    pthread_mutex_lock(&lock);
    for (volatile int spin = 0; spin < 200000; spin++) {
    }
    usleep(1000);
    pthread_mutex_unlock(&lock);
    usleep(2000 * (useconds_t)(id + 1));
  }
  return NULL;
}

int main(void) {
  pthread_t threads[6];
  for (long i = 0; i < 6; i++) {
    pthread_create(&threads[i], NULL, work, (void *)i);
  }
  for (int i = 0; i < 6; i++) {
    pthread_join(threads[i], NULL);
  }
  puts("six workers done");
  return 0;
}
