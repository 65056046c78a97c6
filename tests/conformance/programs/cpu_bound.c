/* cpu_bound.c - one thread computes for 300 ms without a call; another ticks every 5 ms: does it tick meanwhile? */
/* sprig: own-test */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile long long spin_start_ns, spin_end_ns;
static long long tick_ns[400];
static volatile int ticks;

static long long now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void *ticker(void *arg) {
  for (int i = 0; i < 200; i++) {
    usleep(5000);
    tick_ns[ticks++] = now_ns();
  }
  return arg;
}

static void *spinner(void *arg) {
  usleep(50000); /* let the ticker get going */
  spin_start_ns = now_ns();
  while (now_ns() - spin_start_ns < 300000000LL) {
  }
  spin_end_ns = now_ns();
  return arg;
}

int main(void) {
  alarm(20);
  pthread_t a, b;
  pthread_create(&a, NULL, ticker, NULL);
  pthread_create(&b, NULL, spinner, NULL);
  pthread_join(b, NULL);
  pthread_join(a, NULL);
  int during = 0;
  for (int i = 0; i < ticks; i++) {
    if (tick_ns[i] > spin_start_ns + 20000000LL && tick_ns[i] < spin_end_ns) {
      during++;
    }
  }
  printf("ticks_during_spin=%d ticks=%d\n", during, ticks);
  return 0;
}
