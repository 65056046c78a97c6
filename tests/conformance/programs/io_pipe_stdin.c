/* io_pipe_stdin.c - reads of pipes the program made with pipe() (not sockets sprig made): two forked children each write records slowly into a pipe, a thread per pipe reads them, a witness thread keeps ticking meanwhile, and the pipes' flags stay blocking; stdin (/dev/null) reads EOF. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRecords = 10, kRecordSize = 16 };

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
  int fd;
  int id;
  int records;
  int bad;
  long bytes;
  int flags_during;
};

/* Reads whole records until end of file; a record may come in pieces. */
static void *read_pipe(void *arg) {
  struct reader *job = arg;
  char record[kRecordSize];
  size_t have = 0;
  for (int i = 0; i < 1000; i++) {
    ssize_t n = read(job->fd, record + have, sizeof record - have);
    if (n <= 0) {
      if (n < 0) {
        printf("reader %d: %s\n", job->id, strerror(errno));
      }
      break;
    }
    job->bytes += n;
    have += (size_t)n;
    if (have == sizeof record) {
      char expected[kRecordSize + 1];
      snprintf(expected, sizeof expected, "pipe %d rec %04d", job->id, job->records);
      job->bad += memcmp(record, expected, kRecordSize) != 0;
      job->records++;
      have = 0;
      if (job->records == 1) {
        job->flags_during = fcntl(job->fd, F_GETFL);
      }
    }
  }
  return NULL;
}

static pid_t start_writer(int id, int *read_end) {
  int fds[2];
  if (pipe(fds) != 0) {
    printf("pipe: %s\n", strerror(errno));
    return -1;
  }
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    for (int i = 0; i < kRecords; i++) {
      char record[kRecordSize + 1];
      snprintf(record, sizeof record, "pipe %d rec %04d", id, i);
      usleep(20000);
      /* Half a record, a pause, then the rest: the reader sees pieces. */
      write(fds[1], record, kRecordSize / 2);
      usleep(2000);
      write(fds[1], record + kRecordSize / 2, kRecordSize / 2);
    }
    _exit(10 + id);
  }
  close(fds[1]);
  *read_end = fds[0];
  return child;
}

int main(void) {
  alarm(20);
  /* stdin is /dev/null here. */
  char byte;
  printf("read stdin: %zd\n", read(0, &byte, 1));
  int stdin_flags = fcntl(0, F_GETFL);
  printf("stdin O_NONBLOCK: %s\n", (stdin_flags & O_NONBLOCK) ? "on" : "off");

  pthread_t witness_thread;
  pthread_create(&witness_thread, NULL, witness, NULL);
  struct reader readers[2] = {{.id = 0}, {.id = 1}};
  pid_t children[2];
  for (int i = 0; i < 2; i++) {
    children[i] = start_writer(i, &readers[i].fd);
    printf("pipe %d flags before reading: 0x%x\n", i, fcntl(readers[i].fd, F_GETFL));
  }
  int ticks_before = atomic_load(&ticks);
  pthread_t reader_threads[2];
  for (int i = 0; i < 2; i++) {
    pthread_create(&reader_threads[i], NULL, read_pipe, &readers[i]);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(reader_threads[i], NULL);
  }
  int during = atomic_load(&ticks) - ticks_before;
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  for (int i = 0; i < 2; i++) {
    int status = 0;
    waitpid(children[i], &status, 0);
    printf("pipe %d: %d records, %ld bytes, %d wrong; flags while reading 0x%x, after 0x%x; child exit %d\n", i, readers[i].records,
           readers[i].bytes, readers[i].bad, readers[i].flags_during, fcntl(readers[i].fd, F_GETFL),
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    close(readers[i].fd);
  }
  printf("witness kept ticking while the readers waited: %s\n", during >= 10 ? "yes" : "no");
  printf("#nocompare ticks during the reads: %d\n", during);

  /* A pipe the program makes non-blocking itself: EAGAIN, as natively. */
  int fds[2];
  pipe2(fds, O_NONBLOCK);
  ssize_t rc = read(fds[0], &byte, 1);
  printf("pipe2(O_NONBLOCK) read when empty: %zd %s\n", rc, rc < 0 && errno == EAGAIN ? "EAGAIN" : "");
  fcntl(fds[0], F_SETFL, 0);
  printf("after F_SETFL 0: flags 0x%x\n", fcntl(fds[0], F_GETFL));
  write(fds[1], "z", 1);
  rc = read(fds[0], &byte, 1);
  printf("blocking read with data there: %zd '%c'\n", rc, byte);
  close(fds[1]);
  printf("read after the writer closed: %zd\n", read(fds[0], &byte, 1));
  close(fds[0]);
  return 0;
}
