/* signals_own.c - a program with its own SIGUSR1 and SIGURG handlers and a SIGSEGV handler, parked in a sleep: `sprig ps` still answers and the handlers stay the program's. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count;

static void on_usr1(int number) {
  (void)number;
  usr1_count++;
}

static void on_segv(int number) {
  (void)number;
  _exit(7);
}

int main(void) {
  alarm(30);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_usr1;
  sigaction(SIGUSR1, &action, NULL);
  sigaction(SIGURG, &action, NULL);
  action.sa_handler = on_segv;
  sigaction(SIGSEGV, &action, NULL);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < 50 && usr1_count < 3; i++) {
    usleep(20000);
  }
  struct sigaction current;
  sigaction(SIGSEGV, NULL, &current);
  printf("usr1=%d segv_handler_kept=%d\n", (int)usr1_count, current.sa_handler == on_segv);
  return 0;
}
