/* next_pthread_create.c - a library that starts its threads through the pthread_create it finds with dlsym(RTLD_NEXT, ...), as jemalloc does for its background threads; they share a mutex with the program's threads. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count(void *arg) {
  long rounds = (long)arg;
  for (long i = 0; i < rounds; i++) {
    pthread_mutex_lock(&lock);
    counter++;
    usleep(200); /* held across a sleep: the others wait on the mutex */
    pthread_mutex_unlock(&lock);
    usleep(500);
  }
  return NULL;
}

/* The program's threads take the same mutex through this. */
void next_create_add(long amount) {
  pthread_mutex_lock(&lock);
  counter += amount;
  pthread_mutex_unlock(&lock);
}

/* Starts `threads` threads through the next pthread_create and joins them: 0, or where it failed. */
int next_create_run(int threads, long rounds) {
  create_fn create = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
  if (create == NULL) {
    return -1;
  }
  pthread_t started[32];
  for (int i = 0; i < threads && i < 32; i++) {
    if (create(&started[i], NULL, count, (void *)rounds) != 0) {
      return -2;
    }
  }
  for (int i = 0; i < threads && i < 32; i++) {
    pthread_join(started[i], NULL);
  }
  return 0;
}

long next_create_counter(void) {
  pthread_mutex_lock(&lock);
  long value = counter;
  pthread_mutex_unlock(&lock);
  return value;
}
