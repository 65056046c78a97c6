/* div_libc_internal_calls.c - calls glibc makes inside itself (stdio's read and write, system(), popen()/pclose(), a raw syscall()) each wait 250 ms for another process: does a witness thread keep ticking meanwhile? */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Calls made inside libc are not interposed"):
 * under sprig each of these calls blocks the worker, so the witness stops;
 * system() is the contrast: sprig interposes it and runs it on libuv's pool.
 * test_divergences.py checks both results. The other end of every wait is a
 * child process, so that the process does not hang under sprig. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kDelayUs = 250000 };

static atomic_int ticks;
static atomic_int stop;

/* The witness: ticks every 5 ms until told to stop (at most 20 s). */
static void *witness(void *arg) {
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    usleep(5000);
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

/* A child that sleeps, then writes text to fd (if any), then exits. */
static pid_t later_write(int fd, const char *text) {
  pid_t pid = fork();
  if (pid == 0) {
    usleep(kDelayUs);
    if (text != NULL && write(fd, text, strlen(text)) < 0) {
      _exit(1);
    }
    _exit(0);
  }
  return pid;
}

/* A child that sleeps, then reads everything from fd until end of file
 * (other_end, the write end, is closed in the child). */
static pid_t later_drain(int fd, int other_end) {
  pid_t pid = fork();
  if (pid == 0) {
    close(other_end);
    usleep(kDelayUs);
    char buffer[65536];
    while (read(fd, buffer, sizeof buffer) > 0) {
    }
    _exit(0);
  }
  return pid;
}

static void report(const char *call, const char *result, int before) {
  int during = atomic_load(&ticks) - before;
  printf("%s: %s; the witness ticked meanwhile: %s\n", call, result, during > 0 ? "yes" : "no");
}

static void stdio_read(void) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    return;
  }
  pid_t child = later_write(pipe_fds[1], "a line\n");
  FILE *stream = fdopen(pipe_fds[0], "r");
  char line[64] = "";
  int before = atomic_load(&ticks);
  char *got = fgets(line, sizeof line, stream);
  line[strcspn(line, "\n")] = '\0';
  char result[96];
  snprintf(result, sizeof result, "got \"%s\"", got != NULL ? line : "(nothing)");
  report("fgets on a pipe", result, before);
  fclose(stream);
  close(pipe_fds[1]);
  waitpid(child, NULL, 0);
}

static void stdio_write(void) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    return;
  }
  /* Fill the pipe (64 KiB) with plain writes, then hand stdio 4 KiB more. */
  static char block[4096];
  memset(block, 'x', sizeof block);
  for (int i = 0; i < 16; i++) {
    if (write(pipe_fds[1], block, sizeof block) != (ssize_t)sizeof block) {
      return;
    }
  }
  pid_t child = later_drain(pipe_fds[0], pipe_fds[1]);
  close(pipe_fds[0]);
  FILE *stream = fdopen(pipe_fds[1], "w");
  setvbuf(stream, NULL, _IOFBF, sizeof block);
  int before = atomic_load(&ticks);
  size_t written = fwrite(block, 1, sizeof block, stream);
  int flushed = fflush(stream);
  char result[96];
  snprintf(result, sizeof result, "fwrite %zu, fflush %d", written, flushed);
  report("fflush into a full pipe", result, before);
  fclose(stream);
  waitpid(child, NULL, 0);
}

static void run_system(void) {
  int before = atomic_load(&ticks);
  int status = system("sleep 0.25; exit 3");
  char result[96];
  snprintf(result, sizeof result, "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  report("system(\"sleep 0.25; exit 3\")", result, before);
}

static void run_popen(void) {
  FILE *stream = popen("sleep 0.25; echo from popen", "r");
  char line[64] = "";
  int before = atomic_load(&ticks);
  char *got = fgets(line, sizeof line, stream);
  line[strcspn(line, "\n")] = '\0';
  char result[96];
  snprintf(result, sizeof result, "got \"%s\"", got != NULL ? line : "(nothing)");
  report("fgets on a popen() stream", result, before);
  pclose(stream);

  stream = popen("sleep 0.25; exit 4", "r");
  before = atomic_load(&ticks);
  int status = pclose(stream);
  snprintf(result, sizeof result, "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  report("pclose() of a running command", result, before);
}

static void raw_syscall(void) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    return;
  }
  pid_t child = later_write(pipe_fds[1], "z");
  char byte = 0;
  int before = atomic_load(&ticks);
  long got = syscall(SYS_read, pipe_fds[0], &byte, 1);
  char result[96];
  snprintf(result, sizeof result, "%ld byte '%c'", got, got == 1 ? byte : '?');
  report("syscall(SYS_read) on a pipe", result, before);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  waitpid(child, NULL, 0);
}

int main(void) {
  alarm(20);
  signal(SIGPIPE, SIG_IGN);
  pthread_t thread;
  pthread_create(&thread, NULL, witness, NULL);
  usleep(20000); /* the witness is ticking */
  stdio_read();
  stdio_write();
  run_system();
  run_popen();
  raw_syscall();
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  return 0;
}
