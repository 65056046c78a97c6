/* io_pipe_flags_shared.c - a pipe shared with another process keeps its flags at every moment: the program re-runs itself with an inherited pipe, which 200 threads read through 200 dup()s, while the parent samples the pipe's F_GETFL all the time; O_NONBLOCK must never show. */
/* sprig: green */
/* Any moment counts: a process sharing the open file description (a shell
 * pipeline, a parent) would see its read or write fail with EAGAIN then. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kReaders = 200, kInheritedFd = 100 };

static void *read_one(void *arg) {
  int fd = (int)(long)arg;
  char byte = 0;
  ssize_t n = read(fd, &byte, 1);
  return (void *)(long)(n == 1 && byte == 'x');
}

/* In the re-run: fd kInheritedFd is the read end; each thread reads one byte through its own dup of it. */
static int child_main(void) {
  pthread_t threads[kReaders];
  for (int i = 0; i < kReaders; i++) {
    pthread_create(&threads[i], NULL, read_one, (void *)(long)dup(kInheritedFd));
    usleep(1000); /* one first read at a time */
  }
  int ok = 0;
  for (int i = 0; i < kReaders; i++) {
    void *result;
    pthread_join(threads[i], &result);
    ok += result != NULL;
  }
  return ok == kReaders ? 0 : 1;
}

static atomic_int done;
static int write_end;

static void *feed_later(void *arg) {
  (void)arg;
  usleep(400000);
  char bytes[kReaders];
  memset(bytes, 'x', sizeof bytes);
  write(write_end, bytes, sizeof bytes);
  atomic_store(&done, 1);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    return child_main();
  }
  int fds[2];
  pipe(fds);
  int read_end = dup2(fds[0], kInheritedFd);
  close(fds[0]);
  write_end = fds[1];
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(write_end);
    execl("/proc/self/exe", argv[0], "child", (char *)NULL);
    _exit(127);
  }
  /* Sample the read end's flags until the feeder has written (400 ms): the child's threads start reading meanwhile. */
  pthread_t feeder;
  pthread_create(&feeder, NULL, feed_later, NULL);
  long samples = 0, nonblocking = 0;
  while (!atomic_load(&done) && samples < 200000000) {
    samples++;
    nonblocking += (fcntl(read_end, F_GETFL) & O_NONBLOCK) != 0;
    if (samples % 20000 == 0) {
      sched_yield(); /* lets the feeder run when the threads are green */
    }
  }
  pthread_join(feeder, NULL);
  int status = 0;
  waitpid(child, &status, 0);
  printf("child: every reader got its byte: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
  printf("samples taken: %s\n", samples > 1000 ? "many" : "few");
  printf("O_NONBLOCK seen by the other process: %s\n", nonblocking == 0 ? "never" : "yes");
  printf("#nocompare %ld of %ld samples showed O_NONBLOCK\n", nonblocking, samples);
  return 0;
}
