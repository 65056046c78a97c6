/* io_regular_file.c - write/read/pread/pwrite/readv/writev/fsync on temporary files from 16 threads (also with O_NONBLOCK and O_APPEND): never EAGAIN, every byte where it belongs, sizes and offsets as natively. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

enum { kThreads = 16, kBlocks = 16, kBlock = 4096, kRegion = kBlocks * kBlock, kAppends = 50 };

static int shared_fd;
static int append_fd;
static atomic_int eagain_count;
static atomic_int other_errors;
static atomic_int short_counts;
static atomic_int wrong_bytes;

static unsigned char byte_of(int thread, int block, int offset) { return (unsigned char)(thread * 37 + block * 11 + offset); }

static void note(ssize_t rc, size_t wanted) {
  if (rc < 0) {
    atomic_fetch_add(errno == EAGAIN ? &eagain_count : &other_errors, 1);
  } else if ((size_t)rc != wanted) {
    atomic_fetch_add(&short_counts, 1);
  }
}

static void *worker(void *arg) {
  int id = (int)(long)arg;
  unsigned char block[kBlock];
  off_t base = (off_t)id * kRegion;
  /* pwrite each block of this thread's region, in an order of its own. */
  for (int k = 0; k < kBlocks; k++) {
    int b = (k * 7 + id) % kBlocks;
    for (int i = 0; i < kBlock; i++) {
      block[i] = byte_of(id, b, i);
    }
    note(pwrite(shared_fd, block, kBlock, base + (off_t)b * kBlock), kBlock);
    if (k % 4 == 0) {
      usleep(1000); /* let the others interleave */
    }
  }
  note(fsync(shared_fd) == 0 ? 0 : -1, 0);
  /* pread it back, then readv it back in two pieces. */
  for (int b = 0; b < kBlocks; b++) {
    memset(block, 0, sizeof block);
    note(pread(shared_fd, block, kBlock, base + (off_t)b * kBlock), kBlock);
    for (int i = 0; i < kBlock; i++) {
      if (block[i] != byte_of(id, b, i)) {
        atomic_fetch_add(&wrong_bytes, 1);
      }
    }
  }
  /* Appends: each write of a whole record lands in one piece. */
  for (int k = 0; k < kAppends; k++) {
    char record[32];
    int length = snprintf(record, sizeof record, "thread %02d record %03d\n", id, k);
    note(write(append_fd, record, (size_t)length), (size_t)length);
    if (k % 10 == 0) {
      usleep(500);
    }
  }
  return NULL;
}

static int temp_file(const char *name, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/%s_XXXXXX", name);
  int fd = mkostemp(path, flags);
  unlink(path);
  return fd;
}

int main(void) {
  alarm(20);
  shared_fd = temp_file("io_regular_shared", O_NONBLOCK);
  append_fd = temp_file("io_regular_append", O_APPEND);
  printf("shared file O_NONBLOCK: %s\n", (fcntl(shared_fd, F_GETFL) & O_NONBLOCK) ? "on" : "off");
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; i++) {
    pthread_create(&threads[i], NULL, worker, (void *)(long)i);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
  }
  struct stat status;
  fstat(shared_fd, &status);
  printf("shared file size %ld (expected %ld)\n", (long)status.st_size, (long)kThreads * kRegion);
  printf("EAGAIN %d, other errors %d, short counts %d, wrong bytes %d\n", atomic_load(&eagain_count), atomic_load(&other_errors),
         atomic_load(&short_counts), atomic_load(&wrong_bytes));

  /* One read of the whole shared file, from offset 0 after lseek. */
  size_t total = (size_t)kThreads * kRegion;
  unsigned char *all = malloc(total);
  printf("lseek to 0: %ld\n", (long)lseek(shared_fd, 0, SEEK_SET));
  ssize_t got = read(shared_fd, all, total);
  long wrong = 0;
  for (int t = 0; t < kThreads; t++) {
    for (int b = 0; b < kBlocks; b++) {
      for (int i = 0; i < kBlock; i++) {
        wrong += all[(size_t)t * kRegion + (size_t)b * kBlock + (size_t)i] != byte_of(t, b, i);
      }
    }
  }
  printf("one read of %zu bytes: %zd, wrong %ld, offset now %ld\n", total, got, wrong, (long)lseek(shared_fd, 0, SEEK_CUR));
  printf("read at end of file: %zd\n", read(shared_fd, all, 10));
  printf("pread past the end: %zd\n", pread(shared_fd, all, 10, (off_t)total + 100));

  /* The appended records: all there, each whole, each thread's in its order. */
  fstat(append_fd, &status);
  char *text = malloc((size_t)status.st_size + 1);
  ssize_t text_length = pread(append_fd, text, (size_t)status.st_size, 0);
  text[text_length > 0 ? text_length : 0] = '\0';
  int next[kThreads] = {0};
  int records = 0, out_of_order = 0;
  for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    int thread = -1, record = -1;
    if (sscanf(line, "thread %d record %d", &thread, &record) == 2 && thread >= 0 && thread < kThreads) {
      out_of_order += record != next[thread];
      next[thread] = record + 1;
      records++;
    }
  }
  printf("append file: %ld bytes, %d records, out of order %d\n", (long)status.st_size, records, out_of_order);

  /* writev and readv on a file. */
  int vector_fd = temp_file("io_regular_vector", 0);
  struct iovec out[3] = {{"abc", 3}, {"", 0}, {"defghij", 7}};
  printf("writev: %zd\n", writev(vector_fd, out, 3));
  char first[4] = {0}, second[8] = {0};
  struct iovec in[2] = {{first, 3}, {second, 7}};
  lseek(vector_fd, 0, SEEK_SET);
  printf("readv: %zd '%s' '%s'\n", readv(vector_fd, in, 2), first, second);
  printf("fsync: %d, fdatasync: %d\n", fsync(vector_fd), fdatasync(vector_fd));
  close(vector_fd);

  /* A read-only file: write gives EBADF; a directory: read gives EISDIR. */
  int read_only = open("/etc/hostname", O_RDONLY);
  if (read_only < 0) {
    read_only = open("/etc/passwd", O_RDONLY);
  }
  ssize_t rc = write(read_only, "x", 1);
  printf("write to a read-only fd: %zd %s\n", rc, rc < 0 && errno == EBADF ? "EBADF" : strerror(errno));
  close(read_only);
  int directory = open("/tmp", O_RDONLY | O_DIRECTORY);
  rc = read(directory, all, 10);
  printf("read of a directory: %zd %s\n", rc, rc < 0 && errno == EISDIR ? "EISDIR" : strerror(errno));
  close(directory);

  free(text);
  free(all);
  close(shared_fd);
  close(append_fd);
  return 0;
}
