/* div_stack_sizes.c - stacks and thread attributes: 16 MiB of locals in main with RLIMIT_STACK at 64 MiB, 1 MiB in a thread made without an attribute, 12 MiB after pthread_setattr_default_np() asked for 32 MiB (each in a child process); then a thread's stack given with pthread_attr_setstack(), and its signal mask and CPU affinity from the attribute. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Stack sizes"): under sprig main's stack is
 * 8 MiB whatever RLIMIT_STACK says, a thread without an attribute gets
 * 256 KiB whatever pthread_setattr_default_np() says, so those children
 * overflow their stacks; and the attribute's stack address, signal mask,
 * and affinity are ignored (a real-time policy needs privileges: not shown). test_divergences.py
 * checks both results. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Touches `size` bytes of locals from the top down, as a stack grows. */
static __attribute__((noinline)) int use_stack(size_t size) {
  char *locals = alloca(size);
  for (size_t offset = size; offset >= 4096; offset -= 4096) {
    ((volatile char *)locals)[offset - 1] = 1;
  }
  return locals[size - 1];
}

static void *use_stack_thread(void *size) { return (void *)(long)use_stack((size_t)size); }

/* Runs `run` in a child process: "fine", or the signal that ended it. */
static void in_child(const char *what, void (*run)(void)) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    alarm(5);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* an overflow leaves no core file */
    run();
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("%s: %s\n", what,
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "fine"
         : WIFSIGNALED(status)                         ? strsignal(WTERMSIG(status))
                                                       : "failed");
}

static void thread_without_attribute(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, use_stack_thread, (void *)(1UL << 20));
  pthread_join(thread, NULL);
}

static void thread_after_default_attribute(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 32UL << 20);
  if (pthread_setattr_default_np(&attr) != 0) {
    _exit(2);
  }
  pthread_t thread;
  pthread_create(&thread, NULL, use_stack_thread, (void *)(12UL << 20));
  pthread_join(thread, NULL);
}

/* Main with a 64 MiB RLIMIT_STACK: the program runs itself again. */
static const char *self;

static void main_with_large_limit(void) {
  struct rlimit limit = {64UL << 20, RLIM_INFINITY};
  getrlimit(RLIMIT_STACK, &limit);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < (64UL << 20)) {
    _exit(0); /* cannot raise it here: say "fine", as natively */
  }
  limit.rlim_cur = 64UL << 20;
  setrlimit(RLIMIT_STACK, &limit);
  execl(self, self, "use-main-stack", (char *)NULL);
  _exit(127);
}

static char given_stack[1 << 20] __attribute__((aligned(4096)));

static void *report_attributes(void *arg) {
  char local;
  printf("a local of the thread lies in the stack given with pthread_attr_setstack(): %s\n",
         &local >= given_stack && &local < given_stack + sizeof given_stack ? "yes" : "no");
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  printf("SIGUSR1 blocked in the thread, as pthread_attr_setsigmask_np() said: %s\n",
         sigismember(&mask, SIGUSR1) ? "yes" : "no");
  cpu_set_t cpus;
  sched_getaffinity(0, sizeof cpus, &cpus);
  printf("the thread runs on the one CPU pthread_attr_setaffinity_np() said: %s\n",
         CPU_COUNT(&cpus) == 1 ? "yes" : "no");
  return arg;
}

static void attributes(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, given_stack, sizeof given_stack);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  pthread_attr_setsigmask_np(&attr, &mask);
  cpu_set_t cpus;
  sched_getaffinity(0, sizeof cpus, &cpus);
  int first = 0;
  while (!CPU_ISSET(first, &cpus)) {
    first++;
  }
  CPU_ZERO(&cpus);
  CPU_SET(first, &cpus);
  pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, report_attributes, NULL);
  if (rc != 0) {
    printf("pthread_create with the attribute: %s\n", strerror(rc));
    return;
  }
  pthread_join(thread, NULL);
  pthread_attr_destroy(&attr);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "use-main-stack") == 0) {
    return use_stack(16UL << 20) == 1 ? 0 : 1;
  }
  alarm(20);
  self = argv[0];
  in_child("16 MiB of locals in main, RLIMIT_STACK 64 MiB", main_with_large_limit);
  in_child("1 MiB of locals in a thread made without an attribute", thread_without_attribute);
  in_child("12 MiB of locals in a thread, pthread_setattr_default_np() 32 MiB",
           thread_after_default_attribute);
  attributes();
  return 0;
}
