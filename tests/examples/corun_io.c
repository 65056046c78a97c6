/* corun_io.c - concurrent I/O: green-thread pairs ping-pong over socketpairs and pipes while
 * offloaded file writes and fsyncs run on the thread pool.
 *
 * usage: corun_io [PAIRS] [MESSAGES]
 * Even pairs talk over a socketpair, odd pairs over two pipes. Prints
 * "pairs=P messages=M exchanged=X ok=1 offload_writes=W file_ok=1" and exits
 * 0 if every reply and every byte of the file is right. */
#include <sprig.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECOND_NS 1000000000LL
#define IO_TIMEOUT_NS (20 * SECOND_NS)
#define OFFLOAD_WRITES 4
#define REGION_BYTES (64 * 1024)

struct message {
  uint32_t pair;
  uint32_t seq;
  uint64_t value; /* the reply carries value * 3 + 1 */
  char text[48];
};

/* One side of a pair: where it reads and where it writes. */
struct endpoint {
  int read_fd;
  int write_fd;
};

struct pair {
  uint32_t index;
  uint32_t messages;
  struct endpoint pinger;
  struct endpoint ponger;
  uint32_t good_replies;
};

static int read_message(int fd, struct message *msg) {
  size_t have = 0;
  while (have < sizeof *msg) {
    ssize_t got = sprig_read(fd, (char *)msg + have, sizeof *msg - have, IO_TIMEOUT_NS);
    if (got <= 0) {
      return got == 0 ? -ECONNRESET : (int)got;
    }
    have += (size_t)got;
  }
  return 0;
}

static int write_message(int fd, const struct message *msg) {
  ssize_t put = sprig_write(fd, msg, sizeof *msg, IO_TIMEOUT_NS);
  return put == (ssize_t)sizeof *msg ? 0 : -EIO;
}

/* Sends each request and checks the reply to it. */
static void *run_pinger(void *arg) {
  struct pair *pair = arg;
  for (uint32_t seq = 0; seq < pair->messages; seq++) {
    struct message request = {
        .pair = pair->index, .seq = seq, .value = pair->index * 1000003ULL + seq};
    snprintf(request.text, sizeof request.text, "ping %u/%u", pair->index, seq);
    struct message reply;
    if (write_message(pair->pinger.write_fd, &request) < 0 ||
        read_message(pair->pinger.read_fd, &reply) < 0) {
      break;
    }
    int good = reply.pair == request.pair && reply.seq == seq &&
               reply.value == request.value * 3 + 1 && strncmp(reply.text, "pong", 4) == 0;
    pair->good_replies += good;
  }
  return NULL;
}

/* Answers every request until the pinger has sent them all. */
static void *run_ponger(void *arg) {
  struct pair *pair = arg;
  for (uint32_t n = 0; n < pair->messages; n++) {
    struct message msg;
    if (read_message(pair->ponger.read_fd, &msg) < 0) {
      break;
    }
    msg.value = msg.value * 3 + 1;
    memcpy(msg.text, "pong", 4);
    if (write_message(pair->ponger.write_fd, &msg) < 0) {
      break;
    }
  }
  return NULL;
}

static int open_pair(struct pair *pair) {
  int fds[2];
  if (pair->index % 2 == 0) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) {
      return -errno;
    }
    pair->pinger = (struct endpoint){fds[0], fds[0]};
    pair->ponger = (struct endpoint){fds[1], fds[1]};
    return 0;
  }
  int to_ponger[2], to_pinger[2];
  if (pipe(to_ponger) < 0) {
    return -errno;
  }
  if (pipe(to_pinger) < 0) {
    int err = -errno;
    close(to_ponger[0]);
    close(to_ponger[1]);
    return err;
  }
  pair->pinger = (struct endpoint){.read_fd = to_pinger[0], .write_fd = to_ponger[1]};
  pair->ponger = (struct endpoint){.read_fd = to_ponger[0], .write_fd = to_pinger[1]};
  return 0;
}

static void close_pair(struct pair *pair) {
  int fds[4] = {pair->pinger.read_fd, pair->pinger.write_fd, pair->ponger.read_fd,
                pair->ponger.write_fd};
  for (int i = 0; i < 4; i++) {
    if (i == 0 || fds[i] != fds[i - 1]) {
      sprig_close(fds[i]);
    }
  }
}

/* ---- file writes on the thread pool -------------------------------------- */

struct file_write {
  int fd;
  unsigned region;
  int result; /* 0, or a negative errno value from pwrite/fsync */
};

static unsigned char file_byte(size_t offset) {
  return (unsigned char)(offset * 13 + (offset >> 10));
}

