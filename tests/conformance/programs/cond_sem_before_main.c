/* cond_sem_before_main.c - a condition variable and a semaphore used natively by a constructor, then by green threads. */
/* sprig: green */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t s;
static int ready;
__attribute__((constructor)) static void before(void) {
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts); ts.tv_nsec += 1000000; if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  pthread_mutex_lock(&m); pthread_cond_timedwait(&c, &m, &ts); pthread_cond_signal(&c); pthread_cond_broadcast(&c); pthread_mutex_unlock(&m);
  sem_init(&s, 0, 2); sem_wait(&s);
}
static void *waker(void *a) { usleep(10000); pthread_mutex_lock(&m); ready = 1; pthread_cond_signal(&c); pthread_mutex_unlock(&m); sem_post(&s); return a; }
int main(void) {
  alarm(20);
  pthread_t t; pthread_create(&t, NULL, waker, NULL);
  pthread_mutex_lock(&m); while (!ready) pthread_cond_wait(&c, &m); pthread_mutex_unlock(&m);
  pthread_join(t, NULL);
  int v; sem_getvalue(&s, &v); printf("cond ok, sem value %d\n", v);
  sem_wait(&s); sem_wait(&s); printf("sem ok\n");
  return 0;
}
