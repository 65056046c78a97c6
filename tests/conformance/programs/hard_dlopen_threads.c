/* hard_dlopen_threads.c - dlopen()s the library named by argv[1] (libs/dlopen_workers.c): its constructor's thread and the threads its functions create (a shared mutex held across sleeps) run and finish, from main and from two threads at once, then dlclose. */
/* sprig: green own-test */
/* own-test: test_hard_cases.py builds the library into a temporary directory and passes its path. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

typedef int (*started_fn)(void);
typedef int (*run_fn)(int count, int rounds, long *done);
typedef long (*counter_fn)(void);
typedef int (*stop_fn)(void);

struct library {
  void *handle;
  started_fn started;
  run_fn run;
  counter_fn counter;
  stop_fn stop;
};

enum { kWorkers = 8, kRounds = 10 };

static int open_library(const char *path, struct library *library) {
  library->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library->handle == NULL) {
    printf("dlopen failed: %s\n", dlerror());
    return -1;
  }
  library->started = (started_fn)dlsym(library->handle, "workers_housekeeper_started");
  library->run = (run_fn)dlsym(library->handle, "workers_run");
  library->counter = (counter_fn)dlsym(library->handle, "workers_counter");
  library->stop = (stop_fn)dlsym(library->handle, "workers_stop");
  if (!library->started || !library->run || !library->counter || !library->stop) {
    printf("dlsym failed\n");
    return -1;
  }
  return 0;
}

struct caller {
  struct library *library;
  int created;
  long done;
};

static void *call_run(void *arg) {
  struct caller *caller = arg;
  caller->created = caller->library->run(kWorkers, kRounds, &caller->done);
  return NULL;
}

/* The whole sequence, from whichever thread calls it: returns 0 when every figure was right. */
static void *open_use_close(void *arg) {
  const char *path = arg;
  struct library library;
  if (open_library(path, &library) != 0) {
    return (void *)1;
  }
  printf("housekeeping thread started by the constructor: %d\n", library.started());

  long done = 0;
  int created = library.run(kWorkers, kRounds, &done);
  printf("one caller: %d threads created and joined, %ld increments, counter %ld\n", created, done, library.counter());

  struct caller callers[2] = {{&library, 0, 0}, {&library, 0, 0}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) {
    pthread_create(&threads[i], NULL, call_run, &callers[i]);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(threads[i], NULL);
    printf("caller thread %d: %d threads created and joined, %ld increments\n", i, callers[i].created, callers[i].done);
  }
  printf("counter after both callers: %ld (expected %d)\n", library.counter(), 3 * kWorkers * kRounds);

  usleep(20000);
  int rounds = library.stop();
  printf("housekeeping thread woke on its timeout several times and was joined: %s\n", rounds >= 5 ? "yes" : "no");
  printf("#nocompare housekeeping rounds: %d\n", rounds);
  printf("dlclose: %d\n", dlclose(library.handle));
  return NULL;
}

int main(int argc, char **argv) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 2) {
    fprintf(stderr, "usage: %s LIBRARY.so\n", argv[0]);
    return 2;
  }
  printf("-- from main\n");
  if (open_use_close(argv[1]) != NULL) {
    return 1;
  }
  /* Again from a thread: the library is loaded anew, its constructor runs on that thread. */
  printf("-- from a thread\n");
  pthread_t thread;
  void *result = NULL;
  pthread_create(&thread, NULL, open_use_close, argv[1]);
  pthread_join(thread, &result);
  return result == NULL ? 0 : 1;
}
