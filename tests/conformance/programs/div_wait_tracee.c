/* div_wait_tracee.c - a single-threaded program's OS threads after a wait() for any child, and a ptrace(2) tracer (a child process) waiting for its tracee's ptrace stop: with wait(), then with waitpid() on the tracee's pid. */
/* sprig: own-test */
/* Divergences sprig(7) lists ("Waiting for children"): under sprig a wait
 * for any child runs on libuv's thread pool, whose threads the process then
 * shows, and a waitpid() for one child waits on the child's pidfd, which
 * becomes readable only when the child exits: a tracer's waitpid() for a
 * ptrace stop waits for ever (here until the tracer's 1 s alarm). A tracer's
 * wait() for any child sees the stop. test_divergences.py checks both
 * results. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int os_threads(void) {
  DIR *tasks = opendir("/proc/self/task");
  int count = 0;
  for (struct dirent *entry; (entry = readdir(tasks)) != NULL;) {
    count += entry->d_name[0] != '.';
  }
  closedir(tasks);
  return count;
}

/* The tracer: forks a tracee that stops itself under ptrace, waits for that
 * stop, lets the tracee go on and waits for its exit. Its exit status says
 * how far it got; the tracee's pid goes to the parent through `report`. */
static int tracer(int any_child, int report) {
  alarm(1);
  pid_t tracee = fork();
  if (tracee == 0) {
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    raise(SIGSTOP);
    _exit(5);
  }
  if (write(report, &tracee, sizeof tracee) != sizeof tracee) {
    return 1;
  }
  int status = 0;
  pid_t got = any_child ? wait(&status) : waitpid(tracee, &status, 0);
  if (got != tracee || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
    return 2;
  }
  ptrace(PTRACE_CONT, tracee, NULL, NULL);
  got = any_child ? wait(&status) : waitpid(tracee, &status, 0);
  return got == tracee && WIFEXITED(status) && WEXITSTATUS(status) == 5 ? 0 : 3;
}

static void run_tracer(const char *label, int any_child) {
  int report[2];
  if (pipe(report) != 0) {
    return;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    _exit(tracer(any_child, report[1]));
  }
  pid_t tracee = 0;
  if (read(report[0], &tracee, sizeof tracee) != sizeof tracee) {
    tracee = 0;
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("a tracer that waits with %s: %s\n", label,
         WIFEXITED(status) && WEXITSTATUS(status) == 0        ? "saw the stop and the exit"
         : WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? "waited until its alarm"
                                                              : "failed");
  /* A tracee left stopped by a dead tracer comes to this subreaper: end it. */
  if (tracee > 0 && kill(tracee, SIGKILL) == 0) {
    waitpid(tracee, NULL, 0);
  }
  close(report[0]);
  close(report[1]);
}

int main(void) {
  alarm(20);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  printf("OS threads at start: %d\n", os_threads());
  pid_t child = fork();
  if (child == 0) {
    usleep(50000);
    _exit(0);
  }
  int status = 0;
  pid_t got = wait(&status);
  printf("wait() for any child: %s; more than one OS thread since: %s\n",
         got == child ? "its pid" : "failed", os_threads() > 1 ? "yes" : "no");
  run_tracer("wait()", 1);
  run_tracer("waitpid(tracee)", 0);
  return 0;
}
