/* div_after_fork.c - fork() while another thread runs a pthread_once() initializer: does the child's pthread_once() on that control run it again? */
/* sprig: own-test */
/* The divergence sprig(7) lists ("After fork()"): under sprig the child's
 * pthread_once() waits for ever for an initializer that runs in no thread of
 * the child (here until the child's 1 s alarm). test_divergences.py checks
 * the result. A vfork() child is proc_vfork_child.c, equal to native. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_runs;
static atomic_int init_running; /* the first initializer has started */
static atomic_int init_may_end; /* ... and may return (set after the fork) */

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

static void slow_init(void) {
  init_runs++;
  atomic_store(&init_running, 1);
  wait_for(&init_may_end);
}

static void *run_once(void *arg) {
  pthread_once(&once, slow_init);
  return arg;
}

static void fork_during_once(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, run_once, NULL);
  wait_for(&init_running);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    alarm(1);
    atomic_store(&init_may_end, 1); /* an initializer the child runs returns at once */
    pthread_once(&once, slow_init);
    _exit(init_runs == 2 ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  atomic_store(&init_may_end, 1);
  pthread_join(thread, NULL);
  printf("the child's pthread_once() on a control whose initializer ran at fork: %s\n",
         WIFEXITED(status) && WEXITSTATUS(status) == 0        ? "ran the initializer again"
         : WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? "waited until its alarm"
                                                              : "failed");
}

int main(void) {
  alarm(20);
  fork_during_once();
  return 0;
}
