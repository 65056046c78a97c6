/* rwlock_basic.c - pthread rwlocks: readers share, a writer excludes, the error codes of try/timed/clock locks and relocking, and a blocked lock parks only its own thread. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int readers_inside;
static atomic_int most_readers_inside;
static atomic_int ticks;
static atomic_int stop;
static atomic_int writer_waiting; /* the writer is about to ask for the lock */
static atomic_int writer_timed_out; /* ... its timed lock has returned; it asks again, with no timeout */

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

static struct timespec in_ms(clockid_t clock, long ms) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static long ms_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void *reader(void *arg) {
  (void)arg;
  pthread_rwlock_rdlock(&lock);
  int inside = atomic_fetch_add(&readers_inside, 1) + 1;
  int most = atomic_load(&most_readers_inside);
  while (inside > most && !atomic_compare_exchange_weak(&most_readers_inside, &most, inside)) {
  }
  /* all readers are inside together: each stays until the fourth has come in
   * (at most 2 s each, however slowly a loaded machine starts them; readers
   * that excluded each other would still end before the alarm) */
  for (int i = 0; i < 2000 && atomic_load(&most_readers_inside) < 4; i++) {
    usleep(1000);
  }
  atomic_fetch_sub(&readers_inside, 1);
  pthread_rwlock_unlock(&lock);
  return NULL;
}

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(10000);
  }
  return NULL;
}

static void *timed_writer(void *arg) {
  (void)arg;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  struct timespec deadline = in_ms(CLOCK_REALTIME, 150);
  atomic_store(&writer_waiting, 1);
  int rc = pthread_rwlock_timedwrlock(&lock, &deadline);
  long waited = ms_since(&start);
  printf("timedwrlock against a reader: %s, waited >= 140 ms: %s\n", strerror(rc),
         waited >= 140 ? "yes" : "no");
  deadline = in_ms(CLOCK_MONOTONIC, 5000);
  atomic_store(&writer_timed_out, 1);
  rc = pthread_rwlock_clockwrlock(&lock, CLOCK_MONOTONIC, &deadline);
  printf("clockwrlock once the reader leaves: %s, before the deadline: %s\n", strerror(rc),
         ms_since(&start) < 3000 ? "yes" : "no");
  pthread_rwlock_unlock(&lock);
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IONBF, 0);

  /* readers share the lock */
  pthread_t readers[4];
  for (int i = 0; i < 4; i++) {
    pthread_create(&readers[i], NULL, reader, NULL);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(readers[i], NULL);
  }
  printf("readers inside together: %d\n", atomic_load(&most_readers_inside));

  /* error codes of the caller holding the write lock */
  struct timespec past = {1, 0};
  struct timespec bad = {0, 1000000000L};
  printf("wrlock: %s\n", strerror(pthread_rwlock_wrlock(&lock)));
  printf("wrlock again: %s\n", strerror(pthread_rwlock_wrlock(&lock)));
  printf("rdlock while writing: %s\n", strerror(pthread_rwlock_rdlock(&lock)));
  printf("trywrlock while writing: %s\n", strerror(pthread_rwlock_trywrlock(&lock)));
  printf("tryrdlock while writing: %s\n", strerror(pthread_rwlock_tryrdlock(&lock)));
  printf("timedwrlock, deadline in 1970: %s\n", strerror(pthread_rwlock_timedwrlock(&lock, &past)));
  printf("timedrdlock, tv_nsec 1e9: %s\n", strerror(pthread_rwlock_timedrdlock(&lock, &bad)));
  printf("unlock: %s\n", strerror(pthread_rwlock_unlock(&lock)));

  /* a free lock still checks abstime and clock first (glibc 2.36) */
  printf("timedrdlock on a free lock, tv_nsec 1e9: %s\n",
         strerror(pthread_rwlock_timedrdlock(&lock, &bad)));
  printf("clockwrlock on a free lock, CLOCK_PROCESS_CPUTIME_ID: %s\n",
         strerror(pthread_rwlock_clockwrlock(&lock, CLOCK_PROCESS_CPUTIME_ID, &past)));
  printf("timedwrlock on a free lock, deadline in 1970: %s\n",
         strerror(pthread_rwlock_timedwrlock(&lock, &past)));
  pthread_rwlock_unlock(&lock);

  /* a reader holds it: try/timed writers fail, readers get in */
  pthread_rwlock_rdlock(&lock);
  printf("trywrlock against a reader: %s\n", strerror(pthread_rwlock_trywrlock(&lock)));
  printf("timedwrlock against a reader, deadline in 1970: %s\n",
         strerror(pthread_rwlock_timedwrlock(&lock, &past)));
  printf("tryrdlock beside a reader: %s\n", strerror(pthread_rwlock_tryrdlock(&lock)));
  pthread_rwlock_unlock(&lock);

  /* a writer blocked on the lock parks only itself: the witness keeps ticking */
  pthread_t witness_thread, writer_thread;
  pthread_create(&witness_thread, NULL, witness, NULL);
  usleep(20000);
  pthread_create(&writer_thread, NULL, timed_writer, NULL);
  wait_for(&writer_waiting);
  int before = atomic_load(&ticks);
  /* main keeps its read lock until the writer's timed lock has timed out, the
   * writer waits in its clock lock, and the witness has ticked 20 times since
   * the writer began to wait (at most 10 s, so a loaded machine only slows it) */
  wait_for(&writer_timed_out);
  usleep(50000); /* the writer waits in clockwrlock now */
  for (int i = 0; i < 1000 && atomic_load(&ticks) - before < 20; i++) {
    usleep(10000);
  }
  int during = atomic_load(&ticks) - before;
  pthread_rwlock_unlock(&lock);
  pthread_join(writer_thread, NULL);
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  printf("witness ran while the writer waited: %s\n", during >= 20 ? "yes" : "no");
  printf("#nocompare ticks during the wait: %d\n", during);

  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  printf("init with default attributes: %s\n", strerror(pthread_rwlock_init(&lock, &attr)));
  printf("trywrlock: %s\n", strerror(pthread_rwlock_trywrlock(&lock)));
  printf("unlock: %s\n", strerror(pthread_rwlock_unlock(&lock)));
  printf("destroy: %s\n", strerror(pthread_rwlock_destroy(&lock)));
  pthread_rwlockattr_destroy(&attr);
  return 0;
}
