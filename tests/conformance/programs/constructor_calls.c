/* constructor_calls.c - interposed calls made by a constructor before main (no worker yet) go to libc and work. */
/* sprig: green */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int before_main_result;

static void *add_one(void *arg) { return (void *)((long)arg + 1); }

__attribute__((constructor)) static void before_main(void) {
  usleep(1000);
  pthread_t thread;
  void *value = NULL;
  if (pthread_create(&thread, NULL, add_one, (void *)41) == 0 && pthread_join(thread, &value) == 0) {
    before_main_result = (int)(long)value;
  }
}

static void *sleeper(void *arg) {
  usleep(20000);
  return arg;
}

int main(void) {
  alarm(20);
  printf("constructor computed %d\n", before_main_result);
  pthread_t threads[4];
  for (long i = 0; i < 4; i++) {
    pthread_create(&threads[i], NULL, sleeper, (void *)i);
  }
  long sum = 0;
  for (int i = 0; i < 4; i++) {
    void *value = NULL;
    pthread_join(threads[i], &value);
    sum += (long)value;
  }
  printf("main joined %ld\n", sum);
  return 0;
}
