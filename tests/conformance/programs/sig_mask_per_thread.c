/* sig_mask_per_thread.c - each thread has its own signal mask: a new thread inherits its creator's mask, pthread_sigmask() and sigprocmask() in one thread change only that thread's mask (Linux), the mask survives the thread parking, and main's mask is unchanged after the other threads changed theirs. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The standard signals a thread may block (SIGKILL and SIGSTOP cannot be). */
static const int kWatched[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGWINCH};
#define WATCHED_COUNT ((int)(sizeof kWatched / sizeof kWatched[0]))

static pthread_barrier_t step;

static sigset_t one(int signal_number) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_number);
  return set;
}

static sigset_t current_mask(void) {
  sigset_t mask;
  sigemptyset(&mask);
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  return mask;
}

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

static int blocked(int signal_number) {
  sigset_t mask = current_mask();
  return sigismember(&mask, signal_number) == 1;
}

/* Whether the watched signals blocked in `mask` are exactly `expected` (a 0-terminated list). */
static int mask_is(const sigset_t *mask, const int *expected) {
  for (int i = 0; i < WATCHED_COUNT; i++) {
    int want = 0;
    for (const int *e = expected; *e != 0; e++) {
      want |= *e == kWatched[i];
    }
    if (sigismember(mask, kWatched[i]) != want) {
      return 0;
    }
  }
  return 1;
}

static int own_mask_is(const int *expected) {
  sigset_t mask = current_mask();
  return mask_is(&mask, expected);
}

/* Results, printed by main in a fixed order. */
static int a_inherited_usr1 = -1;
static int grandchild_inherited_usr1 = -1, grandchild_inherited_usr2 = -1, grandchild_inherited_int = -1;
static int main_sees_usr2 = -1, main_sees_int = -1, main_sees_usr1_unblocked = -1;
static int b_sees_usr2 = -1, b_sees_int = -1;
static int a_sigprocmask_own = -1, a_oldset_right = -1;
static int kill_stop_blocked = -1;
static int ping_a_ok = -1, ping_b_ok = -1;

static void *grandchild(void *arg) {
  grandchild_inherited_usr1 = blocked(SIGUSR1);
  grandchild_inherited_usr2 = blocked(SIGUSR2);
  grandchild_inherited_int = blocked(SIGINT);
  return arg;
}

