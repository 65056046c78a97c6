/* thread_identity_calls.c - glibc's functions on pthread_self(), in main and in 8 threads alive at once: pthread_getattr_np (the stack holds the caller's locals), getaffinity/setaffinity, getschedparam/setschedparam/setschedprio, getcpuclockid, pthread_sigqueue and pthread_kill to self, getname/setname, pthread_equal; pthread_self() in a constructor is main's; a thread on a stack given with pthread_attr_setstack runs on it. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8

static pthread_t constructor_self;
static __thread volatile sig_atomic_t signals_seen;
static atomic_int alive;

__attribute__((constructor)) static void before_main(void) { constructor_self = pthread_self(); }

static void on_signal(int signal_number) {
  (void)signal_number;
  signals_seen++;
}

static int in_reported_stack(void) {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) {
    return 0;
  }
  void *low = NULL;
  size_t size = 0;
  pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  char local = 0;
  return &local > (char *)low && &local < (char *)low + size && size >= 16384;
}

/* Each call on pthread_self(); the results as one line of 0/1 flags. */
static void check_calls(const char *who, char *line, size_t size) {
  pthread_t self = pthread_self();
  cpu_set_t cpus;
  int affinity = pthread_getaffinity_np(self, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0 &&
                 pthread_setaffinity_np(self, sizeof cpus, &cpus) == 0;
  int policy = -1;
  struct sched_param param = {0};
  int sched = pthread_getschedparam(self, &policy, &param) == 0 && policy == SCHED_OTHER &&
              pthread_setschedparam(self, SCHED_OTHER, &param) == 0 &&
              pthread_setschedprio(self, 0) == 0;
  clockid_t clock;
  struct timespec used = {0};
  int cpu_clock = pthread_getcpuclockid(self, &clock) == 0 && clock_gettime(clock, &used) == 0;
  union sigval value = {.sival_int = 1};
  int before = signals_seen;
  int signals = pthread_sigqueue(self, SIGUSR1, value) == 0 && pthread_kill(self, SIGUSR2) == 0 &&
                pthread_kill(self, 0) == 0 && signals_seen == before + 2;
  char name[16] = "";
  int names = pthread_setname_np(self, who) == 0 && pthread_getname_np(self, name, sizeof name) == 0 &&
              strcmp(name, who) == 0;
  snprintf(line, size, "%s: getattr_np %d, affinity %d, sched %d, cpu clock %d, signals %d, names %d, equal %d",
           who, in_reported_stack(), affinity, sched, cpu_clock, signals, names, pthread_equal(self, self));
}

static void *thread_body(void *argument) {
  char *line = argument;
  char who[16];
  snprintf(who, sizeof who, "worker-%d", atomic_fetch_add(&alive, 1));
  for (int nap = 0; atomic_load(&alive) < THREADS && nap < 5000; nap++) {
    usleep(1000); /* all alive at once: natively, 8 OS threads */
  }
  check_calls(who, line, 200);
  return NULL;
}

static char given_stack[256 * 1024] __attribute__((aligned(64)));

static void *on_given_stack(void *argument) {
  char local = 0;
  *(int *)argument = &local > given_stack && &local < given_stack + sizeof given_stack && in_reported_stack();
  return NULL;
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

int main(void) {
  alarm(20);
  signal(SIGUSR1, on_signal);
  signal(SIGUSR2, on_signal);
  printf("pthread_self() in main is the constructor's: %d\n", pthread_equal(pthread_self(), constructor_self));
  char line[200];
  check_calls("main", line, sizeof line);
  printf("%s\n", line);

  static char lines[THREADS][200];
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    if (pthread_create(&threads[i], NULL, thread_body, lines[i]) != 0) {
      return 1;
    }
  }
  int distinct = 1;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    distinct &= !pthread_equal(threads[i], pthread_self());
  }
  qsort(lines, THREADS, sizeof lines[0], by_name);
  for (int i = 0; i < THREADS; i++) {
    printf("%s\n", lines[i]);
  }
  printf("each thread's pthread_t differs from main's: %d\n", distinct);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int on_it = 0;
  pthread_t given;
  int rc = pthread_attr_setstack(&attr, given_stack, sizeof given_stack);
  if (rc == 0) {
    rc = pthread_create(&given, &attr, on_given_stack, &on_it);
  }
  if (rc == 0) {
    pthread_join(given, NULL);
  }
  pthread_attr_destroy(&attr);
  printf("a thread on a stack given with pthread_attr_setstack: created %d, runs on it %d\n", rc == 0, on_it);
  return 0;
}
