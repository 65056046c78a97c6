/* proc_wait_any.c - waits for any child: wait(), waitpid(-1), wait4(-1) with rusage, WNOHANG, waitpid(0), five threads in wait() at once, ECHILD; system() and popen() read and write, as natively. */
/* Not "green": sprig runs waits for any child on libuv's thread pool. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

static pid_t spawn(int delay_ms, int code) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep((useconds_t)delay_ms * 1000);
    _exit(code);
  }
  return child;
}

static int index_of(const pid_t *pids, int count, pid_t pid) {
  for (int i = 0; i < count; i++) {
    if (pids[i] == pid) {
      return i;
    }
  }
  return -1;
}

static void *wait_any(void *arg) {
  int *code = arg;
  int status = 0;
  pid_t pid = wait(&status);
  *code = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t witness_thread;
  pthread_create(&witness_thread, NULL, witness, NULL);

  /* wait(): three children, reaped in the order they end. */
  pid_t pids[3] = {spawn(90, 5), spawn(30, 3), spawn(60, 4)};
  int status = 0;
  printf("waitpid(-1, WNOHANG) while they run: %d\n", waitpid(-1, &status, WNOHANG));
  int before = atomic_load(&ticks);
  for (int i = 0; i < 3; i++) {
    pid_t pid = wait(&status);
    printf("wait: child %d exited %d\n", index_of(pids, 3, pid), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  int during = atomic_load(&ticks) - before;
  printf("witness ticked during the waits: %s\n", during >= 5 ? "yes" : "no");
  printf("#nocompare ticks during the waits: %d\n", during);

  /* waitpid(-1) and waitpid(0). */
  pid_t a = spawn(20, 7);
  pid_t pid = waitpid(-1, &status, 0);
  printf("waitpid(-1): %s, exit %d\n", pid == a ? "the child" : "wrong", WEXITSTATUS(status));
  a = spawn(20, 8);
  pid = waitpid(0, &status, 0);
  printf("waitpid(0): %s, exit %d\n", pid == a ? "the child" : "wrong", WEXITSTATUS(status));

  /* wait4(-1) with rusage. */
  fflush(stdout);
  a = fork();
  if (a == 0) {
    volatile unsigned long spin = 0;
    for (unsigned long i = 0; i < 20000000; i++) {
      spin += i;
    }
    _exit(9);
  }
  struct rusage usage;
  memset(&usage, 0, sizeof usage);
  pid = wait4(-1, &status, 0, &usage);
  printf("wait4(-1): %s, exit %d, rusage has CPU time: %s\n", pid == a ? "the child" : "wrong", WEXITSTATUS(status),
         usage.ru_utime.tv_sec > 0 || usage.ru_utime.tv_usec > 0 ? "yes" : "no");

  /* Five children, then five threads in wait() at once (wait() with no child yet would fail). */
  for (int i = 0; i < 5; i++) {
    spawn(50 + 15 * i, 20 + i);
  }
  pthread_t waiters[5];
  int codes[5];
  for (int i = 0; i < 5; i++) {
    pthread_create(&waiters[i], NULL, wait_any, &codes[i]);
  }
  int seen = 0;
  for (int i = 0; i < 5; i++) {
    pthread_join(waiters[i], NULL);
    if (codes[i] >= 20 && codes[i] < 25) {
      seen |= 1 << (codes[i] - 20);
    }
  }
  printf("five threads in wait(): every child reaped once: %s\n", seen == 0x1f ? "yes" : "no");

  /* ECHILD. */
  errno = 0;
  pid = wait(&status);
  printf("wait with no children: %d %s\n", pid, errno == ECHILD ? "ECHILD" : strerror(errno));
  errno = 0;
  pid = waitpid(pids[0], &status, 0);
  printf("waitpid on a reaped child: %d %s\n", pid, errno == ECHILD ? "ECHILD" : strerror(errno));
  errno = 0;
  pid = waitpid(-1, &status, WNOHANG);
  printf("waitpid(-1, WNOHANG) with no children: %d %s\n", pid, errno == ECHILD ? "ECHILD" : strerror(errno));
  errno = 0;
  pid = waitpid(0x3ffffff0, &status, 0);
  printf("waitpid on a pid that does not exist: %d %s\n", pid, errno == ECHILD ? "ECHILD" : strerror(errno));

  /* system(). */
  fflush(stdout);
  status = system("exit 3");
  printf("system(\"exit 3\"): exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  status = system("kill -TERM $$");
  printf("system(\"kill -TERM $$\"): signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
  printf("system(NULL): %s\n", system(NULL) != 0 ? "a shell" : "none");

  /* popen(). */
  FILE *pipe_in = popen("echo hi; echo there", "r");
  char line[64];
  int lines = 0;
  while (fgets(line, sizeof line, pipe_in) != NULL && lines < 10) {
    printf("popen read: %s", line);
    lines++;
  }
  status = pclose(pipe_in);
  printf("pclose: exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  pipe_in = popen("exit 5", "r");
  status = pclose(pipe_in);
  printf("pclose of \"exit 5\": exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  fflush(stdout);
  FILE *pipe_out = popen("tr a-z A-Z", "w");
  fputs("written through popen\n", pipe_out);
  status = pclose(pipe_out);
  printf("pclose of tr: exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  return 0;
}
