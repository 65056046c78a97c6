/* hard_stack_eagain.c - pthread_create when no stack can be mapped (RLIMIT_AS lowered to the current size plus 40 MiB): EAGAIN for a 256 MiB stack, two 16 MiB stacks fit and the third gets EAGAIN, small threads still start; the program goes on, and with the limit raised again the 256 MiB stack works. */
/* sprig: green */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { kSleepers = 4, kMaxBig = 10 };
#define MIB (1024UL * 1024UL)

static const char *errno_name(int error) {
  switch (error) {
  case 0: return "ok";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EINVAL: return "EINVAL";
  default: return strerror(error);
  }
}

/* The process's address-space size, from /proc/self/status (bytes). */
static unsigned long vm_size(void) {
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  unsigned long kib = 0;
  while (status != NULL && fgets(line, sizeof line, status) != NULL) {
    if (sscanf(line, "VmSize: %lu kB", &kib) == 1) {
      break;
    }
  }
  if (status != NULL) {
    fclose(status);
  }
  return kib * 1024;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static int release;

/* Waits until main says so. */
static void *wait_for_release(void *arg) {
  pthread_mutex_lock(&lock);
  while (!release) {
    pthread_cond_wait(&released, &lock);
  }
  pthread_mutex_unlock(&lock);
  return arg;
}

static void *add_one(void *arg) { return (void *)((long)arg + 1); }

static int create_with_stack(pthread_t *thread, size_t stack_size, void *(*start)(void *), void *arg) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_size);
  int rc = pthread_create(thread, &attr, start, arg);
  pthread_attr_destroy(&attr);
  return rc;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_t sleepers[kSleepers];
  for (long i = 0; i < kSleepers; i++) {
    create_with_stack(&sleepers[i], 64 * 1024, wait_for_release, (void *)i);
  }

  struct rlimit original;
  getrlimit(RLIMIT_AS, &original);
  struct rlimit lowered = original;
  lowered.rlim_cur = vm_size() + 40 * MIB;
  if (setrlimit(RLIMIT_AS, &lowered) != 0) {
    perror("setrlimit");
    return 1;
  }

  pthread_t big;
  int rc = create_with_stack(&big, 256 * MIB, add_one, NULL);
  printf("a 256 MiB stack under the lowered limit: %s\n", errno_name(rc));

  pthread_t bigs[kMaxBig];
  int created = 0;
  rc = 0;
  while (created < kMaxBig && (rc = create_with_stack(&bigs[created], 16 * MIB, wait_for_release, NULL)) == 0) {
    created++;
  }
  printf("16 MiB stacks: %d created, then %s\n", created, errno_name(rc));

  pthread_t small;
  void *value = NULL;
  rc = create_with_stack(&small, 64 * 1024, add_one, (void *)41);
  int joined = rc == 0 ? pthread_join(small, &value) : -1;
  printf("a 64 KiB stack still: %s, joined %s, result %ld\n", errno_name(rc), joined == 0 ? "yes" : "no", (long)value);

  usleep(50000); /* long enough for the harness to see the threads natively */
  pthread_mutex_lock(&lock);
  release = 1;
  pthread_cond_broadcast(&released);
  pthread_mutex_unlock(&lock);
  int all_joined = 1;
  for (int i = 0; i < created; i++) {
    all_joined = all_joined && pthread_join(bigs[i], NULL) == 0;
  }
  for (int i = 0; i < kSleepers; i++) {
    all_joined = all_joined && pthread_join(sleepers[i], NULL) == 0;
  }
  printf("every thread created was joined: %s\n", all_joined ? "yes" : "no");

  setrlimit(RLIMIT_AS, &original);
  value = NULL;
  rc = create_with_stack(&big, 256 * MIB, add_one, (void *)1);
  joined = rc == 0 ? pthread_join(big, &value) : -1;
  printf("a 256 MiB stack with the limit raised again: %s, result %ld\n", errno_name(rc), (long)value);
  return 0;
}
