/* div_before_main.c - a constructor keeps pthread_self() and sets the values of two keys that have destructors; main compares its pthread_self() with the kept one, then (in child processes) ends with pthread_exit() having touched no key, or having read one: which destructors run? */
/* sprig: own-test */
/* Divergences sprig(7) lists ("pthread_self() before main" and
 * "Thread-specific data set before main"): under sprig the constructor's
 * pthread_self() is the OS thread's, not green thread 1's, and main's green
 * thread takes over the constructor's values only at its first
 * pthread_getspecific() or pthread_setspecific(): without one, no destructor
 * runs at its pthread_exit(). test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_t constructor_self;
static pthread_key_t key1;
static pthread_key_t key2;

static void destroy(void *value) { printf("  destructor ran for %s\n", (const char *)value); }

__attribute__((constructor)) static void before_main(void) {
  constructor_self = pthread_self();
  if (pthread_key_create(&key1, destroy) != 0 || pthread_key_create(&key2, destroy) != 0) {
    abort();
  }
  pthread_setspecific(key1, "key 1's value");
  pthread_setspecific(key2, "key 2's value");
}

/* In a child process: reads key 1 or touches no key, then ends main
 * with pthread_exit(). */
static void end_with_pthread_exit(int read_one) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    if (read_one) {
      printf("  main reads: %s\n", (const char *)pthread_getspecific(key1));
    }
    pthread_exit(NULL);
  }
  waitpid(child, NULL, 0);
}

int main(void) {
  alarm(20);
  printf("pthread_self() in main equals the constructor's: %s\n",
         pthread_equal(pthread_self(), constructor_self) ? "yes" : "no");
  printf("main touches no key, then calls pthread_exit():\n");
  end_with_pthread_exit(0);
  printf("main reads one key, then calls pthread_exit():\n");
  end_with_pthread_exit(1);
  return 0;
}