/* Thread A: created with main's mask (SIGUSR1 blocked). */
static void *thread_a(void *arg) {
  a_inherited_usr1 = blocked(SIGUSR1);
  sigset_t set = one(SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  set = one(SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL); /* on Linux, this thread's mask only */
  a_sigprocmask_own = blocked(SIGINT);
  set = one(SIGUSR1);
  sigset_t old;
  sigemptyset(&old);
  pthread_sigmask(SIG_UNBLOCK, &set, &old);
  a_oldset_right = sigismember(&old, SIGUSR1) == 1 && sigismember(&old, SIGUSR2) == 1 && sigismember(&old, SIGINT) == 1;
  pthread_t child;
  pthread_create(&child, NULL, grandchild, NULL);
  pthread_join(child, NULL);
  pthread_barrier_wait(&step); /* 1: A has changed its mask */
  pthread_barrier_wait(&step); /* 2: main and B have looked */

  /* A and B take turns parking; each looks at its own mask after every turn. */
  static const int a_expected[] = {SIGUSR2, SIGINT, 0};
  int ok = 1;
  for (int round = 0; round < 20; round++) {
    pthread_barrier_wait(&step);
    ok &= own_mask_is(a_expected);
    usleep(1000);
    ok &= own_mask_is(a_expected);
  }
  ping_a_ok = ok;

  /* SIGKILL and SIGSTOP cannot be blocked: they are left out silently. */
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  sigset_t mask = current_mask();
  kill_stop_blocked = sigismember(&mask, SIGKILL) == 1 || sigismember(&mask, SIGSTOP) == 1;
  pthread_sigmask(SIG_SETMASK, &before, NULL); /* leaves SIGALRM (the alarm) unblocked */
  return arg;
}

/* Thread B: created with main's mask too; sets a mask of its own for the turns. */
static void *thread_b(void *arg) {
  pthread_barrier_wait(&step); /* 1 */
  b_sees_usr2 = blocked(SIGUSR2);
  b_sees_int = blocked(SIGINT);
  pthread_barrier_wait(&step); /* 2 */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_SETMASK, &set, NULL);
  static const int b_expected[] = {SIGHUP, SIGTERM, 0};
  int ok = 1;
  for (int round = 0; round < 20; round++) {
    pthread_barrier_wait(&step);
    ok &= own_mask_is(b_expected);
    usleep(1000);
    ok &= own_mask_is(b_expected);
  }
  ping_b_ok = ok;
  return arg;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t empty;
  sigemptyset(&empty);
  pthread_sigmask(SIG_SETMASK, &empty, NULL);
  sigset_t usr1 = one(SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  sigset_t main_before = current_mask();

  pthread_barrier_init(&step, NULL, 3);
  pthread_t a, b;
  pthread_create(&a, NULL, thread_a, NULL);
  pthread_create(&b, NULL, thread_b, NULL);
  pthread_barrier_wait(&step); /* 1 */
  main_sees_usr2 = blocked(SIGUSR2);
  main_sees_int = blocked(SIGINT);
  main_sees_usr1_unblocked = !blocked(SIGUSR1);
  pthread_barrier_wait(&step); /* 2 */

  static const int main_expected[] = {SIGUSR1, 0};
  int main_ok = 1;
  for (int round = 0; round < 20; round++) {
    pthread_barrier_wait(&step);
    main_ok &= own_mask_is(main_expected);
    usleep(1000);
    main_ok &= own_mask_is(main_expected);
  }
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  sigset_t main_after = current_mask();

  printf("new thread inherits its creator's mask (SIGUSR1 blocked): %s\n", yes_no(a_inherited_usr1));
  printf("thread A's pthread_sigmask(SIG_BLOCK, SIGUSR2) seen in main: %s\n", yes_no(main_sees_usr2));
  printf("thread A's pthread_sigmask(SIG_BLOCK, SIGUSR2) seen in thread B: %s\n", yes_no(b_sees_usr2));
  printf("thread A's sigprocmask(SIG_BLOCK, SIGINT) blocks SIGINT in A: %s\n", yes_no(a_sigprocmask_own));
  printf("thread A's sigprocmask(SIG_BLOCK, SIGINT) seen in main: %s\n", yes_no(main_sees_int));
  printf("thread A's sigprocmask(SIG_BLOCK, SIGINT) seen in thread B: %s\n", yes_no(b_sees_int));
  printf("thread A's SIG_UNBLOCK of SIGUSR1 unblocks it in main: %s\n", yes_no(main_sees_usr1_unblocked));
  printf("old mask returned to thread A holds SIGUSR1, SIGUSR2 and SIGINT: %s\n", yes_no(a_oldset_right));
  printf("thread created by A inherits A's mask (SIGUSR1 not blocked): %s\n", yes_no(grandchild_inherited_usr1 == 0));
  printf("thread created by A inherits A's mask (SIGUSR2 blocked): %s\n", yes_no(grandchild_inherited_usr2));
  printf("thread created by A inherits A's mask (SIGINT blocked): %s\n", yes_no(grandchild_inherited_int));
  printf("masks kept while three threads take 20 turns parking: main %s, A %s, B %s\n", yes_no(main_ok), yes_no(ping_a_ok),
         yes_no(ping_b_ok));
  printf("SIGKILL or SIGSTOP blocked after blocking every signal: %s\n", yes_no(kill_stop_blocked));
  printf("main's mask unchanged after the threads changed theirs: %s\n",
         yes_no(mask_is(&main_before, main_expected) && mask_is(&main_after, main_expected)));

  int rc = pthread_sigmask(12345, &usr1, NULL);
  printf("pthread_sigmask(how = 12345): %s\n", rc == EINVAL ? "EINVAL (returned)" : strerror(rc));
  errno = 0;
  rc = sigprocmask(12345, &usr1, NULL);
  printf("sigprocmask(how = 12345): %d %s\n", rc, errno == EINVAL ? "EINVAL" : strerror(errno));
  printf("main's mask unchanged after the bad calls: %s\n", yes_no(own_mask_is(main_expected)));
  return 0;
}
