/* pshared_cond_barrier.c - process-shared condition variables and barriers used by threads of two processes: turn-taking through a condition variable, timed waits, a cancelled waiter, a barrier across both processes, and a witness thread that keeps ticking while main waits for the other process. */
/* sprig: green pool */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kTurns = 200, kBarrierRounds = 50 };

struct shared {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  pthread_cond_t monotonic;
  int turn; /* whose turn: 0 this process, 1 the other */
  int exchanges;
  int stage;
  pthread_barrier_t barrier;
  int serial_count;
  int arrivals[kBarrierRounds];
};

static struct shared *shm;
static atomic_int ticks;
static atomic_int stop_witness;

static const char *name_of(int error) {
  switch (error) {
  case 0:
    return "0";
  case ETIMEDOUT:
    return "ETIMEDOUT";
  case EPERM:
    return "EPERM";
  }
  return "other";
}

static void *witness(void *arg) {
  while (!atomic_load(&stop_witness)) {
    usleep(2000);
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

static void take_turns(int me) {
  for (int i = 0; i < kTurns; i++) {
    pthread_mutex_lock(&shm->mutex);
    while (shm->turn != me) {
      pthread_cond_wait(&shm->changed, &shm->mutex);
    }
    shm->exchanges++;
    shm->turn = !me;
    pthread_cond_broadcast(&shm->changed);
    pthread_mutex_unlock(&shm->mutex);
  }
}

static void turn_taking(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    take_turns(1);
    _exit(0);
  }
  take_turns(0);
  waitpid(child, NULL, 0);
  printf("turns taken through a process-shared condition variable: %d of %d\n", shm->exchanges,
         2 * kTurns);
}

static struct timespec in_ms(clockid_t clock, long ms) {
  struct timespec when;
  clock_gettime(clock, &when);
  when.tv_nsec += ms * 1000000;
  while (when.tv_nsec >= 1000000000) {
    when.tv_sec++;
    when.tv_nsec -= 1000000000;
  }
  return when;
}

/* The other process sets stage 1 after 200 ms; main waits, a witness ticks. */
static void wait_while_witness_ticks(void) {
  shm->stage = 0;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep(200000);
    pthread_mutex_lock(&shm->mutex);
    shm->stage = 1;
    pthread_cond_signal(&shm->changed);
    pthread_mutex_unlock(&shm->mutex);
    _exit(0);
  }
  atomic_store(&ticks, 0);
  atomic_store(&stop_witness, 0);
  pthread_t watcher;
  pthread_create(&watcher, NULL, witness, NULL);
  pthread_mutex_lock(&shm->mutex);
  while (shm->stage == 0) {
    pthread_cond_wait(&shm->changed, &shm->mutex);
  }
  int ticked = atomic_load(&ticks);
  printf("woken by the other process; mutex held after the wait: %s\n",
         pthread_mutex_trylock(&shm->mutex) != 0 ? "yes" : "no");
  pthread_mutex_unlock(&shm->mutex);
  atomic_store(&stop_witness, 1);
  pthread_join(watcher, NULL);
  waitpid(child, NULL, 0);
  printf("the witness ticked while main waited: %s\n", ticked >= 10 ? "yes" : "no");

  pthread_mutex_lock(&shm->mutex);
  struct timespec soon = in_ms(CLOCK_REALTIME, 30);
  int rc = pthread_cond_timedwait(&shm->changed, &shm->mutex, &soon);
  printf("timedwait, nobody signals: %s, mutex held after: %s\n", name_of(rc),
         pthread_mutex_trylock(&shm->mutex) != 0 ? "yes" : "no");
  soon = in_ms(CLOCK_MONOTONIC, 30);
  rc = pthread_cond_timedwait(&shm->monotonic, &shm->mutex, &soon);
  printf("timedwait on a CLOCK_MONOTONIC variable: %s\n", name_of(rc));
  soon = in_ms(CLOCK_MONOTONIC, 30);
  rc = pthread_cond_clockwait(&shm->changed, &shm->mutex, CLOCK_MONOTONIC, &soon);
  printf("clockwait with CLOCK_MONOTONIC: %s\n", name_of(rc));
  pthread_mutex_unlock(&shm->mutex);
}

