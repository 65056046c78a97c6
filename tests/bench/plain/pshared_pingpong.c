/* pshared_pingpong.c - two processes take turns through process-shared objects: a mutex and
 * condition variable, then two semaphores (sem_init with pshared). An ordinary program, run
 * natively and under LD_PRELOAD=libsprig.so.
 *
 * usage: pshared_pingpong [ROUNDS]
 * Prints "rounds=N cond_us=C sem_us=S": the microseconds per round trip of each. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
  pthread_mutex_t mutex;
  pthread_cond_t turned;
  int turn;
  sem_t to_child;
  sem_t to_parent;
};

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void take_turns(struct shared *shared, int me, int rounds) {
  for (int i = 0; i < rounds; i++) {
    pthread_mutex_lock(&shared->mutex);
    while (shared->turn != me) {
      pthread_cond_wait(&shared->turned, &shared->mutex);
    }
    shared->turn = !me;
    pthread_cond_signal(&shared->turned);
    pthread_mutex_unlock(&shared->mutex);
  }
}

static void bounce(struct shared *shared, int child, int rounds) {
  for (int i = 0; i < rounds; i++) {
    if (child) {
      sem_wait(&shared->to_child);
      sem_post(&shared->to_parent);
    } else {
      sem_post(&shared->to_child);
      sem_wait(&shared->to_parent);
    }
  }
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 5000;
  alarm(120);
  struct shared *shared =
      mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED || rounds <= 0) {
    return 1;
  }
  pthread_mutexattr_t mutex_attr;
  pthread_mutexattr_init(&mutex_attr);
  pthread_mutexattr_setpshared(&mutex_attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&shared->mutex, &mutex_attr);
  pthread_condattr_t cond_attr;
  pthread_condattr_init(&cond_attr);
  pthread_condattr_setpshared(&cond_attr, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&shared->turned, &cond_attr);
  sem_init(&shared->to_child, 1, 0);
  sem_init(&shared->to_parent, 1, 0);

  double start = seconds_now();
  pid_t child = fork();
  take_turns(shared, child == 0, rounds);
  if (child == 0) {
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  double turns_done = seconds_now();
  child = fork();
  bounce(shared, child == 0, rounds);
  if (child == 0) {
    _exit(0);
  }
  int bounce_status = 0;
  waitpid(child, &bounce_status, 0);
  double bounces_done = seconds_now();
  if (status != 0 || bounce_status != 0) {
    return 1;
  }
  printf("rounds=%d cond_us=%.2f sem_us=%.2f\n", rounds, (turns_done - start) / rounds * 1e6,
         (bounces_done - turns_done) / rounds * 1e6);
  return 0;
}
