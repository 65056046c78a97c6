/* keys_before_main.c - a key created and set in a constructor before main: main sees the value (same thread), other threads start empty, and an exit handler after main returns still sees main's value. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_key_t early_key;
static int create_rc = -1;
static int set_rc = -1;
static char constructor_value[] = "set by the constructor";
static char main_value[] = "set by main";
static char thread_value[] = "set by a thread";
static char destructed[64] = "nothing";

static void destruct(void *value) { snprintf(destructed, sizeof destructed, "%s", (char *)value); }

__attribute__((constructor)) static void library_init(void) {
  create_rc = pthread_key_create(&early_key, destruct);
  set_rc = pthread_setspecific(early_key, constructor_value);
}

static void at_exit(void) {
  const char *value = pthread_getspecific(early_key);
  printf("exit handler sees: %s\n", value == NULL ? "NULL" : value);
  fflush(stdout);
}

static void *thread_main(void *arg) {
  (void)arg;
  const char *value = pthread_getspecific(early_key);
  printf("a thread starts with: %s\n", value == NULL ? "NULL" : value);
  printf("the thread sets its own: %s\n", strerror(pthread_setspecific(early_key, thread_value)));
  usleep(20000);
  value = pthread_getspecific(early_key);
  printf("the thread reads back: %s\n", value);
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("constructor: create %s, set %s\n", strerror(create_rc), strerror(set_rc));
  const char *value = pthread_getspecific(early_key);
  printf("main sees: %s\n", value == NULL ? "NULL" : value);
  pthread_t thread;
  pthread_create(&thread, NULL, thread_main, NULL);
  pthread_join(thread, NULL);
  printf("the thread's destructor got: %s\n", destructed);
  value = pthread_getspecific(early_key);
  printf("main still sees: %s\n", value == NULL ? "NULL" : value);
  pthread_setspecific(early_key, main_value);
  atexit(at_exit);
  return 0;
}