/* Runs on a thread-pool thread: blocking calls are fine here. */
static void write_region_and_fsync(void *arg) {
  struct file_write *job = arg;
  unsigned char *buf = malloc(REGION_BYTES);
  size_t base = (size_t)job->region * REGION_BYTES;
  for (size_t k = 0; k < REGION_BYTES; k++) {
    buf[k] = file_byte(base + k);
  }
  ssize_t put = pwrite(job->fd, buf, REGION_BYTES, (off_t)base);
  job->result = put == REGION_BYTES ? 0 : -EIO;
  if (job->result == 0 && fsync(job->fd) < 0) {
    job->result = -errno;
  }
  free(buf);
}

static void *run_file_write(void *arg) {
  struct file_write *job = arg;
  int rc = sprig_offload(write_region_and_fsync, job, IO_TIMEOUT_NS);
  if (rc < 0) {
    job->result = rc;
  }
  return NULL;
}

static int file_is_right(int fd) {
  unsigned char *buf = malloc(REGION_BYTES * OFFLOAD_WRITES);
  ssize_t got = pread(fd, buf, REGION_BYTES * OFFLOAD_WRITES, 0);
  int right = got == REGION_BYTES * OFFLOAD_WRITES;
  for (size_t k = 0; right && k < (size_t)got; k++) {
    right = buf[k] == file_byte(k);
  }
  free(buf);
  return right;
}

/* ---- main ---------------------------------------------------------------- */

struct job {
  uint32_t pair_count;
  struct pair *pairs;
  struct file_write writes[OFFLOAD_WRITES];
};

static void *run_all(void *arg) {
  struct job *job = arg;
  size_t count = 2 * (size_t)job->pair_count + OFFLOAD_WRITES;
  sprig_thread_t *threads = calloc(count, sizeof *threads);
  size_t started = 0;
  for (int i = 0; i < OFFLOAD_WRITES; i++) {
    if (sprig_spawn(&threads[started], NULL, run_file_write, &job->writes[i]) == 0) {
      started++;
    }
  }
  for (uint32_t i = 0; i < job->pair_count; i++) {
    if (sprig_spawn(&threads[started], NULL, run_pinger, &job->pairs[i]) == 0) {
      started++;
    }
    if (sprig_spawn(&threads[started], NULL, run_ponger, &job->pairs[i]) == 0) {
      started++;
    }
  }
  for (size_t i = 0; i < started; i++) {
    sprig_join(threads[i], NULL, SPRIG_FOREVER);
  }
  for (uint32_t i = 0; i < job->pair_count; i++) {
    close_pair(&job->pairs[i]);
  }
  free(threads);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a test run */
  struct job job = {.pair_count = argc > 1 ? (uint32_t)atoi(argv[1]) : 500};
  uint32_t messages = argc > 2 ? (uint32_t)atoi(argv[2]) : 100;
  job.pairs = calloc(job.pair_count, sizeof *job.pairs);
  for (uint32_t i = 0; i < job.pair_count; i++) {
    job.pairs[i] = (struct pair){.index = i, .messages = messages};
    int rc = open_pair(&job.pairs[i]);
    if (rc < 0) {
      fprintf(stderr, "corun_io: pair %u: %s\n", i, strerror(-rc));
      return 1;
    }
  }
  char path[] = "/tmp/sprig-corun-io-XXXXXX";
  int file_fd = mkstemp(path);
  if (file_fd < 0) {
    perror("corun_io: mkstemp");
    return 1;
  }
  unlink(path); /* gone when we exit, whatever happens */
  for (unsigned i = 0; i < OFFLOAD_WRITES; i++) {
    job.writes[i] = (struct file_write){.fd = file_fd, .region = i, .result = -EINPROGRESS};
  }

  int rc = sprig_run(run_all, &job, NULL);
  if (rc < 0) {
    fprintf(stderr, "corun_io: sprig_run: %s\n", strerror(-rc));
    return 1;
  }

  unsigned long long exchanged = 0;
  for (uint32_t i = 0; i < job.pair_count; i++) {
    exchanged += job.pairs[i].good_replies;
  }
  int ok = exchanged == (unsigned long long)job.pair_count * messages;
  int writes_done = 0;
  for (int i = 0; i < OFFLOAD_WRITES; i++) {
    if (job.writes[i].result == 0) {
      writes_done++;
    } else {
      fprintf(stderr, "corun_io: file write %d: %s\n", i, strerror(-job.writes[i].result));
    }
  }
  int file_ok = writes_done == OFFLOAD_WRITES && file_is_right(file_fd);
  close(file_fd);
  printf("pairs=%u messages=%u exchanged=%llu ok=%d offload_writes=%d file_ok=%d\n", job.pair_count,
         messages, exchanged, ok, writes_done, file_ok);
  free(job.pairs);
  return ok && file_ok ? 0 : 1;
}
