/* keys_main_exit.c - pthread_exit from main runs the destructors of main's values (one set before main, one set in main) while another thread goes on. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_key_t early_key;
static pthread_key_t main_key;
static char early_value[] = "the constructor's value";
static char main_value[] = "main's value";

static void destruct(void *value) { printf("destructor: %s\n", (char *)value); }

__attribute__((constructor)) static void library_init(void) {
  pthread_key_create(&early_key, destruct);
  pthread_setspecific(early_key, early_value);
}

static void *thread_main(void *arg) {
  (void)arg;
  usleep(100000);
  printf("the other thread ends after main's destructors ran\n");
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_key_create(&main_key, destruct);
  pthread_setspecific(main_key, main_value);
  pthread_t thread;
  pthread_create(&thread, NULL, thread_main, NULL);
  printf("main calls pthread_exit\n");
  pthread_exit(NULL);
}
