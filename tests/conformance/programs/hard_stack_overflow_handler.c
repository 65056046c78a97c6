/* hard_stack_overflow_handler.c - a thread that overflows its stack with a SIGSEGV handler on an alternate signal stack (sigaltstack, SA_ONSTACK, set up in that thread): the handler runs, sees a fault address just below the deepest frame, and _exits with status 3, as natively. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile uintptr_t deepest_frame;
static volatile int sink;
static volatile int depth_limit = 1 << 30; /* never reached: the stack ends long before */

static void say(const char *text) {
  ssize_t ignored = write(STDOUT_FILENO, text, strlen(text));
  (void)ignored;
}

static void on_segv(int signal_number, siginfo_t *info, void *context) {
  (void)context;
  char local;
  uintptr_t fault = (uintptr_t)info->si_addr;
  uintptr_t here = (uintptr_t)&local;
  say(signal_number == SIGSEGV ? "handler: SIGSEGV\n" : "handler: another signal\n");
  /* The handler runs on the alternate stack, far from the overflowing one. */
  say(here - deepest_frame > 1024 * 1024 || deepest_frame - here > 1024 * 1024 ? "handler: on the alternate stack\n"
                                                                               : "handler: on the thread's stack\n");
  say(fault <= deepest_frame && deepest_frame - fault < 64 * 1024 ? "handler: the fault is just below the deepest frame\n"
                                                                   : "handler: the fault is elsewhere\n");
  _exit(3);
}

static int recurse(int depth) {
  char frame[1024];
  if (depth >= depth_limit) {
    return 0;
  }
  memset(frame, depth & 0x7f, sizeof frame);
  deepest_frame = (uintptr_t)frame;
  int below = recurse(depth + 1);
  return frame[depth % sizeof frame] + below;
}

static void *overflow(void *arg) {
  (void)arg;
  /* The alternate stack belongs to the thread that takes the signal. */
  stack_t alternate = {.ss_sp = malloc(256 * 1024), .ss_size = 256 * 1024, .ss_flags = 0};
  if (alternate.ss_sp == NULL || sigaltstack(&alternate, NULL) != 0) {
    say("sigaltstack failed\n");
    return NULL;
  }
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, NULL);
  usleep(20000);
  say("the thread starts its unbounded recursion\n");
  sink = recurse(0);
  say("not reached\n");
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  usleep(2000000);
  say("a sleeper woke: not reached\n");
  return NULL;
}

int main(void) {
  alarm(20);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  pthread_t sleepers[3], thread;
  for (int i = 0; i < 3; i++) {
    pthread_create(&sleepers[i], NULL, sleeper, NULL);
  }
  pthread_create(&thread, NULL, overflow, NULL);
  pthread_join(thread, NULL);
  say("main: not reached\n");
  return 0;
}
