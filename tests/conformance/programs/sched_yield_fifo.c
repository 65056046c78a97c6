/* sched_yield_fifo.c - sched_yield under SCHED_FIFO gives the CPU to another process of the same priority: a parent and a child pinned to one CPU take turns, each yield letting the other count once. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRounds = 200 };

struct shared {
  atomic_int child_ticks;
  atomic_int child_ready;
  atomic_int stop;
};

static int realtime_on_cpu0(void) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  struct sched_param priority = {.sched_priority = 1};
  if (sched_setaffinity(0, sizeof one, &one) != 0) {
    return -1;
  }
  return sched_setscheduler(0, SCHED_FIFO, &priority);
}

int main(void) {
  alarm(20);
  struct shared *shared =
      mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  if (realtime_on_cpu0() != 0) {
    /* Without CAP_SYS_NICE both runs say so; CI runs as root. */
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
  /* The child inherited SCHED_FIFO and the CPU: it runs once the parent yields. */
  for (int tries = 0; tries < 1000 && !atomic_load(&shared->child_ready); ++tries) {
    sched_yield();
  }
  int advanced = 0;
  for (int round = 0; round < kRounds; ++round) {
    int before = atomic_load(&shared->child_ticks);
    sched_yield();
    advanced += atomic_load(&shared->child_ticks) != before;
  }
  atomic_store(&shared->stop, 1);
  int status = 0;
  waitpid(child, &status, 0);
  printf("child ready: %s\n", atomic_load(&shared->child_ready) ? "yes" : "no");
  printf("yields after which the child had counted: %s\n",
         advanced == kRounds ? "all" : advanced == 0 ? "none" : "some");
  printf("child exit status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
