/* hard_dlsym_next_threads.c - dlopen()s the library named by argv[1] (libs/next_pthread_create.c), whose threads come from the pthread_create it finds with dlsym(RTLD_NEXT, ...), as jemalloc's background threads do: they run, share a mutex with the program's own threads, and finish. */
/* sprig: green own-test */
/* own-test: test_hard_cases.py builds the library into a temporary directory and passes its path. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

typedef int (*run_fn)(int, long);
typedef void (*add_fn)(long);
typedef long (*counter_fn)(void);

enum { kLibraryThreads = 8, kRounds = 20, kOwnThreads = 4, kAdds = 50 };

static add_fn add;

static void *adder(void *arg) {
  (void)arg;
  for (int i = 0; i < kAdds; i++) {
    add(1000);
    usleep(300);
  }
  return NULL;
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc < 2) {
    printf("usage: %s LIBRARY\n", argv[0]);
    return 2;
  }
  void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  run_fn run = (run_fn)dlsym(library, "next_create_run");
  add = (add_fn)dlsym(library, "next_create_add");
  counter_fn counter = (counter_fn)dlsym(library, "next_create_counter");
  if (run == NULL || add == NULL || counter == NULL) {
    printf("dlsym failed\n");
    return 1;
  }
  pthread_t own[kOwnThreads];
  for (int i = 0; i < kOwnThreads; i++) {
    pthread_create(&own[i], NULL, adder, NULL);
  }
  int rc = run(kLibraryThreads, kRounds);
  for (int i = 0; i < kOwnThreads; i++) {
    pthread_join(own[i], NULL);
  }
  printf("the library's threads ran: %d\n", rc);
  printf("counter: %ld (expected %ld)\n", counter(),
         (long)kLibraryThreads * kRounds + (long)kOwnThreads * kAdds * 1000);
  return 0;
}
