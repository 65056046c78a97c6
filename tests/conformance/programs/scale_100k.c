/* scale_100k.c - creates up to N (default 100,000) threads that each sleep 1 s, then joins them; reports where creation failed. */
/* sprig: own-test green */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg) {
  (void)arg;
  sleep(1);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(120);
  long wanted = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
  if (wanted <= 0 || wanted > 10000000) {
    fprintf(stderr, "usage: %s [threads]\n", argv[0]);
    return 2;
  }
  pthread_t *threads = calloc((size_t)wanted, sizeof *threads);
  if (threads == NULL) {
    return 2;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long created = 0;
  int create_error = 0;
  for (; created < wanted; created++) {
    int rc = pthread_create(&threads[created], NULL, sleeper, NULL);
    if (rc != 0) {
      create_error = rc;
      break;
    }
  }
  printf("created=%ld wanted=%ld error=%s\n", created, wanted,
         create_error == 0 ? "none" : strerrorname_np(create_error));
  fflush(stdout);
  long joined = 0;
  for (long i = 0; i < created; i++) {
    joined += pthread_join(threads[i], NULL) == 0;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  printf("joined=%ld seconds=%.2f\n", joined, seconds);
  free(threads);
  return create_error == 0 ? 0 : 1;
}
