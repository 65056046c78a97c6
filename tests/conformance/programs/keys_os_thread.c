/* keys_os_thread.c - keys used by an OS thread started before main (not a green thread under sprig): its values are its own, its destructors run when it exits, and main can use the same key. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_key_t key;
static char early_thread_value[] = "the early thread's value";
static char main_value[] = "main's value";
static char destructed[64] = "nothing";
static char early_thread_saw[128];

static void destruct(void *value) { snprintf(destructed, sizeof destructed, "%s", (char *)value); }

static void *early_thread(void *arg) {
  (void)arg;
  const char *before = pthread_getspecific(key);
  int rc = pthread_setspecific(key, early_thread_value);
  const char *after = pthread_getspecific(key);
  snprintf(early_thread_saw, sizeof early_thread_saw, "before %s, set %s, after %s",
           before == NULL ? "NULL" : before, strerror(rc), after == NULL ? "NULL" : after);
  return NULL;
}

__attribute__((constructor)) static void library_init(void) {
  pthread_key_create(&key, destruct);
  pthread_t thread;
  pthread_create(&thread, NULL, early_thread, NULL);
  pthread_join(thread, NULL);
}

int main(void) {
  alarm(20);
  printf("the early thread saw: %s\n", early_thread_saw);
  printf("its destructor got: %s\n", destructed);
  const char *value = pthread_getspecific(key);
  printf("main starts with: %s\n", value == NULL ? "NULL" : value);
  printf("main sets: %s\n", strerror(pthread_setspecific(key, main_value)));
  printf("main reads back: %s\n", (char *)pthread_getspecific(key));
  printf("delete: %s\n", strerror(pthread_key_delete(key)));
  return 0;
}
