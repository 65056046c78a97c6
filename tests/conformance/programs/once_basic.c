/* once_basic.c - pthread_once runs its initializer once; callers that come while it runs wait until it has returned (parking only themselves), later ones return at once; a control done before main stays done. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

enum { kLatecomers = 8 };

static pthread_once_t slow_once = PTHREAD_ONCE_INIT;
static pthread_once_t early_once = PTHREAD_ONCE_INIT;
static atomic_int slow_runs;
static atomic_int slow_done;
static atomic_int early_runs;
static atomic_int saw_done;
static atomic_int ticks;
static atomic_int stop;

static void slow_init(void) {
  atomic_fetch_add(&slow_runs, 1);
  int start = atomic_load(&ticks);
  usleep(300000); /* the runner itself waits inside the initializer */
  /* ... until the witness has ticked 20 times since it began (at most 10 s,
   * so a loaded machine only slows it) */
  for (int i = 0; i < 1000 && atomic_load(&ticks) - start < 20; i++) {
    usleep(10000);
  }
  atomic_store(&slow_done, 1);
}

static void early_init(void) { atomic_fetch_add(&early_runs, 1); }

__attribute__((constructor)) static void before_main(void) { pthread_once(&early_once, early_init); }

static void *caller(void *arg) {
  (void)arg;
  pthread_once(&slow_once, slow_init);
  atomic_fetch_add(&saw_done, atomic_load(&slow_done));
  pthread_once(&early_once, early_init);
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

int main(void) {
  alarm(20);
  pthread_t witness_thread, threads[kLatecomers];
  pthread_create(&witness_thread, NULL, witness, NULL);
  usleep(20000);
  int before = atomic_load(&ticks);
  for (int i = 0; i < kLatecomers; i++) {
    pthread_create(&threads[i], NULL, caller, NULL);
  }
  for (int i = 0; i < kLatecomers; i++) {
    pthread_join(threads[i], NULL);
  }
  int during = atomic_load(&ticks) - before;
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  printf("slow initializer runs: %d\n", atomic_load(&slow_runs));
  printf("callers that returned only after it finished: %d of %d\n", atomic_load(&saw_done),
         kLatecomers);
  printf("witness ran while they waited: %s\n", during >= 20 ? "yes" : "no");
  printf("#nocompare ticks during the wait: %d\n", during);

  pthread_once(&slow_once, slow_init);
  printf("slow initializer runs after another call: %d\n", atomic_load(&slow_runs));
  printf("initializer run before main, runs after calls from threads: %d\n",
         atomic_load(&early_runs));

  /* a once_control in dynamic memory, set to PTHREAD_ONCE_INIT */
  pthread_once_t dynamic = PTHREAD_ONCE_INIT;
  for (int i = 0; i < 3; i++) {
    pthread_once(&dynamic, early_init);
  }
  printf("a fresh control runs it once more: %d\n", atomic_load(&early_runs));
  return 0;
}
