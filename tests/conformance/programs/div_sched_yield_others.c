/* div_sched_yield_others.c - sched_yield under SCHED_FIFO while another thread of the process is runnable: natively the CPU goes round every runnable thread of the priority, a spinning process's included; under sprig a green yield runs the other green thread and keeps the CPU. */
/* sprig: own-test */
/* Divergence sprig(7) lists ("sched_yield() keeps the CPU while other green
 * threads can run"); test_divergences.py checks both results. Two threads of
 * this process and a child process, all SCHED_FIFO priority 1 on CPU 0, each
 * yield in turn; each thread counts the yields after which the child had
 * counted. The threads start together from a barrier. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRounds = 100 };

struct shared {
  atomic_int child_ticks;
  atomic_int child_ready;
  atomic_int stop;
};

static struct shared *shared;
static pthread_barrier_t start;

static void *yielder(void *arg) {
  int *advanced = arg;
  pthread_barrier_wait(&start);
  for (int round = 0; round < kRounds; ++round) {
    int before = atomic_load(&shared->child_ticks);
    sched_yield();
    *advanced += atomic_load(&shared->child_ticks) != before;
  }
  return NULL;
}

static const char *how_many(int advanced) {
  return advanced >= kRounds - 1 ? "all, or all but the last" : advanced <= 1 ? "none, or only the last" : "some";
}

int main(void) {
  alarm(20);
  shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  struct sched_param priority = {.sched_priority = 1};
  if (shared == MAP_FAILED || sched_setaffinity(0, sizeof one, &one) != 0 ||
      sched_setscheduler(0, SCHED_FIFO, &priority) != 0) {
    printf("SCHED_FIFO on CPU 0: %s\n", strerror(errno));
    return 0;
  }
  pid_t child = fork();
  if (child == 0) {
    atomic_store(&shared->child_ready, 1);
    while (!atomic_load(&shared->stop)) {
      atomic_fetch_add(&shared->child_ticks, 1);
      sched_yield();
    }
    _exit(0);
  }
  for (int tries = 0; tries < 1000 && !atomic_load(&shared->child_ready); ++tries) {
    sched_yield(); /* main alone: the child runs */
  }
  pthread_barrier_init(&start, NULL, 2);
  int advanced[2] = {0, 0};
  pthread_t threads[2];
  for (int i = 0; i < 2; ++i) {
    pthread_create(&threads[i], NULL, yielder, &advanced[i]);
  }
  for (int i = 0; i < 2; ++i) {
    pthread_join(threads[i], NULL);
  }
  atomic_store(&shared->stop, 1);
  waitpid(child, NULL, 0);
  printf("child ready: %s\n", atomic_load(&shared->child_ready) ? "yes" : "no");
  for (int i = 0; i < 2; ++i) {
    printf("thread %d: yields after which the child had counted: %s\n", i, how_many(advanced[i]));
  }
  return 0;
}
