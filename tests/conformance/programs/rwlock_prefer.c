/* rwlock_prefer.c - glibc's rwlock kinds: who gets past a waiting writer, who goes first when a writer unlocks, and what a writer's timeout releases. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_rwlock_t lock;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static char order[64];
static struct timespec scenario_start;

static void note(const char *who) {
  pthread_mutex_lock(&log_mutex);
  strcat(order, who);
  pthread_mutex_unlock(&log_mutex);
}

static long ms_since_start(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - scenario_start.tv_sec) * 1000 +
         (now.tv_nsec - scenario_start.tv_nsec) / 1000000;
}

static struct timespec realtime_in(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static void *writer(void *arg) {
  pthread_rwlock_wrlock(&lock);
  note(arg);
  usleep(30000);
  pthread_rwlock_unlock(&lock);
  return NULL;
}

static void *reader(void *arg) {
  pthread_rwlock_rdlock(&lock);
  note(arg);
  usleep(30000);
  pthread_rwlock_unlock(&lock);
  return NULL;
}

static void *timed_writer(void *arg) {
  (void)arg;
  struct timespec deadline = realtime_in(150);
  int rc = pthread_rwlock_timedwrlock(&lock, &deadline);
  return (void *)(long)rc;
}

static void *late_reader(void *arg) {
  long *entered_at = arg;
  pthread_rwlock_rdlock(&lock);
  *entered_at = ms_since_start();
  pthread_rwlock_unlock(&lock);
  return NULL;
}

static void scenarios(const char *name) {
  pthread_t first, second;
  printf("-- %s\n", name);

  /* A reader holds the lock and a writer waits: may a new reader get in? */
  pthread_rwlock_rdlock(&lock);
  order[0] = '\0';
  pthread_create(&first, NULL, writer, "W");
  usleep(50000);
  int rc = pthread_rwlock_tryrdlock(&lock);
  printf("tryrdlock past a waiting writer: %s\n", strerror(rc));
  if (rc == 0) {
    pthread_rwlock_unlock(&lock);
  }
  struct timespec deadline = realtime_in(50);
  rc = pthread_rwlock_timedrdlock(&lock, &deadline);
  printf("timedrdlock past a waiting writer: %s\n", strerror(rc));
  if (rc == 0) {
    pthread_rwlock_unlock(&lock);
  }
  printf("writer still waiting: %s\n", order[0] == '\0' ? "yes" : "no");
  pthread_rwlock_unlock(&lock);
  pthread_join(first, NULL);
  printf("writer got it after the reader left: %s\n", strcmp(order, "W") == 0 ? "yes" : "no");

  /* A writer holds it; a writer, then a reader, wait. Who goes first on unlock? */
  pthread_rwlock_wrlock(&lock);
  order[0] = '\0';
  pthread_create(&first, NULL, writer, "W");
  usleep(50000);
  pthread_create(&second, NULL, reader, "R");
  usleep(50000);
  pthread_rwlock_unlock(&lock);
  pthread_join(first, NULL);
  pthread_join(second, NULL);
  printf("order after the writer's unlock: %s\n", order);

  /* A reader holds it, a writer waits with a timeout, a reader comes later. */
  clock_gettime(CLOCK_MONOTONIC, &scenario_start);
  pthread_rwlock_rdlock(&lock);
  long entered_at = -1;
  void *timed_rc;
  pthread_create(&first, NULL, timed_writer, NULL);
  usleep(30000);
  pthread_create(&second, NULL, late_reader, &entered_at);
  pthread_join(first, &timed_rc);
  pthread_join(second, NULL);
  pthread_rwlock_unlock(&lock);
  printf("timed writer: %s; the later reader waited for its timeout: %s\n",
         strerror((int)(long)timed_rc), entered_at >= 140 ? "yes" : "no");
  printf("#nocompare the later reader got in at %ld ms\n", entered_at);
}

static void with_kind(int kind, const char *name) {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, kind);
  pthread_rwlock_init(&lock, &attr);
  pthread_rwlockattr_destroy(&attr);
  scenarios(name);
  pthread_rwlock_destroy(&lock);
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_rwlock_t initial = PTHREAD_RWLOCK_INITIALIZER;
  lock = initial;
  scenarios("PTHREAD_RWLOCK_INITIALIZER");
  with_kind(PTHREAD_RWLOCK_PREFER_READER_NP, "PTHREAD_RWLOCK_PREFER_READER_NP");
  with_kind(PTHREAD_RWLOCK_PREFER_WRITER_NP, "PTHREAD_RWLOCK_PREFER_WRITER_NP");
  with_kind(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
            "PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP");
  pthread_rwlock_t writers_first = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
  lock = writers_first;
  scenarios("PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP");

  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  printf("setkind_np 3: %s\n", strerror(pthread_rwlockattr_setkind_np(&attr, 3)));
  pthread_rwlockattr_destroy(&attr);
  return 0;
}
