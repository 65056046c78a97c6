/* once_interleaved.c - two initializers that wait inside, on two controls, overlap and finish in the order they started (not nested); then longjmp (which walks glibc's per-thread cleanup list) and pthread_once again run nothing twice. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static pthread_once_t first_once = PTHREAD_ONCE_INIT;
static pthread_once_t second_once = PTHREAD_ONCE_INIT;
static atomic_int first_runs;
static atomic_int second_runs;
static char order[8];
static atomic_int finished;
static atomic_int first_started; /* the first initializer runs */

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

static void first_init(void) {
  atomic_fetch_add(&first_runs, 1);
  atomic_store(&first_started, 1);
  usleep(100000); /* started first, finishes first, while the second still runs */
  order[atomic_fetch_add(&finished, 1)] = '1';
}

static void second_init(void) {
  atomic_fetch_add(&second_runs, 1);
  usleep(300000);
  /* the first ends first however slowly a loaded machine runs it, unless it
   * must wait for this one to end (nested): then this one gives up after 10 s */
  wait_for(&finished);
  order[atomic_fetch_add(&finished, 1)] = '2';
}

static void *run_first(void *arg) {
  (void)arg;
  pthread_once(&first_once, first_init);
  return NULL;
}

static void *run_second(void *arg) {
  (void)arg;
  wait_for(&first_started); /* the second starts while the first runs */
  pthread_once(&second_once, second_init);
  return NULL;
}

/* glibc's own (exported, undeclared): the cleanup list that pthread_once and longjmp use. */
extern void _pthread_cleanup_push(struct _pthread_cleanup_buffer *buffer, void (*routine)(void *),
                                  void *arg);
extern void _pthread_cleanup_pop(struct _pthread_cleanup_buffer *buffer, int execute);

static int cleanup_list_empty(void) {
  struct _pthread_cleanup_buffer probe;
  _pthread_cleanup_push(&probe, NULL, NULL);
  int empty = probe.__prev == NULL;
  _pthread_cleanup_pop(&probe, 0);
  return empty;
}

static jmp_buf jump;

static volatile int jump_at = 0;

static void jump_back(int depth) {
  if (depth == jump_at) {
    longjmp(jump, 1);
  }
  if (depth > 0) {
    jump_back(depth - 1);
  }
}

static void *jumper(void *arg) {
  (void)arg;
  int jumps = 0;
  for (int i = 0; i < 3; i++) {
    if (setjmp(jump) == 0) {
      jump_back(5);
    }
    jumps++;
  }
  return (void *)(intptr_t)jumps;
}

int main(void) {
  alarm(20);
  pthread_t first, second, third;
  pthread_create(&first, NULL, run_first, NULL);
  pthread_create(&second, NULL, run_second, NULL);
  pthread_join(first, NULL);
  pthread_join(second, NULL);
  printf("finished in the order: %s\n", order);
  printf("this thread's cleanup list is empty: %s\n", cleanup_list_empty() ? "yes" : "no");

  void *jumps;
  if (setjmp(jump) == 0) {
    jump_back(3);
  }
  pthread_create(&third, NULL, jumper, NULL);
  pthread_join(third, &jumps);
  printf("longjmps that came back: main 1, a thread %ld\n", (long)(intptr_t)jumps);
  pthread_once(&first_once, first_init);
  pthread_once(&second_once, second_init);
  printf("initializer runs: first %d, second %d\n", atomic_load(&first_runs),
         atomic_load(&second_runs));
  return 0;
}
