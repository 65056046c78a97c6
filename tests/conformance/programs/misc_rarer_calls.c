/* misc_rarer_calls.c - the rarer interposed calls: pthread_mutex_clocklock and pthread_rwlock_clockrdlock time out on a lock another thread holds (and reject a bad clock), pthread_mutex_destroy of an unlocked and a locked mutex, dup3 with O_CLOEXEC and onto itself, and the old pthread_yield symbol that binaries built before glibc 2.34 call. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Today's headers compile pthread_yield() as sched_yield(); old binaries call the symbol itself. */
int old_pthread_yield(void);
__asm__(".symver old_pthread_yield, pthread_yield@GLIBC_2.2.5");

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int held;
static atomic_int release;

static const char *name_of(int rc) {
  return rc == 0 ? "0" : rc == ETIMEDOUT ? "ETIMEDOUT" : rc == EINVAL ? "EINVAL" : rc == EBUSY ? "EBUSY" : "other";
}

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mutex);
  pthread_rwlock_wrlock(&rwlock);
  atomic_store(&held, 1);
  while (!atomic_load(&release)) {
    usleep(1000);
  }
  pthread_rwlock_unlock(&rwlock);
  pthread_mutex_unlock(&mutex);
  return NULL;
}

static struct timespec monotonic_in_ms(int ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_nsec += ms * 1000000L;
  t.tv_sec += t.tv_nsec / 1000000000L;
  t.tv_nsec %= 1000000000L;
  return t;
}

/* Two threads take turns through a shared counter, each yielding until it is its turn. */
static atomic_int turn;
static atomic_long yields;
static void *take_turns(void *arg) {
  int me = (int)(long)arg;
  for (int round = 0; round < 200; round++) {
    while (atomic_load(&turn) % 2 != me) {
      old_pthread_yield();
      atomic_fetch_add(&yields, 1);
    }
    atomic_fetch_add(&turn, 1);
  }
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, holder, NULL);
  while (!atomic_load(&held)) {
    usleep(1000);
  }
  struct timespec deadline = monotonic_in_ms(50);
  printf("mutex_clocklock on a held mutex, 50 ms: %s\n",
         name_of(pthread_mutex_clocklock(&mutex, CLOCK_MONOTONIC, &deadline)));
  printf("mutex_clocklock with a bad clock: %s\n", name_of(pthread_mutex_clocklock(&mutex, 12345, &deadline)));
  deadline = monotonic_in_ms(50);
  printf("rwlock_clockrdlock on a write-held lock, 50 ms: %s\n",
         name_of(pthread_rwlock_clockrdlock(&rwlock, CLOCK_MONOTONIC, &deadline)));
  printf("rwlock_clockrdlock with a bad clock: %s\n",
         name_of(pthread_rwlock_clockrdlock(&rwlock, 12345, &deadline)));
  atomic_store(&release, 1);
  pthread_join(thread, NULL);
  deadline = monotonic_in_ms(50);
  int rc = pthread_mutex_clocklock(&mutex, CLOCK_MONOTONIC, &deadline);
  printf("mutex_clocklock once free: %s\n", name_of(rc));
  pthread_mutex_unlock(&mutex);
  rc = pthread_rwlock_clockrdlock(&rwlock, CLOCK_REALTIME, &deadline);
  printf("rwlock_clockrdlock once free (realtime clock, deadline in the past): %s\n", name_of(rc));
  if (rc == 0) {
    pthread_rwlock_unlock(&rwlock);
  }

  pthread_mutex_t local;
  pthread_mutex_init(&local, NULL);
  printf("mutex_destroy, unlocked: %s\n", name_of(pthread_mutex_destroy(&local)));
  pthread_mutex_init(&local, NULL);
  pthread_mutex_lock(&local);
  printf("mutex_destroy, locked: %s\n", name_of(pthread_mutex_destroy(&local)));
  pthread_mutex_unlock(&local);
  printf("mutex_destroy after unlocking: %s\n", name_of(pthread_mutex_destroy(&local)));

  int fds[2];
  if (pipe(fds) != 0) {
    return 1;
  }
  int copy = dup3(fds[0], 50, O_CLOEXEC);
  printf("dup3 to 50 with O_CLOEXEC: %d, FD_CLOEXEC %s\n", copy, (fcntl(50, F_GETFD) & FD_CLOEXEC) ? "set" : "clear");
  errno = 0;
  rc = dup3(fds[0], fds[0], 0);
  printf("dup3 onto itself: %d %s\n", rc, strerror(errno));
  errno = 0;
  rc = dup3(fds[0], 51, 12345);
  printf("dup3 with a bad flag: %d %s\n", rc, strerror(errno));
  if (write(fds[1], "d", 1) != 1) {
    return 1;
  }
  char byte = 0;
  ssize_t got = read(50, &byte, 1);
  printf("read through the dup3 copy: %zd '%c'\n", got, byte);

  pthread_t a, b;
  pthread_create(&a, NULL, take_turns, (void *)0L);
  pthread_create(&b, NULL, take_turns, (void *)1L);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("two threads took 400 turns with pthread_yield: %s\n", atomic_load(&turn) == 400 ? "yes" : "no");
  printf("#nocompare yields %ld\n", atomic_load(&yields));
  return 0;
}
