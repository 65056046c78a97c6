/* proc_system_popen_threads.c - waitpid for a child blocks only its thread (a witness thread keeps ticking); then system() and popen() from four threads at once: each gets its own command's exit status and output lines. */
/* sprig: green pool */
/* Under sprig system() runs on libuv's pool ("pool": its OS threads are allowed), so the witness
 * ticks during a system("sleep 0.2") as natively. popen's reads and pclose() block the worker
 * (sprig(7), "Calls made inside libc are not interposed"); test_hard_cases.py shows both. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kCallers = 4 };

static atomic_int ticks;
static atomic_int stop;

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(5000);
  }
  return NULL;
}

struct caller {
  int id;
  int system_status;
  int popen_lines;
  int popen_lines_right;
  int pclose_status;
};

static void *call_commands(void *arg) {
  struct caller *caller = arg;
  char command[128];
  snprintf(command, sizeof command, "exit %d", 10 + caller->id);
  caller->system_status = system(command);
  snprintf(command, sizeof command, "echo popen %d line 1; echo popen %d line 2; exit %d", caller->id, caller->id,
           20 + caller->id);
  FILE *output = popen(command, "r");
  char line[64], expected[64];
  while (output != NULL && caller->popen_lines < 10 && fgets(line, sizeof line, output) != NULL) {
    caller->popen_lines++;
    snprintf(expected, sizeof expected, "popen %d line %d\n", caller->id, caller->popen_lines);
    caller->popen_lines_right += strcmp(line, expected) == 0;
  }
  caller->pclose_status = output != NULL ? pclose(output) : -1;
  return NULL;
}

static void *wait_for_child(void *arg) {
  int *code = arg;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep(200000);
    _exit(7);
  }
  int status = 0;
  pid_t waited = waitpid(child, &status, 0);
  *code = waited == child && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return NULL;
}

static void *system_sleep(void *arg) {
  *(int *)arg = system("sleep 0.2");
  return NULL;
}

/* popen of a command that answers after 0.2 s, read to the end in a thread. */
static void *popen_sleep(void *arg) {
  FILE *output = popen("sleep 0.2; echo late", "r");
  char line[64] = "";
  if (output != NULL && fgets(line, sizeof line, output) != NULL) {
    *(int *)arg = strcmp(line, "late\n") == 0;
  }
  if (output != NULL) {
    pclose(output);
  }
  return NULL;
}

static int exit_code(int status) { return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

int main(void) {
  alarm(20);
  pthread_t witness_thread;
  pthread_create(&witness_thread, NULL, witness, NULL);

  /* A thread blocked in waitpid: the others keep running. */
  int code = 0;
  pthread_t waiter;
  int before = atomic_load(&ticks);
  pthread_create(&waiter, NULL, wait_for_child, &code);
  pthread_join(waiter, NULL);
  int during = atomic_load(&ticks) - before;
  printf("waitpid in a thread: the child's exit code %d\n", code);
  printf("the witness ticked while that thread waited: %s\n", during >= 10 ? "yes" : "no");
  printf("#nocompare ticks during waitpid: %d\n", during);

  /* system() and popen() from four threads at once. */
  struct caller callers[kCallers];
  pthread_t threads[kCallers];
  memset(callers, 0, sizeof callers);
  fflush(stdout);
  for (int i = 0; i < kCallers; i++) {
    callers[i].id = i;
    pthread_create(&threads[i], NULL, call_commands, &callers[i]);
  }
  for (int i = 0; i < kCallers; i++) {
    pthread_join(threads[i], NULL);
    printf("thread %d: system exit %d, popen read %d lines (%d right), pclose exit %d\n", i,
           exit_code(callers[i].system_status), callers[i].popen_lines, callers[i].popen_lines_right,
           exit_code(callers[i].pclose_status));
  }

  /* system("sleep 0.2") in a thread: natively the witness ticks meanwhile. */
  int status = 0;
  pthread_t sleeper;
  before = atomic_load(&ticks);
  pthread_create(&sleeper, NULL, system_sleep, &status);
  pthread_join(sleeper, NULL);
  during = atomic_load(&ticks) - before;
  printf("system(\"sleep 0.2\") in a thread: exit %d\n", exit_code(status));
  printf("the witness ticked during system: %s\n", during >= 10 ? "yes" : "no");
  printf("#nocompare ticks during system: %d\n", during);

  /* A popen'ed command's late answer: natively the witness ticks meanwhile. */
  int answered = 0;
  before = atomic_load(&ticks);
  pthread_create(&sleeper, NULL, popen_sleep, &answered);
  pthread_join(sleeper, NULL);
  printf("popen(\"sleep 0.2; echo late\") in a thread: answer read %s\n", answered ? "yes" : "no");
  printf("#nocompare ticks during popen: %d\n", atomic_load(&ticks) - before);

  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  return 0;
}
