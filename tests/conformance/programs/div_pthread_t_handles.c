/* div_pthread_t_handles.c - libc functions that take a pthread_t, given pthread_self() and a created thread's ID, each called in a child process: pthread_getattr_np(), pthread_kill(0), pthread_getschedparam(), pthread_getcpuclockid(), pthread_getaffinity_np(); and pthread_equal(). */
/* sprig: own-test */
/* A divergence sprig(7) lists ("pthread_t values are green handles"): under
 * sprig a pthread_t is a green-thread handle, which glibc reads as a pointer
 * to its thread descriptor: the call crashes. pthread_equal() only compares.
 * test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_t target;

static int call_getattr(void) {
  pthread_attr_t attr;
  int rc = pthread_getattr_np(target, &attr);
  if (rc == 0) {
    size_t size = 0;
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
    return size > 0 ? 0 : 1;
  }
  return rc;
}

static int call_kill(void) { return pthread_kill(target, 0); }

static int call_getschedparam(void) {
  int policy = -1;
  struct sched_param param;
  return pthread_getschedparam(target, &policy, &param);
}

static int call_getcpuclockid(void) {
  clockid_t clock;
  return pthread_getcpuclockid(target, &clock);
}

static int call_getaffinity(void) {
  cpu_set_t set;
  return pthread_getaffinity_np(target, sizeof set, &set);
}

static void *sleeper(void *arg) {
  usleep(300000);
  return arg;
}

/* Makes the call in a child process, on pthread_self() or on a thread the
 * child creates. */
static void in_child(const char *name, int (*call)(void), int on_created) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    alarm(5);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* a crash leaves no core file */
    target = pthread_self();
    if (on_created && pthread_create(&target, NULL, sleeper, NULL) != 0) {
      _exit(99);
    }
    _exit(call());
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFEXITED(status)) {
    printf("%s: returned %d\n", name, WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    printf("%s: killed by %s\n", name,
           WTERMSIG(status) == SIGSEGV ? "SIGSEGV" : strsignal(WTERMSIG(status)));
  }
}

static void all_calls(const char *whose, int on_created) {
  char name[96];
  snprintf(name, sizeof name, "pthread_getattr_np(%s)", whose);
  in_child(name, call_getattr, on_created);
  snprintf(name, sizeof name, "pthread_kill(%s, 0)", whose);
  in_child(name, call_kill, on_created);
  snprintf(name, sizeof name, "pthread_getschedparam(%s)", whose);
  in_child(name, call_getschedparam, on_created);
  snprintf(name, sizeof name, "pthread_getcpuclockid(%s)", whose);
  in_child(name, call_getcpuclockid, on_created);
  snprintf(name, sizeof name, "pthread_getaffinity_np(%s)", whose);
  in_child(name, call_getaffinity, on_created);
}

int main(void) {
  alarm(20);
  all_calls("pthread_self()", 0);
  all_calls("a created thread", 1);
  pthread_t thread;
  pthread_create(&thread, NULL, sleeper, NULL);
  printf("pthread_equal(self, self) %d, pthread_equal(self, created) %d\n",
         pthread_equal(pthread_self(), pthread_self()) != 0,
         pthread_equal(pthread_self(), thread) != 0);
  pthread_join(thread, NULL);
  return 0;
}
