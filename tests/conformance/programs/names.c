/* names.c - pthread_setname_np/getname_np: set and read back, ERANGE for a 16+ char name and for a too small buffer, default names. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *named_worker(void *arg) {
  (void)arg;
  char name[32] = "";
  pthread_setname_np(pthread_self(), "worker-self");
  usleep(100000);
  pthread_getname_np(pthread_self(), name, sizeof name);
  printf("name set by the thread itself: %s\n", name);
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  usleep(300000);
  return NULL;
}

int main(void) {
  alarm(20);
  char name[32];
  pthread_t worker;
  pthread_create(&worker, NULL, named_worker, NULL);
  pthread_join(worker, NULL);

  pthread_t other;
  pthread_create(&other, NULL, sleeper, NULL);
  /* A new thread's name is inherited from its creator (the program name natively). */
  memset(name, 0, sizeof name);
  int rc = pthread_getname_np(other, name, sizeof name);
  printf("default name of a new thread: rc=%s name=\"%s\"\n", strerror(rc), name);

  printf("set 15 chars: %s\n", strerror(pthread_setname_np(other, "abcdefghijklmno")));
  memset(name, 0, sizeof name);
  rc = pthread_getname_np(other, name, sizeof name);
  printf("get: %s \"%s\"\n", strerror(rc), name);
  printf("set 16 chars: %s\n", strerror(pthread_setname_np(other, "abcdefghijklmnop")));
  printf("set 40 chars: %s\n",
         strerror(pthread_setname_np(other, "0123456789012345678901234567890123456789")));
  memset(name, 0, sizeof name);
  pthread_getname_np(other, name, sizeof name);
  printf("name unchanged after ERANGE: \"%s\"\n", name);

  printf("set empty name: %s\n", strerror(pthread_setname_np(other, "")));
  memset(name, 'x', sizeof name);
  rc = pthread_getname_np(other, name, sizeof name);
  printf("get empty: %s \"%s\"\n", strerror(rc), name);

  pthread_setname_np(other, "short");
  char small[4];
  printf("get into a 4-byte buffer: %s\n", strerror(pthread_getname_np(other, small, sizeof small)));
  char exact[6];
  rc = pthread_getname_np(other, exact, sizeof exact);
  printf("get into a 6-byte buffer: %s \"%s\"\n", strerror(rc), rc == 0 ? exact : "");
  char too_small_16[15];
  pthread_setname_np(other, "fourteen-chars");
  rc = pthread_getname_np(other, too_small_16, sizeof too_small_16);
  printf("get 14 chars into 15 bytes: %s\n", strerror(rc));

  printf("set main's name: %s\n", strerror(pthread_setname_np(pthread_self(), "main-green")));
  memset(name, 0, sizeof name);
  pthread_getname_np(pthread_self(), name, sizeof name);
  printf("main's name: \"%s\"\n", name);
  pthread_join(other, NULL);
  return 0;
}
