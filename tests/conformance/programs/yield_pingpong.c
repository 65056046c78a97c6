/* yield_pingpong.c - sched_yield: strict turn-taking between two threads, and a free-running yield loop (order-independent checksum). */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

enum { kRounds = 200, kSpinLimit = 10000000 };

static atomic_int turn;
static char log_line[2 * kRounds + 1];
static atomic_int log_length;
static atomic_int gave_up;

static void *player(void *arg) {
  int me = (int)(intptr_t)arg;
  usleep(100000);
  for (int round = 0; round < kRounds; round++) {
    int spins = 0;
    while (atomic_load(&turn) != me) {
      sched_yield();
      if (++spins > kSpinLimit) {
        atomic_store(&gave_up, 1);
        return NULL;
      }
    }
    log_line[atomic_fetch_add(&log_length, 1)] = me == 0 ? 'i' : 'o';
    atomic_store(&turn, 1 - me);
  }
  return NULL;
}

static atomic_ulong checksum;

static void *free_runner(void *arg) {
  unsigned long id = (unsigned long)(uintptr_t)arg;
  usleep(100000);
  for (unsigned long i = 0; i < 1000; i++) {
    if (sched_yield() != 0) {
      return NULL;
    }
    atomic_fetch_add(&checksum, id * 1000003UL + i);
  }
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t a, b;
  pthread_create(&a, NULL, player, (void *)(intptr_t)0);
  pthread_create(&b, NULL, player, (void *)(intptr_t)1);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  int alternates = 1;
  for (int i = 0; i < atomic_load(&log_length); i++) {
    alternates &= log_line[i] == (i % 2 == 0 ? 'i' : 'o');
  }
  printf("ping-pong: %d turns, strictly alternating: %s, gave up: %s\n", atomic_load(&log_length),
         alternates ? "yes" : "no", atomic_load(&gave_up) ? "yes" : "no");

  pthread_t runners[8];
  for (uintptr_t i = 0; i < 8; i++) {
    pthread_create(&runners[i], NULL, free_runner, (void *)i);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(runners[i], NULL);
  }
  printf("free-running yields checksum: %lu\n", atomic_load(&checksum));
  printf("sched_yield from main: %d\n", sched_yield());
  return 0;
}
