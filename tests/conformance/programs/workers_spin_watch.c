/* workers_spin_watch.c - two threads that never block, each counting and watching the other's count. */
/* sprig: own-test */
/*
 * Natively the kernel runs them on two CPUs (or time-slices them on one), so
 * each sees the other's counter move. Under sprig with one worker the first
 * to run never gives the worker up: it sees the other's counter stay at 0
 * until its time is over. With SPRIG_WORKERS=2 the two run on two workers
 * at once. Prints how many changes each saw, and how many OS threads the
 * process had while both spun.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define SPIN_NS 300000000L

static atomic_long counters[2];
static atomic_int running;
static long changes_seen[2];
static int tasks_seen;

static long now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

static int count_tasks(void) {
  DIR *tasks = opendir("/proc/self/task");
  int count = 0;
  if (tasks == NULL) {
    return -1;
  }
  for (struct dirent *entry; (entry = readdir(tasks)) != NULL;) {
    count += entry->d_name[0] != '.';
  }
  closedir(tasks);
  return count;
}

static void *spin(void *argument) {
  long me = (long)argument;
  long last = 0;
  long start = now_ns();
  atomic_fetch_add(&running, 1);
  while (now_ns() - start < SPIN_NS) {
    atomic_fetch_add(&counters[me], 1);
    long other = atomic_load(&counters[1 - me]);
    if (other != last) {
      ++changes_seen[me];
      last = other;
    }
    if (me == 0 && tasks_seen == 0 && atomic_load(&running) == 2) {
      tasks_seen = count_tasks();
    }
  }
  return NULL;
}

int main(void) {
  pthread_t threads[2];
  for (long index = 0; index < 2; ++index) {
    if (pthread_create(&threads[index], NULL, spin, (void *)index) != 0) {
      return 1;
    }
  }
  for (int index = 0; index < 2; ++index) {
    pthread_join(threads[index], NULL);
  }
  printf("seen0=%ld seen1=%ld tasks=%d\n", changes_seen[0], changes_seen[1], tasks_seen);
  return 0;
}
