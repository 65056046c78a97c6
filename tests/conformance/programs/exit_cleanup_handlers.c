/* exit_cleanup_handlers.c - pthread_exit runs the pthread_cleanup_push handlers of every frame it leaves, innermost first, then the key destructors; pop(1) runs a handler, pop(0) does not; main's pthread_exit runs main's handlers. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_key_t key;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *who, const char *what) {
  pthread_mutex_lock(&print_lock);
  printf("%s: %s\n", who, what);
  fflush(stdout);
  pthread_mutex_unlock(&print_lock);
}

static void handler(void *text) { say("handler", text); }
static void key_destructor(void *value) { say("key destructor", value); }

static void innermost(const char *name) {
  pthread_cleanup_push(handler, "innermost");
  usleep(20000); /* parks mid-way, as a real thread would */
  say(name, "exiting from innermost");
  pthread_exit((void *)(intptr_t)7);
  pthread_cleanup_pop(0);
}

static void middle(const char *name) {
  pthread_cleanup_push(handler, "middle, first");
  pthread_cleanup_push(handler, "middle, second");
  innermost(name);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
}

static void *exiting_thread(void *name) {
  pthread_setspecific(key, "value of the exiting thread");
  pthread_cleanup_push(handler, "outermost");
  middle(name);
  pthread_cleanup_pop(0);
  return NULL;
}

static void *popping_thread(void *arg) {
  (void)arg;
  pthread_cleanup_push(handler, "popped with 1, runs");
  pthread_cleanup_push(handler, "popped with 0, never runs");
  usleep(10000);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(1);
  return (void *)(intptr_t)3;
}

/* Two threads whose buffers are registered at the same time (on one OS
 * thread under sprig): each exit runs only its own thread's handler. */
static char interleaved_log[64];
static void log_handler(void *name) { strcat(interleaved_log, name); }

static void *interleaved(void *arg) {
  const char *name = arg;
  pthread_cleanup_push(log_handler, arg);
  usleep(name[0] == 'B' ? 10000 : 40000);
  if (name[0] == 'B') {
    pthread_exit(NULL);
  }
  pthread_cleanup_pop(0);
  return NULL;
}

static void main_handler(void *arg) {
  (void)arg;
  say("main handler", "ran before main's thread ended");
}

int main(void) {
  alarm(20);
  pthread_key_create(&key, key_destructor);
  pthread_t exiting, popping;
  pthread_create(&exiting, NULL, exiting_thread, "thread A");
  void *result = NULL;
  pthread_join(exiting, &result);
  printf("thread A joined with %ld\n", (long)(intptr_t)result);
  pthread_create(&popping, NULL, popping_thread, NULL);
  pthread_join(popping, &result);
  printf("popping thread joined with %ld\n", (long)(intptr_t)result);
  pthread_t b, c;
  pthread_create(&b, NULL, interleaved, "B");
  pthread_create(&c, NULL, interleaved, "C");
  pthread_join(b, NULL);
  pthread_join(c, NULL);
  printf("interleaved: handlers that ran: [%s]\n", interleaved_log);
  fflush(stdout);
  pthread_cleanup_push(main_handler, NULL);
  pthread_exit(NULL);
  pthread_cleanup_pop(0);
  return 1;
}
