/* pshared_locks_processes.c - process-shared mutexes (normal, recursive, error-checking, robust), rwlocks and semaphores (sem_init with pshared, and sem_open) used by threads of two processes at once, with a witness thread that keeps ticking while a thread waits for the other process. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 4, kRounds = 1500, kPingPongs = 300 };

struct shared {
  pthread_mutex_t counter_lock;
  long counter;
  pthread_mutex_t robust;
  pthread_mutex_t recursive;
  pthread_mutex_t errorcheck;
  pthread_rwlock_t rwlock;
  long guarded[4];
  sem_t ping;
  sem_t pong;
  sem_t ready;
};

static struct shared *shm;
static atomic_int ticks;
static atomic_int stop_witness;

static const char *name_of(int error) {
  switch (error) {
  case 0:
    return "0";
  case EBUSY:
    return "EBUSY";
  case EDEADLK:
    return "EDEADLK";
  case EPERM:
    return "EPERM";
  case ETIMEDOUT:
    return "ETIMEDOUT";
  case EOWNERDEAD:
    return "EOWNERDEAD";
  case EAGAIN:
    return "EAGAIN";
  }
  return "other";
}

static struct timespec realtime_in_ms(long ms) {
  struct timespec when;
  clock_gettime(CLOCK_REALTIME, &when);
  when.tv_nsec += ms * 1000000;
  if (when.tv_nsec >= 1000000000) {
    when.tv_sec++;
    when.tv_nsec -= 1000000000;
  }
  return when;
}

static void *witness(void *arg) {
  while (!atomic_load(&stop_witness)) {
    usleep(2000);
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

static void *add_under_lock(void *arg) {
  for (int i = 0; i < kRounds; i++) {
    pthread_mutex_lock(&shm->counter_lock);
    long seen = shm->counter;
    if (i % 100 == 0) {
      sched_yield(); /* let the other process find the lock held */
    }
    shm->counter = seen + 1;
    pthread_mutex_unlock(&shm->counter_lock);
  }
  return arg;
}

/* Threads of both processes add to one counter under one mutex. */
static void contended_counter(void) {
  fflush(stdout);
  pid_t child = fork();
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, add_under_lock, NULL);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  if (child == 0) {
    _exit(0);
  }
  waitpid(child, NULL, 0);
  printf("counter after %d threads x %d rounds in 2 processes: %ld\n", kThreads, kRounds,
         shm->counter);
}

/* The child holds the mutex for 200 ms; main waits for it while a witness ticks. */
static void wait_for_other_process(void) {
  sem_init(&shm->ready, 1, 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&shm->counter_lock);
    sem_post(&shm->ready);
    usleep(200000);
    pthread_mutex_unlock(&shm->counter_lock);
    _exit(0);
  }
  sem_wait(&shm->ready);
  pthread_t watcher;
  atomic_store(&ticks, 0);
  atomic_store(&stop_witness, 0);
  pthread_create(&watcher, NULL, witness, NULL);
  printf("trylock while the other process holds it: %s\n",
         name_of(pthread_mutex_trylock(&shm->counter_lock)));
  int rc = pthread_mutex_lock(&shm->counter_lock);
  int ticked = atomic_load(&ticks);
  pthread_mutex_unlock(&shm->counter_lock);
  atomic_store(&stop_witness, 1);
  pthread_join(watcher, NULL);
  waitpid(child, NULL, 0);
  printf("lock after the other process unlocks: %s, witness ticked meanwhile: %s\n", name_of(rc),
         ticked >= 10 ? "yes" : "no");
  struct timespec soon = realtime_in_ms(30);
  child = fork();
  if (child == 0) {
    pthread_mutex_lock(&shm->counter_lock);
    sem_post(&shm->ready);
    usleep(300000);
    pthread_mutex_unlock(&shm->counter_lock);
    _exit(0);
  }
  sem_wait(&shm->ready);
  printf("timedlock for 30 ms while the other process holds it for 300 ms: %s\n",
         name_of(pthread_mutex_timedlock(&shm->counter_lock, &soon)));
  waitpid(child, NULL, 0);
}

/* A process dies holding the robust mutex: the next locker is told. */
static void robust_owner_dies(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&shm->robust);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  int rc = pthread_mutex_lock(&shm->robust);
  printf("lock of a robust mutex whose process died holding it: %s\n", name_of(rc));
  if (rc == EOWNERDEAD) {
    printf("pthread_mutex_consistent: %s\n", name_of(pthread_mutex_consistent(&shm->robust)));
  }
  printf("unlock: %s\n", name_of(pthread_mutex_unlock(&shm->robust)));
  printf("lock again: %s\n", name_of(pthread_mutex_lock(&shm->robust)));
  pthread_mutex_unlock(&shm->robust);
}

