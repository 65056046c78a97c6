/* div_cancel_libc_points.c - a divergence sprig(7) lists ("Cancellation points inside libc"): a thread with a cancel pending goes through open(), a cancellation point sprig does not interpose, and is cancelled only at the next interposed one (usleep). */
/* sprig: own-test */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int opened = -2;
static int slept;

static void *cancels_itself(void *arg) {
  pthread_cancel(pthread_self()); /* deferred: pending until a cancellation point */
  opened = open("/dev/null", O_RDONLY);
  usleep(1000);
  slept = 1;
  return arg;
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, cancels_itself, NULL);
  void *result = NULL;
  pthread_join(thread, &result);
  printf("canceled: %s\n", result == PTHREAD_CANCELED ? "yes" : "no");
  printf("open() returned before the cancel acted: %s\n", opened >= 0 ? "yes" : "no");
  printf("the code after usleep() ran: %s\n", slept ? "yes" : "no");
  return 0;
}
