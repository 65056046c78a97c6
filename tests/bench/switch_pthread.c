/* switch_pthread.c - cost of handing control between two pthreads: mutex+condvar, and a bare futex.
 *
 * usage: switch_pthread [HANDOFFS [pin|nopin]]
 *   defaults: 50000 handoffs, pin. Two threads take turns HANDOFFS times in
 *   all; every turn is one switch. "pin" keeps both on one CPU, so a turn is
 *   a real context switch (as a green-thread yield is), not a cross-CPU wake-up.
 * Prints
 *   figure=pthread_condvar_switch threads=2 ns=NS_PER_SWITCH switches=N
 *   figure=pthread_futex_switch threads=2 ns=NS_PER_SWITCH switches=N */
#define _GNU_SOURCE /* sched_getcpu, CPU_SET */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct pingpong {
  long turns_each;
  int pin_cpu; /* -1: no pinning */
  /* the condvar variant */
  pthread_mutex_t mutex;
  pthread_cond_t turn_changed;
  int turn;
  /* the futex variant */
  atomic_int futex_turn;
};

struct side {
  struct pingpong *game;
  int me;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin_to(int cpu) {
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
}

static void *condvar_side(void *arg) {
  struct side *side = arg;
  struct pingpong *game = side->game;
  pin_to(game->pin_cpu);
  for (long i = 0; i < game->turns_each; i++) {
    pthread_mutex_lock(&game->mutex);
    while (game->turn != side->me) {
      pthread_cond_wait(&game->turn_changed, &game->mutex);
    }
    game->turn = !side->me;
    pthread_cond_signal(&game->turn_changed);
    pthread_mutex_unlock(&game->mutex);
  }
  return NULL;
}

static void futex_wait(atomic_int *word, int expected) {
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_side(void *arg) {
  struct side *side = arg;
  struct pingpong *game = side->game;
  pin_to(game->pin_cpu);
  for (long i = 0; i < game->turns_each; i++) {
    while (atomic_load(&game->futex_turn) != side->me) {
      futex_wait(&game->futex_turn, !side->me);
    }
    atomic_store(&game->futex_turn, !side->me);
    futex_wake(&game->futex_turn);
  }
  return NULL;
}

/* Plays one game with `side_fn` on two threads; returns ns per switch, or -1. */
static double play(struct pingpong *game, void *(*side_fn)(void *)) {
  struct side sides[2] = {{game, 0}, {game, 1}};
  pthread_t threads[2];
  int64_t start = now_ns();
  for (int i = 0; i < 2; i++) {
    if (pthread_create(&threads[i], NULL, side_fn, &sides[i]) != 0) {
      return -1;
    }
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(threads[i], NULL);
  }
  return (double)(now_ns() - start) / (double)(2 * game->turns_each);
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a benchmark run */
  long handoffs = argc > 1 ? atol(argv[1]) : 50000;
  int pin = argc > 2 ? strcmp(argv[2], "nopin") != 0 : 1;
  if (handoffs < 2) {
    fprintf(stderr, "usage: %s [HANDOFFS [pin|nopin]] (HANDOFFS >= 2)\n", argv[0]);
    return 2;
  }
  struct pingpong game = {.turns_each = handoffs / 2, .pin_cpu = pin ? sched_getcpu() : -1};
  pthread_mutex_init(&game.mutex, NULL);
  pthread_cond_init(&game.turn_changed, NULL);

  double condvar_ns = play(&game, condvar_side);
  double futex_ns = play(&game, futex_side);
  if (condvar_ns < 0 || futex_ns < 0) {
    fprintf(stderr, "switch_pthread: pthread_create failed\n");
    return 1;
  }
  printf("figure=pthread_condvar_switch threads=2 ns=%.2f switches=%ld\n", condvar_ns,
         2 * game.turns_each);
  printf("figure=pthread_futex_switch threads=2 ns=%.2f switches=%ld\n", futex_ns,
         2 * game.turns_each);
  return 0;
}
