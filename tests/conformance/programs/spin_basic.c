/* spin_basic.c - pthread spinlocks: trylock EBUSY, mutual exclusion with holders that sleep inside, and a thread waiting for a held spinlock does not stop the others (its holder may be asleep). */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 8, kIncrements = 200 };

static pthread_spinlock_t lock;
static long counter;
static int inside;
static atomic_int overlaps;
static atomic_int ticks;
static atomic_int stop;
static atomic_int waiting; /* the waiter is about to ask for the held lock */

static void *incrementer(void *arg) {
  (void)arg;
  for (int i = 0; i < kIncrements; i++) {
    pthread_spin_lock(&lock);
    if (inside++ != 0) {
      atomic_fetch_add(&overlaps, 1);
    }
    long seen = counter;
    if (i % 50 == 0) {
      usleep(1000); /* the holder sleeps while the others want the lock */
    }
    counter = seen + 1;
    inside--;
    pthread_spin_unlock(&lock);
  }
  return NULL;
}

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(10000);
  }
  return NULL;
}

static void *waiter(void *arg) {
  int *during = arg;
  int before = atomic_load(&ticks);
  atomic_store(&waiting, 1);
  pthread_spin_lock(&lock);
  *during = atomic_load(&ticks) - before;
  pthread_spin_unlock(&lock);
  return NULL;
}

int main(void) {
  alarm(20);
  printf("init: %s\n", strerror(pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE)));
  printf("trylock: %s\n", strerror(pthread_spin_trylock(&lock)));
  printf("trylock while held: %s\n", strerror(pthread_spin_trylock(&lock)));
  printf("unlock: %s\n", strerror(pthread_spin_unlock(&lock)));
  printf("lock: %s\n", strerror(pthread_spin_lock(&lock)));
  printf("unlock: %s\n", strerror(pthread_spin_unlock(&lock)));

  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, incrementer, NULL);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("counter: %ld of %d, overlaps: %d\n", counter, kThreads * kIncrements,
         atomic_load(&overlaps));

  /* main holds the lock, sleeping, until a waiter wants it and the witness has
   * ticked 10 times since (at most 10 s, so a loaded machine only slows it) */
  pthread_t witness_thread, waiter_thread;
  int during = 0;
  pthread_create(&witness_thread, NULL, witness, NULL);
  usleep(20000);
  pthread_spin_lock(&lock);
  pthread_create(&waiter_thread, NULL, waiter, &during);
  for (int i = 0; i < 5000 && !atomic_load(&waiting); i++) {
    usleep(1000);
  }
  int start = atomic_load(&ticks);
  for (int i = 0; i < 1000 && atomic_load(&ticks) - start < 10; i++) {
    usleep(10000);
  }
  pthread_spin_unlock(&lock);
  pthread_join(waiter_thread, NULL);
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  printf("witness ran while the waiter wanted the lock: %s\n", during >= 10 ? "yes" : "no");
  printf("#nocompare ticks during the wait: %d\n", during);
  printf("destroy: %s\n", strerror(pthread_spin_destroy(&lock)));
  return 0;
}
