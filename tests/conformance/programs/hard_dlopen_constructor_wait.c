/* hard_dlopen_constructor_wait.c - while one thread's dlopen() runs the library's slow constructor, a second thread's dlopen() of the same library returns only after that constructor has finished (the loader lock), so the library it gets is initialised. */
/* sprig: own-test */
/* own-test: test_hard_cases.py builds libs/slow_constructor.c and passes its path; under sprig the
 * second dlopen returns at once (sprig(7), "dlopen() does not wait for another thread's dlopen()"). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static const char *library_path;

static void *open_library(void *arg) {
  (void)arg;
  return dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc != 2) {
    fprintf(stderr, "usage: %s LIBRARY.so\n", argv[0]);
    return 2;
  }
  library_path = argv[1];
  pthread_t first;
  pthread_create(&first, NULL, open_library, NULL);
  usleep(30000); /* the first thread is inside the 100 ms constructor by now */
  void *second = open_library(NULL);
  int (*ready)(void) = second != NULL ? (int (*)(void))dlsym(second, "slow_constructor_ready") : NULL;
  printf("the second dlopen returned a library whose constructor had finished: %s\n",
         ready != NULL && ready() ? "yes" : "no");
  void *first_handle = NULL;
  pthread_join(first, &first_handle);
  printf("both dlopen calls gave the same handle: %s\n", first_handle == second ? "yes" : "no");
  printf("ready after both: %s\n", ready != NULL && ready() ? "yes" : "no");
  dlclose(second);
  dlclose(first_handle);
  return 0;
}
