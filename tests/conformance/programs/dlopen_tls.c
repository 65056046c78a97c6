/* dlopen_tls.c - dynamic TLS from a library loaded with dlopen() (path in argv[1]) while 10 threads already run: each of them, 10 created later and main get their own instance, from the library's image; after 3,000 more threads that touched it, the heap has not grown by their blocks (freed at thread exit). */
/* sprig: own-test */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define EARLY 10
#define LATE 10

static int *(*lib_counter_address)(void);
static int (*lib_bump)(int);
static int (*lib_buffer_is_image)(void);
static void (*lib_buffer_set)(const char *);
static atomic_int loaded;
static atomic_int wrong;
static int *addresses[EARLY + LATE + 1];

static void use_library(int index) {
  if (*lib_counter_address() != 42 || !lib_buffer_is_image()) {
    atomic_fetch_add(&wrong, 1);
  }
  addresses[index] = lib_counter_address();
  char text[32];
  snprintf(text, sizeof text, "thread %d", index);
  lib_buffer_set(text);
  for (int step = 0; step < 10; step++) {
    lib_bump(index);
    usleep(100);
  }
  if (*lib_counter_address() != 42 + 10 * index) {
    atomic_fetch_add(&wrong, 1);
  }
}

static void *early(void *argument) {
  for (int nap = 0; !atomic_load(&loaded) && nap < 5000; nap++) {
    usleep(1000); /* started before the library is loaded */
  }
  use_library((int)(long)argument);
  return NULL;
}

static void *late(void *argument) {
  use_library((int)(long)argument);
  return NULL;
}

static void *touch_once(void *argument) {
  (void)argument;
  lib_buffer_set("touched");
  return NULL;
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc < 2) {
    return 2;
  }
  pthread_t threads[EARLY + LATE];
  for (long i = 0; i < EARLY; i++) {
    pthread_create(&threads[i], NULL, early, (void *)(i + 1));
  }
  void *library = dlopen(argv[1], RTLD_NOW);
  if (library == NULL) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  lib_counter_address = (int *(*)(void))dlsym(library, "lib_counter_address");
  lib_bump = (int (*)(int))dlsym(library, "lib_bump");
  lib_buffer_is_image = (int (*)(void))dlsym(library, "lib_buffer_is_image");
  lib_buffer_set = (void (*)(const char *))dlsym(library, "lib_buffer_set");
  atomic_store(&loaded, 1);
  for (long i = EARLY; i < EARLY + LATE; i++) {
    pthread_create(&threads[i], NULL, late, (void *)(i + 1));
  }
  use_library(0);
  for (int i = 0; i < EARLY + LATE; i++) {
    pthread_join(threads[i], NULL);
  }
  int distinct = 1;
  for (int i = 0; i <= EARLY + LATE; i++) {
    for (int j = 0; j < i; j++) {
      distinct &= addresses[i] != addresses[j];
    }
  }
  printf("threads %d, wrong values %d, distinct instances %d\n", EARLY + LATE + 1, atomic_load(&wrong),
         distinct);
  printf("main's counter %d\n", *lib_counter_address());

  /* Each thread below allocates a 4 KiB block for the library's TLS; a
   * thread's block is freed when it exits. */
  size_t before = mallinfo2().uordblks;
  for (int round = 0; round < 300; round++) {
    pthread_t batch[10];
    for (int i = 0; i < 10; i++) {
      pthread_create(&batch[i], NULL, touch_once, NULL);
    }
    for (int i = 0; i < 10; i++) {
      pthread_join(batch[i], NULL);
    }
  }
  size_t grown = mallinfo2().uordblks - before;
  printf("3000 threads later the heap grew by less than 1 MiB: %s\n", grown < (1u << 20) ? "yes" : "no");
  return 0;
}
