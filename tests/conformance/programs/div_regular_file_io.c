/* div_regular_file_io.c - write() and then read() calls of 16 MiB each on a 64 MiB temporary regular file (in /dev/shm when there is one), for 100 ms each: does a witness thread sleeping 1 ms at a time keep ticking during the calls? */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Regular file I/O blocks the worker"): under
 * sprig the calls run on the worker itself, so no other thread runs until
 * each returns. A slow disk cannot be had in a test; a call that takes long
 * because it copies much stands in for it: what matters is that the call is
 * made on the worker, in place, and not handed to another OS thread.
 * test_divergences.py checks both results and that the sprig run never had a
 * second OS thread (so no thread pool did the I/O). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kChunk = 16 << 20, kChunks = 4 }; /* a 64 MiB file */

static atomic_int ticks;

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}
static atomic_int stop;

static void *witness(void *arg) {
  for (int i = 0; i < 20000 && !atomic_load(&stop); i++) {
    usleep(1000);
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

int main(void) {
  alarm(20);
  const char *directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  char path[4096];
  snprintf(path, sizeof path, "%s/div_regular_file_io.XXXXXX", directory);
  int fd = mkstemp(path);
  if (fd < 0) {
    perror("mkstemp");
    return 1;
  }
  unlink(path);
  char *buffer = malloc(kChunk);
  memset(buffer, 'f', kChunk);
  pthread_t thread;
  pthread_create(&thread, NULL, witness, NULL);
  usleep(20000);

  for (int phase = 0; phase < 2; phase++) {
    int writing = phase == 0;
    int calls = 0;
    int whole = 1;
    long long started = now_ms();
    int before = atomic_load(&ticks);
    while (calls < 8 || (now_ms() - started < 100 && calls < 1000)) {
      if (calls % kChunks == 0) {
        lseek(fd, 0, SEEK_SET);
      }
      ssize_t moved = writing ? write(fd, buffer, kChunk) : read(fd, buffer, kChunk);
      whole = whole && moved == kChunk;
      calls++;
    }
    int during = atomic_load(&ticks) - before;
    printf("%s of 16 MiB for at least 100 ms, each whole: %s; the witness ticked meanwhile: %s\n",
           writing ? "write()" : "read()", whole ? "yes" : "no", during > 0 ? "yes" : "no");
  }

  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  close(fd);
  free(buffer);
  return 0;
}
