/* proc_exit_after_pool.c - exit() is prompt while a thread waits for any child, and a forked child exits cleanly after its parent waited for any child, as natively. */
/* Not "green": sprig runs waits for any child on libuv's thread pool. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void *wait_for_any_child(void *arg) {
  (void)arg;
  int status = 0;
  wait(&status);
  return NULL;
}

/* Has a child that lives until this process is gone (it reads a pipe whose
   write end only this process holds), waits for it in another thread, and
   exits from main 100 ms later. */
static void exit_while_waiting(void) {
  int gone[2];
  if (pipe(gone) != 0) {
    _exit(90);
  }
  pid_t child = fork();
  if (child == 0) {
    close(gone[1]);
    char byte;
    ssize_t got = read(gone[0], &byte, 1);
    _exit(got == 0 ? 0 : 91);
  }
  close(gone[0]);
  pthread_t waiter;
  pthread_create(&waiter, NULL, wait_for_any_child, NULL);
  usleep(100000);
  exit(0);
}

static const char *describe(int status) {
  static char text[64];
  if (WIFEXITED(status)) {
    snprintf(text, sizeof text, "exited %d", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    snprintf(text, sizeof text, "killed by signal %d", WTERMSIG(status));
  } else {
    snprintf(text, sizeof text, "status %#x", status);
  }
  return text;
}

int main(void) {
  alarm(20);
  int status = 0;

  /* A wait for any child (it starts sprig's thread pool), then a fork whose
     child only runs its exit handlers. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    _exit(4);
  }
  pid_t reaped = wait(&status);
  printf("wait for any child: %s, %s\n", reaped == child ? "the child" : "wrong", describe(status));
  for (int round = 0; round < 2; round++) {
    fflush(stdout);
    child = fork();
    if (child == 0) {
      exit(5 + round);
    }
    waitpid(child, &status, 0);
    printf("forked child %d after the wait, exit(): %s\n", round, describe(status));
  }

  /* exit() while another thread waits for a child that outlives the exit. */
  fflush(stdout);
  double started = now_seconds();
  pid_t middle = fork();
  if (middle == 0) {
    exit_while_waiting();
  }
  waitpid(middle, &status, 0);
  double seconds = now_seconds() - started;
  printf("exit() while a thread waits for any child: %s, within 2 s: %s\n", describe(status),
         seconds < 2.0 ? "yes" : "no");
  printf("#nocompare exit took %.3f s\n", seconds);
  return 0;
}
