/* keys_basic.c - pthread keys: values per thread, destructors at thread exit (re-run while they set values, up to 4 rounds), delete/re-create, EINVAL for bad keys, EAGAIN when out of keys. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 6 };

static pthread_key_t value_key;
static pthread_key_t stubborn_key;
static atomic_long destructed_sum;
static atomic_int destructor_calls;
static atomic_int stubborn_calls;
static atomic_int own_values_intact;

static void destruct_value(void *value) {
  atomic_fetch_add(&destructed_sum, (long)(intptr_t)value);
  atomic_fetch_add(&destructor_calls, 1);
}

/* Sets its value again each time: glibc calls it PTHREAD_DESTRUCTOR_ITERATIONS times. */
static void destruct_stubborn(void *value) {
  atomic_fetch_add(&stubborn_calls, 1);
  pthread_setspecific(stubborn_key, value);
}

static void *worker(void *arg) {
  intptr_t mine = (intptr_t)arg;
  int intact = pthread_getspecific(value_key) == NULL;
  pthread_setspecific(value_key, (void *)mine);
  for (int i = 0; i < 5; i++) {
    usleep(5000); /* others set theirs meanwhile */
    intact &= pthread_getspecific(value_key) == (void *)mine;
  }
  atomic_fetch_add(&own_values_intact, intact);
  if (mine == 1) {
    pthread_setspecific(stubborn_key, (void *)1);
  }
  if (mine == 2) {
    pthread_setspecific(value_key, NULL); /* a null value has no destructor call */
  }
  return NULL;
}

int main(void) {
  alarm(20);
  printf("create: %s\n", strerror(pthread_key_create(&value_key, destruct_value)));
  printf("create: %s\n", strerror(pthread_key_create(&stubborn_key, destruct_stubborn)));
  printf("main's value before any set: %p\n", pthread_getspecific(value_key));
  pthread_setspecific(value_key, (void *)1000);

  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)(i + 1));
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("threads that kept their own value: %d of %d\n", atomic_load(&own_values_intact),
         kThreads);
  printf("destructor calls: %d, sum of their values: %ld\n", atomic_load(&destructor_calls),
         atomic_load(&destructed_sum));
  printf("calls of a destructor that sets its value again: %d\n", atomic_load(&stubborn_calls));
  printf("main's value kept: %s\n", pthread_getspecific(value_key) == (void *)1000 ? "yes" : "no");

  printf("delete: %s\n", strerror(pthread_key_delete(value_key)));
  printf("delete again: %s\n", strerror(pthread_key_delete(value_key)));
  printf("setspecific on a deleted key: %s\n", strerror(pthread_setspecific(value_key, &threads)));
  printf("getspecific on a deleted key: %p\n", pthread_getspecific(value_key));
  pthread_key_t again;
  pthread_key_create(&again, NULL);
  printf("a re-created key starts empty: %s\n", pthread_getspecific(again) == NULL ? "yes" : "no");
  printf("setspecific 5000: %s\n", strerror(pthread_setspecific(5000, &threads)));
  printf("getspecific 5000: %p\n", pthread_getspecific(5000));
  printf("delete 5000: %s\n", strerror(pthread_key_delete(5000)));
  printf("delete UINT_MAX: %s\n", strerror(pthread_key_delete(UINT_MAX)));

  int created = 0;
  int rc = 0;
  pthread_key_t key;
  while (created < 5000 && (rc = pthread_key_create(&key, NULL)) == 0) {
    created++;
  }
  printf("keys created until it failed: %d more (%s)\n", created, strerror(rc));
  printf("PTHREAD_KEYS_MAX: %d\n", PTHREAD_KEYS_MAX);
  return 0;
}
