/* rwlock_before_main.c - rwlocks that a constructor write-locked and read-locked before main (natively, under sprig too) work for the threads of main afterwards. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_rwlock_t plain = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t writers_first = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static pthread_rwlock_t initialised;
static int constructor_rc;

__attribute__((constructor)) static void library_init(void) {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  constructor_rc |= pthread_rwlock_init(&initialised, &attr);
  pthread_rwlockattr_destroy(&attr);
  pthread_rwlock_t *locks[] = {&plain, &writers_first, &initialised};
  for (int i = 0; i < 3; i++) {
    constructor_rc |= pthread_rwlock_rdlock(locks[i]);
    constructor_rc |= pthread_rwlock_unlock(locks[i]);
    constructor_rc |= pthread_rwlock_wrlock(locks[i]); /* leaves glibc in a write phase */
    constructor_rc |= pthread_rwlock_unlock(locks[i]);
  }
}

static void *writer(void *arg) {
  pthread_rwlock_wrlock(arg);
  usleep(20000);
  pthread_rwlock_unlock(arg);
  return NULL;
}

static void check(const char *name, pthread_rwlock_t *lock) {
  int rd = pthread_rwlock_tryrdlock(lock);
  int rd2 = pthread_rwlock_tryrdlock(lock);
  int wr = pthread_rwlock_trywrlock(lock);
  pthread_rwlock_unlock(lock);
  pthread_rwlock_unlock(lock);
  pthread_t thread;
  pthread_rwlock_rdlock(lock);
  pthread_create(&thread, NULL, writer, lock);
  usleep(20000);
  /* the writer waits: a new reader gets past it only if readers are preferred */
  int past = pthread_rwlock_tryrdlock(lock);
  if (past == 0) {
    pthread_rwlock_unlock(lock);
  }
  pthread_rwlock_unlock(lock);
  pthread_join(thread, NULL);
  int after = pthread_rwlock_trywrlock(lock);
  pthread_rwlock_unlock(lock);
  printf("%s: tryrdlock %s, again %s, trywrlock %s; reader past a waiting writer: %s; "
         "trywrlock at the end: %s\n",
         name, strerror(rd), strerror(rd2), strerror(wr), strerror(past), strerror(after));
}

int main(void) {
  alarm(20);
  printf("constructor: %s\n", constructor_rc == 0 ? "all calls succeeded" : "a call failed");
  check("PTHREAD_RWLOCK_INITIALIZER", &plain);
  check("PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP", &writers_first);
  check("initialised to prefer writers", &initialised);
  return 0;
}
