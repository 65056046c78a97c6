/* corun_tasks.c - 10,000 concurrent green threads that sleep 10-100 ms each and report to a wait
 * group.
 *
 * usage: corun_tasks [TASKS]
 * Prints "tasks=N finished=F checksum_ok=1 sum_sleep_ms=S elapsed_ms=E" and
 * exits 0 if every task finished. The sleeps overlap, so the elapsed time is
 * close to the longest sleep, far below their sum. */
#include <sprig.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MS_NS 1000000LL

struct task {
  unsigned id;
  unsigned sleep_ms;
  uint64_t result;
  sprig_waitgroup_t *all_done;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* "A little work": an FNV-1a hash of the task's id, 1,000 rounds. */
static uint64_t little_work(unsigned id) {
  uint64_t hash = 14695981039346656037ULL;
  for (int round = 0; round < 1000; round++) {
    hash = (hash ^ (id + (unsigned)round)) * 1099511628211ULL;
  }
  return hash;
}

static void *run_task(void *arg) {
  struct task *task = arg;
  sprig_sleep(task->sleep_ms * MS_NS);
  task->result = little_work(task->id);
  sprig_waitgroup_done(task->all_done);
  return NULL;
}

struct job {
  unsigned count;
  struct task *tasks;
  unsigned finished;
};

/* The main green thread: start all tasks detached, wait for the group. */
static void *run_all(void *arg) {
  struct job *job = arg;
  sprig_waitgroup_t *all_done;
  if (sprig_waitgroup_create(&all_done) < 0) {
    return NULL;
  }
  struct sprig_spawn_options options = {.stack_size = 64 * 1024, .detached = 1};
  unsigned started = 0;
  for (; started < job->count; started++) {
    job->tasks[started].all_done = all_done;
    sprig_waitgroup_add(all_done, 1);
    sprig_thread_t thread;
    int rc = sprig_spawn(&thread, &options, run_task, &job->tasks[started]);
    if (rc < 0) {
      fprintf(stderr, "corun_tasks: spawn %u: %s\n", started, strerror(-rc));
      sprig_waitgroup_done(all_done);
      break;
    }
  }
  if (sprig_waitgroup_wait(all_done, 30000 * MS_NS) == 0) {
    job->finished = started;
  }
  sprig_waitgroup_destroy(all_done);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a test run */
  struct job job = {.count = argc > 1 ? (unsigned)atoi(argv[1]) : 10000};
  job.tasks = calloc(job.count, sizeof *job.tasks);
  srand(42);
  long long sum_sleep_ms = 0;
  for (unsigned i = 0; i < job.count; i++) {
    job.tasks[i].id = i;
    job.tasks[i].sleep_ms = 10 + (unsigned)(rand() % 91); /* 10..100 ms */
    sum_sleep_ms += job.tasks[i].sleep_ms;
  }

  int64_t start = now_ns();
  int rc = sprig_run(run_all, &job, NULL);
  int64_t elapsed_ms = (now_ns() - start) / MS_NS;
  if (rc < 0) {
    fprintf(stderr, "corun_tasks: sprig_run: %s\n", strerror(-rc));
    return 1;
  }

  int checksum_ok = 1;
  for (unsigned i = 0; i < job.count; i++) {
    checksum_ok &= job.tasks[i].result == little_work(i);
  }
  printf("tasks=%u finished=%u checksum_ok=%d sum_sleep_ms=%lld elapsed_ms=%lld\n", job.count,
         job.finished, checksum_ok, sum_sleep_ms, (long long)elapsed_ms);
  free(job.tasks);
  return job.finished == job.count && checksum_ok ? 0 : 1;
}
