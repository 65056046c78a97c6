/* sig_pthread_kill_target.c - pthread_kill(t, SIGUSR1) runs the handler on t, whether t is parked in read() or running: a read without SA_RESTART fails with EINTR, one with SA_RESTART goes on and returns the data written later; a signal t blocks stays pending for t only and is delivered when t unblocks it. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define THREADS 3

static atomic_int handled;
static pthread_t ran_on; /* the thread the last handler ran on */

static void on_signal(int signal_number) {
  (void)signal_number;
  ran_on = pthread_self();
  atomic_fetch_add(&handled, 1);
}

static void handle(int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, NULL);
}

static void nap_ms(int ms) {
  struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

/* Bounded wait for a flag: 1 ms naps, at most 10 s. */
static int wait_flag(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    nap_ms(1);
  }
  return atomic_load(flag);
}

static int wait_handled(int at_least) {
  for (int i = 0; i < 10000 && atomic_load(&handled) < at_least; i++) {
    nap_ms(1);
  }
  return atomic_load(&handled) >= at_least;
}

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

static const char *describe_read(ssize_t n, int error, char byte) {
  static char text[64];
  if (n < 0) {
    snprintf(text, sizeof text, "-1 %s", error == EINTR ? "EINTR" : strerror(error));
  } else if (n == 1) {
    snprintf(text, sizeof text, "1 byte '%c'", byte);
  } else {
    snprintf(text, sizeof text, "%zd", n);
  }
  return text;
}

/* ---- 1. the handler runs on the thread pthread_kill() names ---- */

struct reader {
  pthread_t thread;
  int pair[2];
  atomic_int entering; /* about to call read() */
  ssize_t n;
  char byte;
};

static struct reader readers[THREADS];

static void *read_one(void *arg) {
  struct reader *reader = arg;
  atomic_store(&reader->entering, 1);
  reader->n = read(reader->pair[0], &reader->byte, 1);
  return NULL;
}

static void handler_on_parked_target(void) {
  handle(SA_RESTART);
  atomic_store(&handled, 0);
  for (int i = 0; i < THREADS; i++) {
    socketpair(AF_UNIX, SOCK_STREAM, 0, readers[i].pair);
    pthread_create(&readers[i].thread, NULL, read_one, &readers[i]);
  }
  for (int i = 0; i < THREADS; i++) {
    wait_flag(&readers[i].entering);
  }
  nap_ms(50); /* they are in read() by now, or soon: the result is the same */
  pthread_kill(readers[1].thread, SIGUSR1);
  int ran = wait_handled(1);
  int on_target = ran && pthread_equal(ran_on, readers[1].thread);
  nap_ms(20);
  for (int i = 0; i < THREADS; i++) {
    send(readers[i].pair[1], &"abc"[i], 1, 0);
  }
  int all_read = 1;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(readers[i].thread, NULL);
    all_read &= readers[i].n == 1 && readers[i].byte == "abc"[i];
    close(readers[i].pair[0]);
    close(readers[i].pair[1]);
  }
  printf("pthread_kill to thread 2 of 3 parked in read(): handler on target: %s, handler ran %s\n", yes_no(on_target),
         atomic_load(&handled) == 1 ? "once" : "not once");
  printf("the three reads (SA_RESTART) returned their own byte: %s\n", yes_no(all_read));
}

/* ---- 2. pthread_kill to main from another thread ---- */

static pthread_t main_thread;
static atomic_int main_entering;
static int main_pair[2];

static void *kill_main(void *arg) {
  (void)arg;
  wait_flag(&main_entering);
  nap_ms(50);
  pthread_kill(main_thread, SIGUSR1);
  wait_handled(1);
  nap_ms(20);
  send(main_pair[1], "m", 1, 0);
  return NULL;
}

static void handler_on_main(void) {
  handle(SA_RESTART);
  atomic_store(&handled, 0);
  socketpair(AF_UNIX, SOCK_STREAM, 0, main_pair);
  pthread_t helper;
  pthread_create(&helper, NULL, kill_main, NULL);
  atomic_store(&main_entering, 1);
  char byte = 0;
  ssize_t n = read(main_pair[0], &byte, 1);
  int error = errno;
  pthread_join(helper, NULL);
  printf("pthread_kill to main parked in read(): handler on target: %s; read, SA_RESTART: %s\n",
         yes_no(atomic_load(&handled) >= 1 && pthread_equal(ran_on, main_thread)), describe_read(n, error, byte));
  close(main_pair[0]);
  close(main_pair[1]);
}

/* ---- 3. pthread_kill to itself ---- */

static void *kill_self(void *arg) {
  (void)arg;
  atomic_store(&handled, 0);
  pthread_kill(pthread_self(), SIGUSR1);
  int before_return = atomic_load(&handled);
  printf("pthread_kill to itself: handler ran before pthread_kill returned: %s, on this thread: %s\n",
         yes_no(before_return == 1), yes_no(before_return == 1 && pthread_equal(ran_on, pthread_self())));
  return NULL;
}

