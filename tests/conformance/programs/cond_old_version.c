/* cond_old_version.c - a binary linked against the old symbol version of pthread_cond_* (GLIBC_2.2.5, as programs built before glibc 2.3.2 are) gets working condition variables: signal, broadcast and timedwait between threads. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Bind these names to the compat versions, as an old binary's references are. */
int old_cond_init(pthread_cond_t *, const pthread_condattr_t *);
int old_cond_destroy(pthread_cond_t *);
int old_cond_wait(pthread_cond_t *, pthread_mutex_t *);
int old_cond_timedwait(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
int old_cond_signal(pthread_cond_t *);
int old_cond_broadcast(pthread_cond_t *);
__asm__(".symver old_cond_init, pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver old_cond_destroy, pthread_cond_destroy@GLIBC_2.2.5");
__asm__(".symver old_cond_wait, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver old_cond_timedwait, pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver old_cond_signal, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver old_cond_broadcast, pthread_cond_broadcast@GLIBC_2.2.5");

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static int ready_count;
static int go;

static void *waiter(void *arg) {
  pthread_mutex_lock(&mutex);
  ready_count++;
  old_cond_broadcast(&cond); /* tell main we are waiting (a signal might wake another waiter) */
  while (!go) {
    old_cond_wait(&cond, &mutex);
  }
  pthread_mutex_unlock(&mutex);
  return arg;
}

static int second_go;

static void *single_waiter(void *arg) {
  pthread_mutex_lock(&mutex);
  while (!second_go) {
    old_cond_wait(&cond, &mutex);
  }
  pthread_mutex_unlock(&mutex);
  return arg;
}

int main(void) {
  alarm(20);
  printf("init -> %d\n", old_cond_init(&cond, NULL));
  pthread_t threads[4];
  for (long i = 0; i < 4; i++) {
    pthread_create(&threads[i], NULL, waiter, (void *)i);
  }
  pthread_mutex_lock(&mutex);
  while (ready_count < 4) {
    old_cond_wait(&cond, &mutex);
  }
  printf("all 4 waiting\n");
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 50 * 1000 * 1000;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  int rc = old_cond_timedwait(&cond, &mutex, &deadline);
  printf("timedwait with nobody signalling -> %s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : "other");
  go = 1;
  old_cond_broadcast(&cond);
  pthread_mutex_unlock(&mutex);
  for (int i = 0; i < 4; i++) {
    void *result;
    pthread_join(threads[i], &result);
    printf("joined %ld\n", (long)result);
  }
  /* One waiter, woken by a signal. */
  pthread_t single;
  pthread_create(&single, NULL, single_waiter, (void *)7);
  usleep(20000);
  pthread_mutex_lock(&mutex);
  second_go = 1;
  old_cond_signal(&cond);
  pthread_mutex_unlock(&mutex);
  void *result;
  pthread_join(single, &result);
  printf("signalled waiter joined %ld\n", (long)result);
  printf("destroy -> %d\n", old_cond_destroy(&cond));
  return 0;
}
