/* div_cxx_late_runtime.c - a C program loads a C++ library with dlopen() (path in argv[1]); two threads each throw their own number into a catch block that sleeps, the second while the first sleeps, then rethrow with `throw;`: what does each rethrow carry? */
/* sprig: own-test */
/* A divergence sprig(7) lists ("C++ exception state of a late C++
 * runtime"): the C++ runtime arrives only with the library, after sprig
 * started, so sprig does not switch its per-thread exception state; a green
 * thread that slept inside a catch block then rethrows the exception of the
 * thread that ran meanwhile. test_divergences.py builds the library
 * (tests/conformance/libs/div_cxx_late_runtime_lib.cpp) and checks both
 * results. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static int (*catch_wait_rethrow)(int id, unsigned park_us);

struct turn {
  int id;
  unsigned start_us;
  unsigned park_us;
  int rethrown;
};

static void *take_turn(void *arg) {
  struct turn *turn = arg;
  usleep(turn->start_us);
  turn->rethrown = catch_wait_rethrow(turn->id, turn->park_us);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc != 2) {
    fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
    return 2;
  }
  printf("the C++ runtime loaded at start: %s\n",
         dlsym(RTLD_DEFAULT, "__cxa_get_globals") != NULL ? "yes" : "no");
  void *library = dlopen(argv[1], RTLD_NOW);
  if (library == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  catch_wait_rethrow = (int (*)(int, unsigned))dlsym(library, "catch_wait_rethrow");
  /* Thread 1 sleeps 200 ms in its catch block; thread 2 comes 50 ms later and
   * sleeps 300 ms in its own: thread 1 rethrows while thread 2 is inside. */
  struct turn turns[2] = {{1, 0, 200000, 0}, {2, 50000, 300000, 0}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) {
    pthread_create(&threads[i], NULL, take_turn, &turns[i]);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(threads[i], NULL);
  }
  for (int i = 0; i < 2; i++) {
    printf("thread %d threw %d and rethrew %d\n", i + 1, turns[i].id, turns[i].rethrown);
  }
  return 0;
}