static atomic_int phase;

static void wait_phase(int wanted) {
  for (int i = 0; i < 10000 && atomic_load(&phase) < wanted; i++) {
    usleep(1000);
  }
}

static void *other_thread(void *arg) {
  (void)arg;
  wait_phase(1);
  printf("another thread: trylock of the recursive mutex main holds twice: %s\n",
         name_of(pthread_mutex_trylock(&shm->recursive)));
  printf("another thread: unlock of the recursive mutex main holds: %s\n",
         name_of(pthread_mutex_unlock(&shm->recursive)));
  printf("another thread: unlock of the error-checking mutex main holds: %s\n",
         name_of(pthread_mutex_unlock(&shm->errorcheck)));
  printf("another thread: tryrdlock while main holds the write lock: %s\n",
         name_of(pthread_rwlock_tryrdlock(&shm->rwlock)));
  atomic_store(&phase, 2);
  printf("another thread: lock of the recursive mutex, which main then releases: %s\n",
         name_of(pthread_mutex_lock(&shm->recursive)));
  pthread_mutex_unlock(&shm->recursive);
  printf("another thread: rdlock after main's unlock: %s\n",
         name_of(pthread_rwlock_rdlock(&shm->rwlock)));
  pthread_rwlock_unlock(&shm->rwlock);
  return NULL;
}

/* The owner of a checked kind is the thread, not the process. */
static void owners_are_threads(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, other_thread, NULL);
  int first = pthread_mutex_lock(&shm->recursive);
  int second = pthread_mutex_lock(&shm->recursive);
  printf("recursive lock, twice: %s %s\n", name_of(first), name_of(second));
  first = pthread_mutex_lock(&shm->errorcheck);
  second = pthread_mutex_lock(&shm->errorcheck);
  printf("error-checking lock, twice: %s %s\n", name_of(first), name_of(second));
  first = pthread_rwlock_wrlock(&shm->rwlock);
  second = pthread_rwlock_rdlock(&shm->rwlock);
  int third = pthread_rwlock_wrlock(&shm->rwlock);
  printf("write lock, then rdlock and wrlock by the same thread: %s %s %s\n", name_of(first),
         name_of(second), name_of(third));
  atomic_store(&phase, 1);
  wait_phase(2);
  usleep(20000); /* the other thread now waits for the recursive mutex */
  pthread_mutex_unlock(&shm->recursive);
  pthread_mutex_unlock(&shm->recursive);
  pthread_mutex_unlock(&shm->errorcheck);
  pthread_rwlock_unlock(&shm->rwlock);
  pthread_join(thread, NULL);
}

/* main holds the error-checking mutex and the write lock, then forks: the
 * child is another thread to glibc, so it is refused the unlock and waits
 * for the lock until main releases them. */
static void child_of_a_holder(void) {
  pthread_mutex_lock(&shm->errorcheck);
  pthread_rwlock_wrlock(&shm->rwlock);
  sem_init(&shm->ready, 1, 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    alarm(20); /* a child does not inherit main's */
    int trylock = pthread_mutex_trylock(&shm->errorcheck);
    int unlock = pthread_mutex_unlock(&shm->errorcheck);
    int trywrlock = pthread_rwlock_trywrlock(&shm->rwlock);
    sem_post(&shm->ready);
    int lock = pthread_mutex_lock(&shm->errorcheck);
    int wrlock = pthread_rwlock_wrlock(&shm->rwlock);
    printf("the child of a holder: trylock %s, unlock %s, trywrlock %s; after main's release: "
           "lock %s, wrlock %s\n",
           name_of(trylock), name_of(unlock), name_of(trywrlock), name_of(lock), name_of(wrlock));
    fflush(stdout);
    pthread_rwlock_unlock(&shm->rwlock);
    pthread_mutex_unlock(&shm->errorcheck);
    _exit(0);
  }
  sem_wait(&shm->ready);
  usleep(50000);
  pthread_rwlock_unlock(&shm->rwlock);
  pthread_mutex_unlock(&shm->errorcheck);
  waitpid(child, NULL, 0);
}

