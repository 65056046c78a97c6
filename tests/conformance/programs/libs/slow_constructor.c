/* slow_constructor.c - a shared library whose constructor sleeps 100 ms before it marks the library ready (built by test_hard_cases.py). */
#include <unistd.h>

static volatile int ready;

__attribute__((constructor)) static void slow_start(void) {
  usleep(100000);
  ready = 1;
}

int slow_constructor_ready(void) { return ready; }
