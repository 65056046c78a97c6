/* div_dlopen_static_tls.c - a library with an initial-exec thread-local variable (initialised to 42) loaded with dlopen() (path in argv[1]) while a thread already runs: what do that thread, main, and a thread started afterwards read? */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Initial-exec TLS of a library loaded while
 * green threads run"): glibc copies such a module's image into the threads
 * it knows (main among them), not into green threads that exist at the
 * dlopen(); threads made afterwards get it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_int loaded;
static int (*ie_read)(void);

static void *started_before(void *unused) {
  (void)unused;
  for (int nap = 0; !atomic_load(&loaded) && nap < 5000; nap++) {
    usleep(1000);
  }
  printf("a thread started before the dlopen() reads %d\n", ie_read());
  return NULL;
}

static void *started_after(void *unused) {
  (void)unused;
  printf("a thread started after the dlopen() reads %d\n", ie_read());
  return NULL;
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc < 2) {
    return 2;
  }
  pthread_t before;
  pthread_create(&before, NULL, started_before, NULL);
  void *library = dlopen(argv[1], RTLD_NOW);
  if (library == NULL) {
    printf("dlopen: %s\n", dlerror());
    return 1;
  }
  ie_read = (int (*)(void))dlsym(library, "ie_read");
  atomic_store(&loaded, 1);
  pthread_join(before, NULL);
  printf("main reads %d\n", ie_read());
  pthread_t after;
  pthread_create(&after, NULL, started_after, NULL);
  pthread_join(after, NULL);
  return 0;
}
