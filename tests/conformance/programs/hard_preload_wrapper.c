/* hard_preload_wrapper.c - another preloaded library wraps usleep (dlsym(RTLD_NEXT) to the next one): a usleep in a constructor, before main, and one in main. How many calls did the wrapper see? */
/* sprig: own-test */
/* test_hard_cases.py runs it with the wrapper preloaded (natively) and with
 * libsprig.so then the wrapper (under sprig), as `sprig` does with an
 * existing LD_PRELOAD. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static int wrapper_count(void) {
  int *count = (int *)dlsym(RTLD_DEFAULT, "wrapped_usleep_calls");
  return count == NULL ? -1 : *count;
}

static int before_main;

__attribute__((constructor)) static void sleep_before_main(void) {
  usleep(1000);
  before_main = wrapper_count();
}

int main(void) {
  alarm(20);
  printf("calls the wrapper saw before main: %d\n", before_main);
  usleep(1000);
  printf("calls the wrapper saw after main's usleep: %d\n", wrapper_count());
  return 0;
}