/* Readers and writers of both processes: a writer sees no reader midway. */
static void *rwlock_user(void *arg) {
  (void)arg;
  long mismatches = 0;
  for (int i = 0; i < 400; i++) {
    if (i % 4 == 0) {
      pthread_rwlock_wrlock(&shm->rwlock);
      for (int k = 0; k < 4; k++) {
        shm->guarded[k]++;
        if (k == 1) {
          sched_yield();
        }
      }
      pthread_rwlock_unlock(&shm->rwlock);
    } else {
      pthread_rwlock_rdlock(&shm->rwlock);
      long first = shm->guarded[0];
      sched_yield();
      for (int k = 1; k < 4; k++) {
        mismatches += shm->guarded[k] != first;
      }
      pthread_rwlock_unlock(&shm->rwlock);
    }
  }
  return (void *)mismatches;
}

static void readers_and_writers(void) {
  fflush(stdout);
  pid_t child = fork();
  pthread_t threads[3];
  long mismatches = 0;
  for (int i = 0; i < 3; i++) {
    pthread_create(&threads[i], NULL, rwlock_user, NULL);
  }
  for (int i = 0; i < 3; i++) {
    void *result;
    pthread_join(threads[i], &result);
    mismatches += (long)result;
  }
  if (child == 0) {
    _exit(mismatches == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("rwlock in 2 processes: %ld writes, torn reads here %ld, in the other process %s\n",
         shm->guarded[0], mismatches, WEXITSTATUS(status) == 0 ? "0" : "some");
}

/* Semaphores: ping-pong between two processes, then a named one. */
static void semaphores(void) {
  sem_init(&shm->ping, 1, 0);
  sem_init(&shm->pong, 1, 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < kPingPongs; i++) {
      sem_wait(&shm->ping);
      sem_post(&shm->pong);
    }
    _exit(0);
  }
  int answered = 0;
  for (int i = 0; i < kPingPongs; i++) {
    sem_post(&shm->ping);
    answered += sem_wait(&shm->pong) == 0;
  }
  waitpid(child, NULL, 0);
  int value = -1;
  sem_getvalue(&shm->pong, &value);
  printf("sem_init(pshared) ping-pong: %d of %d answered, value now %d\n", answered, kPingPongs,
         value);
  struct timespec soon = realtime_in_ms(20);
  int rc = sem_timedwait(&shm->pong, &soon);
  printf("sem_timedwait with nothing posted: %d %s\n", rc, name_of(rc == 0 ? 0 : errno));
  errno = 0;
  rc = sem_trywait(&shm->pong);
  printf("sem_trywait with nothing posted: %d %s\n", rc, name_of(rc == 0 ? 0 : errno));

  char name[64];
  snprintf(name, sizeof name, "/pshared_locks_%d", (int)getpid());
  sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
  if (named == SEM_FAILED) {
    printf("sem_open failed\n");
    return;
  }
  fflush(stdout);
  child = fork();
  if (child == 0) {
    sem_t *mine = sem_open(name, 0);
    usleep(50000);
    sem_post(mine);
    sem_post(mine);
    _exit(0);
  }
  int first = sem_wait(named);
  int second = sem_wait(named);
  waitpid(child, NULL, 0);
  sem_getvalue(named, &value);
  printf("sem_open: two posts of the other process waited for: %d %d, value now %d\n", first,
         second, value);
  sem_close(named);
  sem_unlink(name);
}

static void init_mutex(pthread_mutex_t *mutex, int type, int robust) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_settype(&attr, type);
  if (robust) {
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  }
  pthread_mutex_init(mutex, &attr);
  pthread_mutexattr_destroy(&attr);
}

int main(void) {
  alarm(20);
  shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED) {
    return 1;
  }
  init_mutex(&shm->counter_lock, PTHREAD_MUTEX_NORMAL, 0);
  init_mutex(&shm->robust, PTHREAD_MUTEX_NORMAL, 1);
  init_mutex(&shm->recursive, PTHREAD_MUTEX_RECURSIVE, 0);
  init_mutex(&shm->errorcheck, PTHREAD_MUTEX_ERRORCHECK, 0);
  pthread_rwlockattr_t rwlock_attr;
  pthread_rwlockattr_init(&rwlock_attr);
  pthread_rwlockattr_setpshared(&rwlock_attr, PTHREAD_PROCESS_SHARED);
  pthread_rwlock_init(&shm->rwlock, &rwlock_attr);

  contended_counter();
  wait_for_other_process();
  robust_owner_dies();
  owners_are_threads();
  child_of_a_holder();
  readers_and_writers();
  semaphores();
  printf("destroy: %s %s\n", name_of(pthread_mutex_destroy(&shm->counter_lock)),
         name_of(pthread_rwlock_destroy(&shm->rwlock)));
  return 0;
}
