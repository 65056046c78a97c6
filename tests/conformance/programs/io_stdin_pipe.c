/* io_stdin_pipe.c - stdin an inherited pipe: the program re-runs itself with its stdin the read end of a pipe its parent writes slowly; there a thread reads stdin with read() while a witness ticks, and neither process sees the pipe's flags change. */
/* sprig: green */
/* The harness gives stdin from /dev/null, hence the re-run. Both processes
 * run under sprig when the parent does (LD_PRELOAD is inherited). Reads go
 * through read(2), not stdio, whose own reads sprig does not see. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRecords = 12, kRecordSize = 12 };

static atomic_int ticks;
static atomic_int stop;

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(5000);
  }
  return NULL;
}

struct reader {
  int records;
  int bad;
  int eof;
};

static void *read_stdin(void *arg) {
  struct reader *job = arg;
  char record[kRecordSize];
  size_t have = 0;
  for (int i = 0; i < 1000; i++) {
    ssize_t n = read(0, record + have, sizeof record - have);
    if (n <= 0) {
      job->eof = n == 0;
      break;
    }
    have += (size_t)n;
    if (have == sizeof record) {
      char expected[kRecordSize + 1];
      snprintf(expected, sizeof expected, "record %04d", job->records);
      expected[kRecordSize - 1] = '\n';
      job->bad += memcmp(record, expected, kRecordSize) != 0;
      job->records++;
      have = 0;
    }
  }
  return NULL;
}

static int child_main(void) {
  printf("child: stdin O_NONBLOCK %s\n", (fcntl(0, F_GETFL) & O_NONBLOCK) ? "on" : "off");
  pthread_t witness_thread, reader_thread;
  pthread_create(&witness_thread, NULL, witness, NULL);
  struct reader job = {0, 0, 0};
  int before = atomic_load(&ticks);
  pthread_create(&reader_thread, NULL, read_stdin, &job);
  pthread_join(reader_thread, NULL);
  int during = atomic_load(&ticks) - before;
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  printf("child: %d records from stdin, %d wrong, end of file: %s\n", job.records, job.bad, job.eof ? "yes" : "no");
  printf("child: witness ticked while the reader waited: %s\n", during >= 10 ? "yes" : "no");
  printf("#nocompare child ticks: %d\n", during);
  printf("child: stdin O_NONBLOCK after reading %s\n", (fcntl(0, F_GETFL) & O_NONBLOCK) ? "on" : "off");
  return 3;
}

static void *slow_writer(void *arg) {
  int fd = (int)(long)arg;
  for (int i = 0; i < kRecords; i++) {
    char record[kRecordSize + 1];
    snprintf(record, sizeof record, "record %04d", i);
    record[kRecordSize - 1] = '\n';
    usleep(30000); /* 12 records: ~0.4 s, 10 witness ticks even on a loaded machine */
    write(fd, record, 5); /* in two pieces */
    usleep(1000);
    write(fd, record + 5, kRecordSize - 5);
  }
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    return child_main();
  }
  (void)argc;
  int fds[2];
  pipe(fds);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    dup2(fds[0], 0);
    close(fds[0]);
    close(fds[1]);
    execl("/proc/self/exe", argv[0], "child", (char *)NULL);
    _exit(127);
  }
  /* The parent keeps the read end too, to see its flags from another process. */
  pthread_t writer;
  pthread_create(&writer, NULL, slow_writer, (void *)(long)fds[1]);
  pthread_join(writer, NULL);
  int status = 0;
  waitpid(child, &status, 0);
  printf("parent: child exited %d; the read end's O_NONBLOCK %s\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
         (fcntl(fds[0], F_GETFL) & O_NONBLOCK) ? "on" : "off");
  close(fds[0]);
  return 0;
}
