/* self_equal.c - pthread_self inside a thread equals the id pthread_create gave; pthread_equal tells threads apart. */
/* sprig: green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

enum { kThreads = 20 };

static pthread_t main_thread;

struct slot {
  pthread_t seen_self;
  int equal_to_main;
  int self_equal_self;
};

static void *worker(void *arg) {
  struct slot *slot = arg;
  usleep(100000);
  slot->seen_self = pthread_self();
  slot->equal_to_main = pthread_equal(slot->seen_self, main_thread) != 0;
  slot->self_equal_self = pthread_equal(pthread_self(), pthread_self()) != 0;
  return NULL;
}

int main(void) {
  alarm(20);
  main_thread = pthread_self();
  pthread_t threads[kThreads];
  struct slot slots[kThreads] = {0};
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, worker, &slots[i]);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  int self_matches = 0, equal_to_main = 0, self_self = 0, distinct = 1;
  for (int i = 0; i < kThreads; i++) {
    self_matches += pthread_equal(slots[i].seen_self, threads[i]) != 0;
    equal_to_main += slots[i].equal_to_main;
    self_self += slots[i].self_equal_self;
    for (int j = 0; j < i; j++) {
      if (pthread_equal(threads[i], threads[j])) {
        distinct = 0;
      }
    }
  }
  printf("pthread_self matches the created id: %d of %d\n", self_matches, kThreads);
  printf("thread ids equal to main's: %d\n", equal_to_main);
  printf("pthread_equal(self, self) true: %d of %d\n", self_self, kThreads);
  printf("ids of live threads distinct: %s\n", distinct ? "yes" : "no");
  printf("main: pthread_equal(self, main_thread) = %d\n", pthread_equal(pthread_self(), main_thread) != 0);
  return 0;
}
