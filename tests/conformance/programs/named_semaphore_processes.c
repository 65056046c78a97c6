/* named_semaphore_processes.c - a named semaphore (sem_open) used by two threads of one process; then posted once by this program and used by another program (this one run again without LD_PRELOAD): what each sees of the other's posts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The other program: looks at the value, takes a unit, posts two. */
static int other_program(const char *name) {
  sem_t *semaphore = sem_open(name, 0);
  if (semaphore == SEM_FAILED) {
    return 2;
  }
  int value = -1;
  sem_getvalue(semaphore, &value);
  printf("the other program sees the post: %s\n", value == 1 ? "yes" : "no");
  fflush(stdout);
  sem_trywait(semaphore);
  int first = sem_post(semaphore);
  int second = sem_post(semaphore);
  printf("the other program: sem_trywait, then sem_post %d and %d\n", first, second);
  return 0;
}

static void *wait_once(void *semaphore) { return (void *)(long)sem_wait(semaphore); }

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "other-program") == 0) {
    return other_program(argv[2]);
  }
  alarm(20);
  char name[64];
  snprintf(name, sizeof name, "/named_semaphore_processes.%d", (int)getpid());

  sem_t *local = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
  if (local == SEM_FAILED) {
    perror("sem_open");
    return 1;
  }
  pthread_t thread;
  pthread_create(&thread, NULL, wait_once, local);
  usleep(20000);
  sem_post(local);
  void *result = NULL;
  pthread_join(thread, &result);
  printf("one process: a thread's sem_wait gets main's sem_post: %s\n",
         result == NULL ? "yes" : "no");

  sem_post(local);
  int value = -1;
  sem_getvalue(local, &value);
  printf("this program: sem_post, sem_getvalue %d\n", value);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* an abort leaves no core file */
    unsetenv("LD_PRELOAD");
    execl(argv[0], argv[0], "other-program", name, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("the other program: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "exited 0"
                                    : WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
                                                          : "failed");
  sem_getvalue(local, &value);
  printf("this program: sem_getvalue %d\n", value);
  sem_close(local);
  sem_unlink(name);
  return 0;
}