/* ---- 4. read() in a thread interrupted, without and with SA_RESTART ---- */

static pthread_t target;
static atomic_int entering, returned;
static int pair[2];

/* Sends SIGUSR1 to the target about every 100 ms until its call returned (at most 10 s), then waits for the
 * handler to have run for the signals sent, so none is left over for the next check. */
static void *interrupt_until_returned(void *arg) {
  (void)arg;
  wait_flag(&entering);
  int base = atomic_load(&handled), sent = 0;
  for (int round = 0; round < 100 && !atomic_load(&returned); round++) {
    nap_ms(50);
    if (atomic_load(&returned)) {
      break;
    }
    pthread_kill(target, SIGUSR1);
    sent++;
    for (int i = 0; i < 50 && !atomic_load(&returned) && atomic_load(&handled) < base + sent; i++) {
      nap_ms(1);
    }
    nap_ms(50);
  }
  for (int i = 0; i < 5000 && atomic_load(&handled) < base + sent; i++) {
    nap_ms(1);
  }
  return NULL;
}

/* Sends SIGUSR1 once the target waits, then writes the byte after the handler ran. */
static void *interrupt_then_write(void *arg) {
  (void)arg;
  wait_flag(&entering);
  nap_ms(50);
  pthread_kill(target, SIGUSR1);
  wait_handled(1);
  nap_ms(50);
  send(pair[1], "x", 1, 0);
  return NULL;
}

static void *reader_thread(void *arg) {
  char byte = 0;
  atomic_store(&entering, 1);
  ssize_t n = read(pair[0], &byte, 1);
  int error = errno;
  atomic_store(&returned, 1);
  printf("%s: %s, handler ran: %s\n", (const char *)arg, describe_read(n, error, byte), yes_no(atomic_load(&handled) > 0));
  return NULL;
}

static void interrupted_read(int flags, const char *what, void *(*interrupter)(void *)) {
  handle(flags);
  atomic_store(&handled, 0);
  atomic_store(&entering, 0);
  atomic_store(&returned, 0);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  pthread_create(&target, NULL, reader_thread, (void *)what);
  pthread_t helper;
  pthread_create(&helper, NULL, interrupter, NULL);
  pthread_join(target, NULL);
  pthread_join(helper, NULL);
  close(pair[0]);
  close(pair[1]);
}

/* ---- 5. a signal the target blocks stays pending for the target ---- */

static sem_t sent, looked;
static atomic_int blocker_ready;
static int pending_in_target = -1, handled_while_blocked = -1, delivered_before_return = -1, delivered_on_target = -1;

static int pending(int signal_number) {
  sigset_t set;
  sigemptyset(&set);
  sigpending(&set);
  return sigismember(&set, signal_number) == 1;
}

static void *blocker(void *arg) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  atomic_store(&blocker_ready, 1);
  while (sem_wait(&sent) != 0 && errno == EINTR) {
  }
  pending_in_target = pending(SIGUSR1);
  handled_while_blocked = atomic_load(&handled);
  sem_post(&looked);
  while (sem_wait(&sent) != 0 && errno == EINTR) { /* main has looked at its own */
  }
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
  delivered_before_return = atomic_load(&handled) == 1;
  delivered_on_target = delivered_before_return && pthread_equal(ran_on, pthread_self());
  return arg;
}

static void pending_for_target_only(void) {
  handle(SA_RESTART);
  atomic_store(&handled, 0);
  sem_init(&sent, 0, 0);
  sem_init(&looked, 0, 0);
  pthread_t thread;
  pthread_create(&thread, NULL, blocker, NULL);
  wait_flag(&blocker_ready);
  pthread_kill(thread, SIGUSR1);
  sem_post(&sent);
  while (sem_wait(&looked) != 0 && errno == EINTR) {
  }
  int pending_in_main = pending(SIGUSR1);
  sem_post(&sent);
  pthread_join(thread, NULL);
  printf("SIGUSR1 sent to a thread that blocks it: pending in that thread: %s, pending in main: %s, handler ran while "
         "blocked: %s\n",
         yes_no(pending_in_target), yes_no(pending_in_main), yes_no(handled_while_blocked != 0));
  printf("after that thread unblocked it: handler ran before pthread_sigmask returned: %s, on that thread: %s, pending "
         "in main now: %s\n",
         yes_no(delivered_before_return), yes_no(delivered_on_target), yes_no(pending(SIGUSR1)));
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_thread = pthread_self();

  handler_on_parked_target();
  handler_on_main();

  handle(SA_RESTART);
  pthread_t self_killer;
  pthread_create(&self_killer, NULL, kill_self, NULL);
  pthread_join(self_killer, NULL);

  interrupted_read(0, "read() in a thread, no SA_RESTART", interrupt_until_returned);
  interrupted_read(SA_RESTART, "read() in a thread, SA_RESTART (byte written after the handler ran)",
                   interrupt_then_write);

  pending_for_target_only();
  return 0;
}
