/* thread_exit_value.c - pthread_exit from a nested call inside a thread hands its value to pthread_join; code after it never runs. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static int after_exit_ran;

static void leave_deep(int depth, intptr_t value) {
  if (depth == 0) {
    pthread_exit((void *)value);
  }
  leave_deep(depth - 1, value);
  after_exit_ran = 1;
}

static void *worker(void *arg) {
  usleep(100000);
  leave_deep(10, (intptr_t)arg + 1000);
  after_exit_ran = 1;
  return (void *)-1;
}

static int static_value = 42;

static void *exit_with_pointer(void *arg) {
  (void)arg;
  usleep(50000);
  pthread_exit(&static_value);
}

int main(void) {
  alarm(20);
  pthread_t threads[5];
  for (intptr_t i = 0; i < 5; i++) {
    pthread_create(&threads[i], NULL, worker, (void *)i);
  }
  for (int i = 0; i < 5; i++) {
    void *value = NULL;
    pthread_join(threads[i], &value);
    printf("thread %d exited with %ld\n", i, (long)(intptr_t)value);
  }
  pthread_t pointer_thread;
  pthread_create(&pointer_thread, NULL, exit_with_pointer, NULL);
  void *value = NULL;
  pthread_join(pointer_thread, &value);
  printf("pointer value is &static_value: %s, *value = %d\n", value == &static_value ? "yes" : "no",
         *(int *)value);
  printf("code after pthread_exit ran: %s\n", after_exit_ran ? "yes" : "no");
  return 0;
}
