/* stats_known.c - known counts for SPRIG_STATS: 10 threads each lock and unlock a mutex 100 times and sleep 5 times 1 ms; main reads a 64 MiB file in one read() (a call that holds the worker). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { kThreads = 10, kLocks = 100, kSleeps = 5, kFileBytes = 64 << 20 };

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *work(void *arg) {
  for (int i = 0; i < kLocks; i++) {
    pthread_mutex_lock(&mutex);
    counter++;
    pthread_mutex_unlock(&mutex);
  }
  for (int i = 0; i < kSleeps; i++) {
    usleep(1000);
  }
  return arg;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    return 2;
  }
  char *buffer = malloc(kFileBytes);
  /* The test makes the file; one read() copies all of it, without parking. */
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  ssize_t got = read(fd, buffer, kFileBytes);
  close(fd);
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, work, NULL);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  printf("counter=%ld read=%zd\n", counter, got);
  return 0;
}
