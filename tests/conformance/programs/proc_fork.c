/* proc_fork.c - fork with 50 sleeping threads: the child (only the forking thread) uses a socketpair and a thread of its own, sleeps and exits with a code; the parent's waitpid/wait4 (rusage)/WNOHANG on that pid park while a witness ticks; exec from a thread; exit() from a thread while others are parked runs atexit once. */
/* sprig: green */
/* Waits for "any child" (wait(), waitpid(-1)) and a blocking waitpid on a
 * reaped pid (ECHILD) are in proc_wait_any.c: sprig runs those on libuv's
 * thread pool, which adds OS threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kSleepers = 50 };

/* In a page the first child shares (MAP_SHARED): the witness's ticks, and the
 * ticks when the parent began its blocking waitpid for that child (-1 before). */
static atomic_int *ticks;
static atomic_int *wait_began;
static atomic_int stop;
static atomic_int sleepers_done;
static atomic_int atexit_runs;
static atomic_int forked; /* the first fork has happened (set in both processes) */

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(ticks, 1);
    usleep(5000);
  }
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  usleep(300000);
  wait_for(&forked); /* however late a loaded machine forks: the child's copy of the counter is 0 */
  atomic_fetch_add(&sleepers_done, 1);
  return NULL;
}

static void *child_writer(void *arg) {
  int fd = (int)(long)arg;
  usleep(20000);
  write(fd, "from the child's thread", 23);
  return NULL;
}

/* In the child: a socketpair, a thread that writes into it, a blocking read, a sleep, an exit code. */
static int child_main(void) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
    return 90;
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, child_writer, (void *)(long)pair[1]) != 0) {
    return 91;
  }
  char buffer[64] = {0};
  ssize_t n = read(pair[0], buffer, sizeof buffer - 1);
  pthread_join(thread, NULL);
  usleep(100000);
  /* The parent's WNOHANG saw this child run, and the witness ticks 5 times while
   * the parent waits (at most 10 s each, so a loaded machine only slows it). */
  int began = -1;
  for (int i = 0; i < 10000 && (began = atomic_load(wait_began)) < 0; i++) {
    usleep(1000);
  }
  for (int i = 0; i < 1000 && atomic_load(ticks) - began < 5; i++) {
    usleep(10000);
  }
  if (n != 23 || strcmp(buffer, "from the child's thread") != 0) {
    return 92;
  }
  return atomic_load(&sleepers_done) == 0 ? 42 : 93; /* the copy of the counter: no sleeper ran in the child */
}

static void *exec_from_thread(void *arg) {
  (void)arg;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    execl("/bin/echo", "echo", "echo ran, exec'd from a thread's child", (char *)NULL);
    _exit(127);
  }
  int status = 0;
  pid_t waited = waitpid(child, &status, 0);
  printf("exec from a thread: waitpid %s, exit %d\n", waited == child ? "ok" : "wrong", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return NULL;
}

static void at_exit(void) {
  atomic_fetch_add(&atexit_runs, 1);
  printf("atexit handler: run %d\n", atomic_load(&atexit_runs));
}

static void *parked_forever(void *arg) {
  (void)arg;
  for (int i = 0; i < 100; i++) {
    usleep(100000);
  }
  return NULL;
}

static void *exit_from_thread(void *arg) {
  (void)arg;
  usleep(50000); /* main and the other threads are parked by now */
  printf("a thread calls exit(7)\n");
  exit(7);
}

int main(void) {
  alarm(20);
  atomic_int *shared = mmap(NULL, 2 * sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    return 1;
  }
  ticks = &shared[0];
  wait_began = &shared[1];
  atomic_store(wait_began, -1);
  pthread_t sleepers[kSleepers], witness_thread;
  for (int i = 0; i < kSleepers; i++) {
    pthread_create(&sleepers[i], NULL, sleeper, NULL);
  }
  pthread_create(&witness_thread, NULL, witness, NULL);
  usleep(20000);

  /* fork while 50 threads sleep. */
  fflush(stdout);
  pid_t child = fork();
  atomic_store(&forked, 1);
  if (child == 0) {
    _exit(child_main());
  }
  int status = -1;
  pid_t early = waitpid(child, &status, WNOHANG);
  printf("WNOHANG while the child runs: %d\n", early);
  int before = atomic_load(ticks);
  atomic_store(wait_began, before);
  pid_t waited = waitpid(child, &status, 0);
  int during = atomic_load(ticks) - before;
  printf("waitpid: %s, exited %s, code %d\n", waited == child ? "the child" : "wrong", WIFEXITED(status) ? "yes" : "no",
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  printf("witness ticked while the parent waited: %s\n", during >= 5 ? "yes" : "no");
  printf("#nocompare ticks during waitpid: %d\n", during);
  for (int i = 0; i < kSleepers; i++) {
    pthread_join(sleepers[i], NULL);
  }
  printf("sleepers finished in the parent: %d\n", atomic_load(&sleepers_done));

  /* wait4 with rusage, on a child that burns a little CPU and exits with a signal. */
  fflush(stdout);
  child = fork();
  if (child == 0) {
    volatile unsigned long spin = 0;
    for (unsigned long i = 0; i < 20000000; i++) {
      spin += i;
    }
    usleep(50000);
    raise(SIGTERM);
    _exit(0);
  }
  struct rusage usage;
  memset(&usage, 0, sizeof usage);
  waited = wait4(child, &status, 0, &usage);
  printf("wait4: %s, killed by signal %d, rusage has CPU time: %s, max RSS: %s\n", waited == child ? "the child" : "wrong",
         WIFSIGNALED(status) ? WTERMSIG(status) : -1, usage.ru_utime.tv_sec > 0 || usage.ru_utime.tv_usec > 0 ? "yes" : "no",
         usage.ru_maxrss > 0 ? "yes" : "no");
  errno = 0;
  waited = waitpid(child, &status, WNOHANG);
  printf("waitpid WNOHANG on the reaped child: %d %s\n", waited, errno == ECHILD ? "ECHILD" : strerror(errno));

  /* Two children waited for by pid in the opposite order of their ends. */
  fflush(stdout);
  pid_t slow = fork();
  if (slow == 0) {
    usleep(150000);
    _exit(1);
  }
  pid_t fast = fork();
  if (fast == 0) {
    usleep(30000);
    _exit(2);
  }
  int slow_status = 0, fast_status = 0;
  waitpid(slow, &slow_status, 0);
  waitpid(fast, &fast_status, 0);
  printf("slow child %d, fast child %d\n", WEXITSTATUS(slow_status), WEXITSTATUS(fast_status));

  /* exec from a thread. */
  pthread_t thread;
  pthread_create(&thread, NULL, exec_from_thread, NULL);
  pthread_join(thread, NULL);
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);

  /* exit() from a thread while main and ten others are parked: atexit handlers run once, status 7. */
  atexit(at_exit);
  pthread_t parked[10];
  for (int i = 0; i < 10; i++) {
    pthread_create(&parked[i], NULL, parked_forever, NULL);
  }
  pthread_create(&thread, NULL, exit_from_thread, NULL);
  pthread_join(thread, NULL);
  printf("not reached\n");
  return 0;
}
