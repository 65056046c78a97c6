/* child_usage.c - runs a command as its child and reports the child's own peak RSS and CPU time.
 *
 * usage: [CHILD_USAGE_PRELOAD=LIB] child_usage PROGRAM [ARGS...]
 * bench.py starts every measured program through this. A program started
 * straight from Python reports a wrong ru_maxrss: exec keeps, as the new
 * program's peak, the RSS of the forked Python process (tens of MiB). This
 * process is small, so the peak its child reports is the command's own.
 * CHILD_USAGE_PRELOAD, if set, becomes the child's LD_PRELOAD (this
 * process itself never runs under the preload). The child is killed if
 * this process dies (PR_SET_PDEATHSIG), so killing this one is enough.
 * When the child ends, prints to stderr
 *   child_usage pid=P status=exit:N|signal:N maxrss_kib=K user_s=U sys_s=S
 * and exits with the child's exit status (128 + N if signal N ended it). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static double seconds_of(struct timeval time) {
  return (double)time.tv_sec + (double)time.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  const char *preload = getenv("CHILD_USAGE_PRELOAD");
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) {
    perror("child_usage: fork");
    return 2;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(2); /* the parent died before prctl */
    }
    unsetenv("CHILD_USAGE_PRELOAD");
    if (preload != NULL && *preload != '\0') {
      setenv("LD_PRELOAD", preload, 1);
    }
    execvp(argv[1], argv + 1);
    perror("child_usage: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      perror("child_usage: wait4");
      return 2;
    }
  }
  int exited = WIFEXITED(status);
  int code = exited ? WEXITSTATUS(status) : WTERMSIG(status);
  fprintf(stderr, "child_usage pid=%d status=%s:%d maxrss_kib=%ld user_s=%.3f sys_s=%.3f\n", child,
          exited ? "exit" : "signal", code, usage.ru_maxrss, seconds_of(usage.ru_utime),
          seconds_of(usage.ru_stime));
  return exited ? code : 128 + code;
}
