/* div_unhooked_locks.c - open() of a FIFO until another process opens the other end, and flock(), fcntl(F_SETLKW) and lockf(F_LOCK) on a file another process holds locked for 200 ms: does a witness thread keep ticking meanwhile? And a FIFO whose two ends two threads of one process open. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Blocking calls sprig does not interpose"):
 * under sprig each call blocks the worker, so the witness stops, and when
 * the other end is another green thread, the process hangs (shown in a child
 * process that its alarm ends). test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kHoldUs = 200000 };

static atomic_int ticks;
static atomic_int stop;
static char directory[] = "/tmp/div_unhooked_locks.XXXXXX";
static char fifo_path[4200];
static char file_path[4200];

static void *witness(void *arg) {
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    usleep(5000);
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

static void report(const char *what, int rc, int before) {
  printf("%s: %d; the witness ticked meanwhile: %s\n", what, rc,
         atomic_load(&ticks) - before > 0 ? "yes" : "no");
}

enum lock_kind { kFlock, kFcntl, kLockf };

static int take_lock(int fd, enum lock_kind kind) {
  struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  switch (kind) {
  case kFlock:
    return flock(fd, LOCK_EX);
  case kFcntl:
    return fcntl(fd, F_SETLKW, &whole);
  default:
    return lockf(fd, F_LOCK, 0);
  }
}

/* A child process takes the lock, says so through a pipe, holds it 200 ms. */
static void contend(const char *what, enum lock_kind kind) {
  int ready[2];
  if (pipe(ready) != 0) {
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    int fd = open(file_path, O_RDWR);
    if (fd < 0 || take_lock(fd, kind) != 0 || write(ready[1], "l", 1) != 1) {
      _exit(1);
    }
    usleep(kHoldUs);
    _exit(0); /* the lock goes with the process */
  }
  char byte;
  if (read(ready[0], &byte, 1) != 1) {
    return;
  }
  int fd = open(file_path, O_RDWR);
  int before = atomic_load(&ticks);
  int rc = take_lock(fd, kind);
  report(what, rc, before);
  close(fd);
  waitpid(child, NULL, 0);
  close(ready[0]);
  close(ready[1]);
}

static void open_fifo(void) {
  pid_t child = fork();
  if (child == 0) {
    usleep(kHoldUs);
    int fd = open(fifo_path, O_WRONLY);
    _exit(fd >= 0 ? 0 : 1);
  }
  int before = atomic_load(&ticks);
  int fd = open(fifo_path, O_RDONLY);
  report("open() of a FIFO another process opens 200 ms later", fd >= 0 ? 0 : -1, before);
  close(fd);
  waitpid(child, NULL, 0);
}

static void *open_fifo_end(void *flags) {
  int fd = open(fifo_path, (int)(long)flags);
  close(fd);
  return NULL;
}

/* In a child process with a 1 s alarm: two threads open the two ends. */
static void fifo_within_one_process(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    alarm(1);
    pthread_t reader, writer;
    pthread_create(&reader, NULL, open_fifo_end, (void *)(long)O_RDONLY);
    pthread_create(&writer, NULL, open_fifo_end, (void *)(long)O_WRONLY);
    pthread_join(reader, NULL);
    pthread_join(writer, NULL);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("two threads of one process open the two ends of a FIFO: %s\n",
         WIFEXITED(status) && WEXITSTATUS(status) == 0        ? "both opened"
         : WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? "hung until its alarm"
                                                              : "failed");
}

int main(void) {
  alarm(20);
  if (mkdtemp(directory) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(fifo_path, sizeof fifo_path, "%s/fifo", directory);
  snprintf(file_path, sizeof file_path, "%s/file", directory);
  if (mkfifo(fifo_path, 0600) != 0) {
    perror("mkfifo");
    return 1;
  }
  close(open(file_path, O_RDWR | O_CREAT, 0600));
  pthread_t thread;
  pthread_create(&thread, NULL, witness, NULL);
  usleep(20000);
  open_fifo();
  contend("flock(LOCK_EX) on a file another process holds 200 ms", kFlock);
  contend("fcntl(F_SETLKW) on a file another process holds 200 ms", kFcntl);
  contend("lockf(F_LOCK) on a file another process holds 200 ms", kLockf);
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  fifo_within_one_process();
  unlink(fifo_path);
  unlink(file_path);
  rmdir(directory);
  return 0;
}