static atomic_int waiter_waiting;
static atomic_int cleanup_ran;

static void unlock_on_cancel(void *mutex) {
  atomic_store(&cleanup_ran, 1);
  pthread_mutex_unlock(mutex);
}

static void *cancelled_waiter(void *arg) {
  pthread_mutex_lock(&shm->mutex);
  pthread_cleanup_push(unlock_on_cancel, &shm->mutex);
  atomic_store(&waiter_waiting, 1);
  for (;;) {
    pthread_cond_wait(&shm->changed, &shm->mutex);
  }
  pthread_cleanup_pop(1);
  return arg;
}

static void cancel_a_waiter(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, cancelled_waiter, NULL);
  for (int i = 0; i < 5000 && !atomic_load(&waiter_waiting); i++) {
    usleep(1000);
  }
  /* The waiter unlocked the mutex when it began to wait: main can take it. */
  pthread_mutex_lock(&shm->mutex);
  pthread_mutex_unlock(&shm->mutex);
  pthread_cancel(thread);
  void *result = NULL;
  pthread_join(thread, &result);
  printf("a cancelled waiter: %s, its cleanup ran: %s\n",
         result == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "returned",
         atomic_load(&cleanup_ran) ? "yes" : "no");
  printf("the mutex is free after its cleanup: %s\n",
         pthread_mutex_trylock(&shm->mutex) == 0 ? "yes" : "no");
  pthread_mutex_unlock(&shm->mutex);
  printf("signal and broadcast with no waiter: %d %d\n", pthread_cond_signal(&shm->changed),
         pthread_cond_broadcast(&shm->changed));
}

static void *barrier_rounds(void *arg) {
  for (int round = 0; round < kBarrierRounds; round++) {
    __atomic_fetch_add(&shm->arrivals[round], 1, __ATOMIC_SEQ_CST);
    int rc = pthread_barrier_wait(&shm->barrier);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
      __atomic_fetch_add(&shm->serial_count, 1, __ATOMIC_SEQ_CST);
    } else if (rc != 0) {
      return (void *)1;
    }
    /* Past the barrier, everyone of this round has arrived. */
    if (__atomic_load_n(&shm->arrivals[round], __ATOMIC_SEQ_CST) != 3) {
      return (void *)1;
    }
  }
  return arg;
}

/* Two threads here and one in the other process meet 50 times. */
static void barrier_across_processes(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    _exit(barrier_rounds(NULL) == NULL ? 0 : 1);
  }
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) {
    pthread_create(&threads[i], NULL, barrier_rounds, NULL);
  }
  int failures = 0;
  for (int i = 0; i < 2; i++) {
    void *result;
    pthread_join(threads[i], &result);
    failures += result != NULL;
  }
  int status = 0;
  waitpid(child, &status, 0);
  failures += WEXITSTATUS(status) != 0;
  printf("barrier of 3 over 2 processes, %d rounds: %d serial threads, %d early leavers\n",
         kBarrierRounds, shm->serial_count, failures);
}

int main(void) {
  alarm(20);
  shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED) {
    return 1;
  }
  pthread_mutexattr_t mutex_attr;
  pthread_mutexattr_init(&mutex_attr);
  pthread_mutexattr_setpshared(&mutex_attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&shm->mutex, &mutex_attr);
  pthread_condattr_t cond_attr;
  pthread_condattr_init(&cond_attr);
  pthread_condattr_setpshared(&cond_attr, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&shm->changed, &cond_attr);
  pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
  pthread_cond_init(&shm->monotonic, &cond_attr);
  pthread_barrierattr_t barrier_attr;
  pthread_barrierattr_init(&barrier_attr);
  pthread_barrierattr_setpshared(&barrier_attr, PTHREAD_PROCESS_SHARED);
  pthread_barrier_init(&shm->barrier, &barrier_attr, 3);

  turn_taking();
  wait_while_witness_ticks();
  cancel_a_waiter();
  barrier_across_processes();
  printf("destroy: %d %d %d\n", pthread_cond_destroy(&shm->changed),
         pthread_cond_destroy(&shm->monotonic), pthread_barrier_destroy(&shm->barrier));
  return 0;
}
