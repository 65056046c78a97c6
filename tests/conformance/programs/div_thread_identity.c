/* div_thread_identity.c - what the kernel says about a thread: its gettid(), its CPU-time clock and RUSAGE_THREAD after another thread computed for 150 ms, sched_setaffinity(0) and setpriority() on its own thread ID seen from main, and its name in /proc/self/task/TID/comm. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Thread identity and the kernel"): under
 * sprig every green thread is the worker to the kernel, so they share one
 * thread ID, one CPU clock, one affinity and one nice value, and the kernel
 * does not know their names. test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static pid_t main_tid;
static int main_nice;

static long long clock_ms(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

static void *spin(void *arg) {
  long long start = clock_ms(CLOCK_THREAD_CPUTIME_ID);
  while (clock_ms(CLOCK_THREAD_CPUTIME_ID) - start < 150) {
  }
  return arg;
}

static void *observe(void *arg) {
  pid_t tid = gettid();
  printf("the thread's gettid(): %s\n", tid == main_tid ? "main's" : "its own");

  printf("its CPU-time clock after another thread computed 150 ms: %s\n",
         clock_ms(CLOCK_THREAD_CPUTIME_ID) >= 100 ? "over 100 ms" : "under 100 ms");
  struct rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  long long used_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000LL +
                      (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
  printf("its getrusage(RUSAGE_THREAD): %s\n", used_ms >= 100 ? "over 100 ms" : "under 100 ms");

  cpu_set_t set;
  sched_getaffinity(0, sizeof set, &set);
  int first = 0;
  while (!CPU_ISSET(first, &set)) {
    first++;
  }
  CPU_ZERO(&set);
  CPU_SET(first, &set);
  sched_setaffinity(0, sizeof set, &set); /* this thread only: one CPU */

  setpriority(PRIO_PROCESS, (id_t)tid, main_nice + 5); /* this thread only: nicer */

  pthread_setname_np(pthread_self(), "div-named");
  char path[64];
  char name[32] = "";
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
  FILE *comm = fopen(path, "r");
  if (comm != NULL && fgets(name, sizeof name, comm) != NULL) {
    name[strcspn(name, "\n")] = '\0';
  }
  if (comm != NULL) {
    fclose(comm);
  }
  printf("its name in %s after pthread_setname_np(\"div-named\"): %s\n", "/proc/self/task/TID/comm",
         strcmp(name, "div-named") == 0 ? "div-named" : "the process's name");
  return arg;
}

int main(void) {
  alarm(20);
  main_tid = gettid();
  main_nice = getpriority(PRIO_PROCESS, (id_t)main_tid);
  cpu_set_t set;
  sched_getaffinity(0, sizeof set, &set);
  int cpus_before = CPU_COUNT(&set);
  pthread_t spinner, observer;
  pthread_create(&spinner, NULL, spin, NULL);
  pthread_join(spinner, NULL);
  pthread_create(&observer, NULL, observe, NULL);
  pthread_join(observer, NULL);
  sched_getaffinity(0, sizeof set, &set);
  if (cpus_before > 1) {
    printf("main's CPU affinity after the thread's sched_setaffinity(0): %s\n",
           CPU_COUNT(&set) == cpus_before ? "unchanged" : "one CPU");
  } else {
    printf(
        "main's CPU affinity after the thread's sched_setaffinity(0): (one CPU only: not shown)\n");
  }
  printf("main's nice value after the thread's setpriority(its ID, 5 more): %s\n",
         getpriority(PRIO_PROCESS, (id_t)gettid()) == main_nice ? "unchanged" : "5 more");
  return 0;
}
