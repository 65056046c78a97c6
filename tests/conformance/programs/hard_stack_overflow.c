/* hard_stack_overflow.c - unbounded recursion in a thread (1 KiB frames) while other threads sleep: the process dies of SIGSEGV, as natively; what was printed before stays printed. */
/* sprig: green */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile int sink;
static volatile int depth_limit = 1 << 30; /* never reached: the stack ends long before */

static int recurse(int depth) {
  char frame[1024];
  if (depth >= depth_limit) {
    return 0;
  }
  memset(frame, depth & 0x7f, sizeof frame); /* touches the whole frame, so no page is skipped */
  int below = recurse(depth + 1);
  return frame[depth % sizeof frame] + below; /* not a tail call */
}

static void *overflow(void *arg) {
  (void)arg;
  usleep(50000); /* the sleepers are parked by now */
  printf("the thread starts its unbounded recursion\n");
  fflush(stdout);
  sink = recurse(0);
  printf("not reached\n");
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  usleep(2000000);
  printf("a sleeper woke: not reached\n");
  return NULL;
}

int main(void) {
  alarm(20);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core); /* a core of the dying process would only slow the test */
  pthread_t sleepers[3], thread;
  for (int i = 0; i < 3; i++) {
    pthread_create(&sleepers[i], NULL, sleeper, NULL);
  }
  pthread_create(&thread, NULL, overflow, NULL);
  printf("main waits for the recursing thread\n");
  fflush(stdout);
  pthread_join(thread, NULL);
  printf("main: not reached\n");
  return 0;
}
