/* sig_process_directed.c - a process-directed signal (kill() from a child process or from a thread) runs its handler on the one thread that does not block it, even while that thread is parked; a signal every thread blocks stays pending in the process (every thread's sigpending() shows it) until a thread unblocks it, and then runs on that thread. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 3

static const char *const kNames[WORKERS] = {"A", "B", "C"};
static pthread_t workers[WORKERS];
static pthread_t main_thread;
static int pairs[WORKERS][2];
static atomic_int parked[WORKERS];

static atomic_int handled_usr1, handled_usr2;
static pthread_t usr1_ran_on, usr2_ran_on;

static void on_usr1(int signal_number) {
  (void)signal_number;
  usr1_ran_on = pthread_self();
  atomic_fetch_add(&handled_usr1, 1);
}

static void on_usr2(int signal_number) {
  (void)signal_number;
  usr2_ran_on = pthread_self();
  atomic_fetch_add(&handled_usr2, 1);
}

static void nap_ms(int ms) {
  struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

static int wait_flag(atomic_int *flag, int at_least) {
  for (int i = 0; i < 10000 && atomic_load(flag) < at_least; i++) {
    nap_ms(1);
  }
  return atomic_load(flag) >= at_least;
}

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

static const char *thread_name(pthread_t thread) {
  if (pthread_equal(thread, main_thread)) {
    return "main";
  }
  for (int i = 0; i < WORKERS; i++) {
    if (pthread_equal(thread, workers[i])) {
      return kNames[i];
    }
  }
  return "another thread";
}

static sigset_t one(int signal_number) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_number);
  return set;
}

static int pending(int signal_number) {
  sigset_t set;
  sigemptyset(&set);
  sigpending(&set);
  return sigismember(&set, signal_number) == 1;
}

/* A child process sends `signal_number` to this process, and is reaped. */
static void child_kills_parent(int signal_number) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    kill(getppid(), signal_number);
    _exit(0);
  }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

static sem_t go[WORKERS], done;
static int worker_pending_usr2[WORKERS];
static int unblock_ran_before_return = -1;

/* Each worker: parked in read() (SA_RESTART handlers) for phase 1, then follows main's orders. */
static void *worker(void *arg) {
  int index = (int)(long)arg;
  if (index == 1) { /* B is the one thread that does not block SIGUSR1 */
    sigset_t usr1 = one(SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
  }
  for (int round = 0; round < 2; round++) { /* two reads: kill() from a child, then from a thread */
    atomic_fetch_add(&parked[index], 1);
    char byte;
    ssize_t n = read(pairs[index][0], &byte, 1);
    if (n != 1) {
      printf("worker %s: read returned %zd (%s)\n", kNames[index], n, strerror(errno));
    }
  }
  /* Phase 2: look at sigpending(), then maybe unblock SIGUSR2. */
  while (sem_wait(&go[index]) != 0 && errno == EINTR) {
  }
  worker_pending_usr2[index] = pending(SIGUSR2);
  sem_post(&done);
  while (sem_wait(&go[index]) != 0 && errno == EINTR) {
  }
  if (index == 2) {
    sigset_t usr2 = one(SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
    unblock_ran_before_return = atomic_load(&handled_usr2) == 1;
  }
  sem_post(&done);
  return NULL;
}

static void release_readers(void) {
  for (int i = 0; i < WORKERS; i++) {
    send(pairs[i][1], "r", 1, 0);
  }
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_thread = pthread_self();
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  action.sa_handler = on_usr1;
  sigaction(SIGUSR1, &action, NULL);
  action.sa_handler = on_usr2;
  sigaction(SIGUSR2, &action, NULL);

  /* Every thread starts with SIGUSR1 and SIGUSR2 blocked; B then unblocks SIGUSR1. */
  sigset_t both = one(SIGUSR1);
  sigaddset(&both, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &both, NULL);
  sem_init(&done, 0, 0);
  for (int i = 0; i < WORKERS; i++) {
    sem_init(&go[i], 0, 0);
    socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]);
    pthread_create(&workers[i], NULL, worker, (void *)(long)i);
  }

  /* 1. SIGUSR1 from a child process, while the workers are parked in read(). */
  for (int i = 0; i < WORKERS; i++) {
    wait_flag(&parked[i], 1);
  }
  nap_ms(50);
  child_kills_parent(SIGUSR1);
  int ran = wait_flag(&handled_usr1, 1);
  printf("SIGUSR1 from a child process (only B does not block it; all parked in read()): handler ran on: %s\n",
         ran ? thread_name(usr1_ran_on) : "(did not run)");
  nap_ms(20);
  release_readers();

  /* 2. SIGUSR1 from main with kill(getpid()): still B, the only thread that does not block it. */
  for (int i = 0; i < WORKERS; i++) {
    wait_flag(&parked[i], 2);
  }
  nap_ms(50);
  kill(getpid(), SIGUSR1);
  ran = wait_flag(&handled_usr1, 2);
  printf("SIGUSR1 from main's kill(getpid()): handler ran on: %s\n", ran ? thread_name(usr1_ran_on) : "(did not run)");
  nap_ms(20);
  release_readers();

  /* 3. SIGUSR2, which every thread blocks, from a child process: pending in the process. */
  child_kills_parent(SIGUSR2);
  printf("SIGUSR2 from a child process while every thread blocks it: pending in main: %s\n", yes_no(pending(SIGUSR2)));
  for (int i = 0; i < WORKERS; i++) {
    sem_post(&go[i]);
  }
  for (int i = 0; i < WORKERS; i++) {
    while (sem_wait(&done) != 0 && errno == EINTR) {
    }
  }
  printf("pending as seen by A, B, C: %s, %s, %s; handler ran meanwhile: %s\n", yes_no(worker_pending_usr2[0]),
         yes_no(worker_pending_usr2[1]), yes_no(worker_pending_usr2[2]), yes_no(atomic_load(&handled_usr2) != 0));
  for (int i = 0; i < WORKERS; i++) {
    sem_post(&go[i]);
  }
  for (int i = 0; i < WORKERS; i++) {
    while (sem_wait(&done) != 0 && errno == EINTR) {
    }
  }
  printf("C unblocked SIGUSR2: handler ran before pthread_sigmask returned: %s, on: %s, ran once: %s\n",
         yes_no(unblock_ran_before_return), atomic_load(&handled_usr2) ? thread_name(usr2_ran_on) : "(did not run)",
         yes_no(atomic_load(&handled_usr2) == 1));
  printf("SIGUSR2 pending in main after: %s\n", yes_no(pending(SIGUSR2)));

  for (int i = 0; i < WORKERS; i++) {
    pthread_join(workers[i], NULL);
    close(pairs[i][0]);
    close(pairs[i][1]);
  }
  printf("SIGUSR1 handler ran %d times in all\n", atomic_load(&handled_usr1));
  return 0;
}
