/* echo_soak_client.c - the client of the echo soak (scripts/soak.py): many connections kept busy
 * for a long time, every echoed byte checked against what was sent; one thread, edge-triggered
 * epoll, non-blocking sockets.
 *
 * usage: echo_soak_client HOST PORT CONNECTIONS SECONDS SEED
 * HOST is an IPv4 loopback address (127.x.y.z). Opens CONNECTIONS
 * connections to HOST:PORT (at most CONNECT_BATCH connects in flight,
 * CONNECT_TIMEOUT_S for all of them) and prints "connected=N". Then for
 * SECONDS every connection sends messages of 1 byte to 64 KiB (sizes
 * log-uniform, pseudo-random per connection from SEED), up to
 * MAX_IN_FLIGHT messages in flight on it as long as less than
 * IN_FLIGHT_BYTES are unechoed, and reads whatever comes back. Partial
 * writes and reads are the normal case: each connection's stream is one
 * sequence of bytes whose content is a function of SEED, the connection's
 * index and the byte's offset, so each byte read is compared with the byte
 * that was sent at that offset: a lost, duplicated, reordered, flipped or
 * other connection's byte is a mismatch. A message counts once all its
 * bytes are back. Every PROGRESS_S seconds (or a sixth of SECONDS if
 * shorter) a line "progress t=.. messages=.. bytes_received=.. ..." is printed.
 *
 * When SECONDS are over no new message starts; the message being written is
 * finished and everything in flight is drained, then each connection shuts
 * down its writing side and waits for the server's end of file (a byte
 * after the last one sent is an error), and is closed. Then one line:
 *   echo_soak_client connections=N connected=C seconds=S messages=M min_messages=F
 *       bytes_sent=B bytes_received=R mismatches=X errors=E lost=L result=ok|FAIL
 * min_messages: the fewest messages one connection got back (so each was busy);
 * mismatches: bytes that differed from what was sent, in the first wrong
 * chunk a connection read (it is closed there: after a lost or extra byte
 * its stream no longer lines up, and what it did not get back is lost); errors:
 * connections that failed to connect, met an end of file or reset before
 * their own shutdown, failed a read or write, got bytes past the last one
 * sent, or were not drained by the deadline; lost: bytes sent and never
 * echoed. The first few problems are described on stderr.
 *
 * Everything is bounded: the whole run ends by SECONDS + 30 s (the drain and
 * close phases stop one second before; alarm(2) ends the process at that
 * deadline if ever the loop does not).
 * Exit status 0 if every connection connected and nothing was lost,
 * mismatched or failed; 1 if not; 2 on bad usage or a setup failure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_BATCH 256
#define CONNECT_TIMEOUT_S 20
#define HARD_MARGIN_S 30
#define MAX_MESSAGE (64 * 1024)
#define MAX_IN_FLIGHT 4             /* messages per connection */
#define IN_FLIGHT_BYTES (32 * 1024) /* a new message starts only below this many unechoed bytes */
#define IO_CHUNK (64 * 1024)
#define MAX_EVENTS 1024
#define PROGRESS_S 10.0
#define MAX_REPORTS 10
#define NS_PER_S 1000000000LL

enum conn_state { CONNECTING, OPEN, CLOSING, DONE, FAILED };

struct conn {
  int fd;
  enum conn_state state;
  uint64_t key;    /* the content of this connection's stream */
  uint64_t random; /* xorshift64* state: the sizes of its messages */
  uint64_t sent;   /* bytes of the stream written */
  uint64_t received;
  uint64_t ends[MAX_IN_FLIGHT]; /* stream offsets where the messages in flight end, oldest first */
  int head;
  int in_flight;
  long long messages; /* its messages all back */
};

struct soak {
  int epoll_fd;
  struct sockaddr_in server;
  long connections;
  struct conn *conns;
  long opened;
  long connecting;
  long connected;
  int stopping; /* SECONDS are over: no new messages */
  long long messages;
  unsigned long long bytes_sent;
  unsigned long long bytes_received;
  unsigned long long mismatches;
  long errors;
  long reports;
  unsigned char out[IO_CHUNK];
  unsigned char in[IO_CHUNK];
  unsigned char expected[IO_CHUNK];
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static uint64_t mix64(uint64_t x) { /* splitmix64's finaliser */
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

static uint64_t next_random(struct conn *conn) {
  uint64_t x = conn->random;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  conn->random = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* Bytes [offset, offset + length) of the stream of key: byte i is byte i % 8 of mix64(key ^ i / 8).
 */
static void fill_stream(uint64_t key, uint64_t offset, unsigned char *out, size_t length) {
  while (length > 0) {
    uint64_t word = mix64(key ^ (offset >> 3));
    unsigned char bytes[8];
    memcpy(bytes, &word, sizeof bytes);
    size_t skip = (size_t)(offset & 7);
    size_t take = 8 - skip < length ? 8 - skip : length;
    memcpy(out, bytes + skip, take);
    out += take;
    offset += take;
    length -= take;
  }
}

static void report(struct soak *soak, const struct conn *conn, const char *what, int error) {
  if (soak->reports++ < MAX_REPORTS) {
    fprintf(stderr, "echo_soak_client: connection %ld: %s%s%s (sent %llu, received %llu)\n",
            (long)(conn - soak->conns), what, error ? ": " : "", error ? strerror(error) : "",
            (unsigned long long)conn->sent, (unsigned long long)conn->received);
  }
}

static void close_conn(struct soak *soak, struct conn *conn, enum conn_state state) {
  epoll_ctl(soak->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
  close(conn->fd);
  conn->fd = -1;
  if (conn->state == CONNECTING) {
    soak->connecting--;
  }
  conn->state = state;
}

static void fail_conn(struct soak *soak, struct conn *conn, const char *what, int error) {
  report(soak, conn, what, error);
  soak->errors++;
  close_conn(soak, conn, FAILED);
}

/* The end of the message being written, or 0 if none is (its bytes are all sent). */
static uint64_t writing_until(const struct conn *conn) {
  if (conn->in_flight == 0) {
    return 0;
  }
  uint64_t last = conn->ends[(conn->head + conn->in_flight - 1) % MAX_IN_FLIGHT];
  return last > conn->sent ? last : 0;
}

static int start_message(struct soak *soak, struct conn *conn) {
  if (soak->stopping || conn->in_flight == MAX_IN_FLIGHT ||
      conn->sent - conn->received >= IN_FLIGHT_BYTES) {
    return 0;
  }
  int bits = (int)(next_random(conn) % 17); /* 1 byte to 64 KiB, log-uniform */
  uint64_t size = 1 + next_random(conn) % (1ULL << bits);
  conn->ends[(conn->head + conn->in_flight) % MAX_IN_FLIGHT] = conn->sent + size;
  conn->in_flight++;
  return 1;
}

/* Writes until the socket is full or no message may start; returns -1 on a write error. */
static int pump_writes(struct soak *soak, struct conn *conn) {
  for (;;) {
    uint64_t until = writing_until(conn);
    if (until == 0) {
      if (!start_message(soak, conn)) {
        return 0;
      }
      continue;
    }
    size_t length = until - conn->sent < IO_CHUNK ? (size_t)(until - conn->sent) : IO_CHUNK;
    fill_stream(conn->key, conn->sent, soak->out, length);
    ssize_t written = send(conn->fd, soak->out, length, MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN ? 0 : -1;
    }
    conn->sent += (uint64_t)written;
    soak->bytes_sent += (uint64_t)written;
  }
}

static unsigned long long count_differences(const unsigned char *a, const unsigned char *b,
                                            size_t length, size_t *first) {
  unsigned long long differences = 0;
  for (size_t i = length; i-- > 0;) {
    if (a[i] != b[i]) {
      differences++;
      *first = i;
    }
  }
  return differences;
}

/* Reads until the socket is empty, checking each byte; returns 0, or -1 if conn was closed. */
static int pump_reads(struct soak *soak, struct conn *conn) {
  for (;;) {
    ssize_t got = recv(conn->fd, soak->in, IO_CHUNK, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        return 0;
      }
      fail_conn(soak, conn, "read", errno);
      return -1;
    }
    if (got == 0) {
      if (conn->state == CLOSING && conn->received == conn->sent) {
        close_conn(soak, conn, DONE);
      } else {
        fail_conn(soak, conn, "unexpected end of file", 0);
      }
      return -1;
    }
    size_t length = (size_t)got;
    size_t expected =
        conn->sent - conn->received < length ? (size_t)(conn->sent - conn->received) : length;
    fill_stream(conn->key, conn->received, soak->expected, expected);
    if (memcmp(soak->in, soak->expected, expected) != 0) {
      size_t first = 0;
      soak->mismatches += count_differences(soak->in, soak->expected, expected, &first);
      char what[128];
      snprintf(what, sizeof what, "wrong byte at stream offset %llu: 0x%02x, sent 0x%02x",
               (unsigned long long)(conn->received + first), soak->in[first],
               soak->expected[first]);
      report(soak, conn, what, 0); /* a mismatch, not an error: the stream no longer lines up */
      close_conn(soak, conn, FAILED);
      return -1;
    }
    conn->received += expected;
    soak->bytes_received += expected;
    while (conn->in_flight > 0 && conn->ends[conn->head] <= conn->received) {
      conn->head = (conn->head + 1) % MAX_IN_FLIGHT;
      conn->in_flight--;
      conn->messages++;
      soak->messages++;
    }
    if (expected < length) {
      fail_conn(soak, conn, "bytes past the last one sent", 0);
      return -1;
    }
  }
}

static int watch(struct soak *soak, struct conn *conn) {
  struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.ptr = conn};
  return epoll_ctl(soak->epoll_fd, EPOLL_CTL_ADD, conn->fd, &event);
}

static int open_next(struct soak *soak) {
  struct conn *conn = &soak->conns[soak->opened];
  conn->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (conn->fd < 0) {
    return -1;
  }
  int one = 1;
  setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(conn->fd, (struct sockaddr *)&soak->server, sizeof soak->server) < 0 &&
      errno != EINPROGRESS) {
    return -1;
  }
  conn->state = CONNECTING;
  soak->opened++;
  soak->connecting++;
  return watch(soak, conn);
}

static void on_event(struct soak *soak, struct conn *conn, uint32_t events) {
  if (conn->state == DONE || conn->state == FAILED) {
    return; /* closed by an earlier event of the same batch */
  }
  if (conn->state == CONNECTING) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      fail_conn(soak, conn, "connect", error);
      return;
    }
    if (!(events & EPOLLOUT)) {
      return;
    }
    conn->state = OPEN;
    soak->connecting--;
    soak->connected++;
    /* The server says nothing first: anything readable now is an error, found below. */
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && pump_reads(soak, conn) < 0) {
    return;
  }
  if (conn->state == OPEN && soak->connected == soak->connections && pump_writes(soak, conn) < 0) {
    fail_conn(soak, conn, "write", errno);
  }
}

static int poll_once(struct soak *soak, int timeout_ms) {
  struct epoll_event events[MAX_EVENTS];
  int ready = epoll_wait(soak->epoll_fd, events, MAX_EVENTS, timeout_ms);
  if (ready < 0) {
    return errno == EINTR ? 0 : -1;
  }
  for (int i = 0; i < ready; i++) {
    on_event(soak, events[i].data.ptr, events[i].events);
  }
  return 0;
}

static int timeout_ms(int64_t now, int64_t until) {
  int64_t left = (until - now) / 1000000 + 1;
  return left < 1 ? 1 : left > 100 ? 100 : (int)left;
}

static long count_state(const struct soak *soak, enum conn_state state) {
  long count = 0;
  for (long i = 0; i < soak->connections; i++) {
    count += soak->conns[i].state == state;
  }
  return count;
}

static int all_drained(const struct soak *soak) {
  for (long i = 0; i < soak->connections; i++) {
    const struct conn *conn = &soak->conns[i];
    if (conn->state == OPEN && (conn->received < conn->sent || writing_until(conn) != 0)) {
      return 0;
    }
  }
  return 1;
}

static void print_progress(const struct soak *soak, double t) {
  printf("progress t=%.1f messages=%lld bytes_sent=%llu bytes_received=%llu mismatches=%llu "
         "errors=%ld\n",
         t, soak->messages, soak->bytes_sent, soak->bytes_received, soak->mismatches, soak->errors);
  fflush(stdout);
}

static int parse_args(int argc, char **argv, struct soak *soak, double *seconds, uint64_t *seed) {
  if (argc != 6) {
    return -1;
  }
  char *end;
  long port = strtol(argv[2], &end, 10);
  if (*end != '\0' || port < 1 || port > 65535) {
    return -1;
  }
  soak->connections = strtol(argv[3], &end, 10);
  if (*end != '\0' || soak->connections < 1 || soak->connections > 19000) {
    return -1;
  }
  *seconds = strtod(argv[4], &end);
  if (*end != '\0' || !(*seconds > 0 && *seconds <= 3600)) {
    return -1;
  }
  errno = 0;
  *seed = strtoull(argv[5], &end, 0);
  if (*end != '\0' || errno != 0) {
    return -1;
  }
  soak->server.sin_family = AF_INET;
  soak->server.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, argv[1], &soak->server.sin_addr) != 1 ||
      (ntohl(soak->server.sin_addr.s_addr) >> 24) != 127) {
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  static struct soak soak;
  double seconds;
  uint64_t seed;
  if (parse_args(argc, argv, &soak, &seconds, &seed) < 0) {
    fprintf(stderr, "usage: %s HOST(127.x.y.z) PORT CONNECTIONS(1..19000) SECONDS(0..3600] SEED\n",
            argv[0]);
    return 2;
  }
  int64_t start = now_ns();
  int64_t hard_deadline = start + (int64_t)((seconds + HARD_MARGIN_S) * NS_PER_S);
  unsigned alarm_s = (unsigned)seconds + HARD_MARGIN_S;
  alarm(alarm_s < seconds + HARD_MARGIN_S ? alarm_s + 1 : alarm_s); /* the last resort */
  int64_t finish_by = hard_deadline - NS_PER_S;

  soak.conns = calloc((size_t)soak.connections, sizeof *soak.conns);
  soak.epoll_fd = epoll_create1(0);
  if (soak.conns == NULL || soak.epoll_fd < 0) {
    perror("echo_soak_client: setup");
    return 2;
  }
  for (long i = 0; i < soak.connections; i++) {
    soak.conns[i].fd = -1;
    soak.conns[i].key = mix64(seed ^ mix64((uint64_t)i + 1));
    soak.conns[i].random = mix64(soak.conns[i].key) | 1;
  }

  /* Connect everything. */
  int64_t connect_deadline = start + CONNECT_TIMEOUT_S * NS_PER_S;
  while (soak.connected + soak.errors < soak.connections) {
    while (soak.opened < soak.connections && soak.connecting < CONNECT_BATCH) {
      if (open_next(&soak) < 0) {
        perror("echo_soak_client: socket/connect");
        return 2;
      }
    }
    if (poll_once(&soak, 100) < 0) {
      perror("echo_soak_client: epoll_wait");
      return 2;
    }
    if (now_ns() > connect_deadline) {
      fprintf(stderr, "echo_soak_client: %ld of %ld connections made in %d s\n", soak.connected,
              soak.connections, CONNECT_TIMEOUT_S);
      break;
    }
  }
  printf("connected=%ld seconds=%.3f\n", soak.connected, (double)(now_ns() - start) / 1e9);
  fflush(stdout);

  /* The soak. */
  int64_t run_start = now_ns();
  int64_t run_end = run_start + (int64_t)(seconds * NS_PER_S);
  double progress_s = seconds / 6 < PROGRESS_S ? seconds / 6 : PROGRESS_S;
  int64_t next_progress = run_start + (int64_t)(progress_s * NS_PER_S);
  if (soak.connected == soak.connections) {
    for (long i = 0; i < soak.connections; i++) {
      struct conn *conn = &soak.conns[i];
      if (conn->state == OPEN && pump_writes(&soak, conn) < 0) {
        fail_conn(&soak, conn, "write", errno);
      }
    }
    for (int64_t now = now_ns(); now < run_end; now = now_ns()) {
      if (now >= next_progress) {
        print_progress(&soak, (double)(now - run_start) / 1e9);
        next_progress += (int64_t)(progress_s * NS_PER_S);
      }
      int64_t until = next_progress < run_end ? next_progress : run_end;
      if (poll_once(&soak, timeout_ms(now, until)) < 0) {
        perror("echo_soak_client: epoll_wait");
        return 2;
      }
    }
  }
  double run_s = (double)(now_ns() - run_start) / 1e9;

  /* Drain: the messages being written are finished, no new ones start. */
  soak.stopping = 1;
  for (int64_t now = now_ns(); !all_drained(&soak) && now < finish_by; now = now_ns()) {
    if (poll_once(&soak, timeout_ms(now, finish_by)) < 0) {
      perror("echo_soak_client: epoll_wait");
      return 2;
    }
  }
  /* Close: our end of file, then the server's. */
  for (long i = 0; i < soak.connections; i++) {
    struct conn *conn = &soak.conns[i];
    if (conn->state == OPEN && conn->received == conn->sent && writing_until(conn) == 0) {
      conn->state = CLOSING;
      if (shutdown(conn->fd, SHUT_WR) < 0) {
        fail_conn(&soak, conn, "shutdown", errno); /* else its end of file is an EPOLLIN edge */
      }
    }
  }
  for (int64_t now = now_ns(); count_state(&soak, CLOSING) > 0 && now < finish_by; now = now_ns()) {
    if (poll_once(&soak, timeout_ms(now, finish_by)) < 0) {
      perror("echo_soak_client: epoll_wait");
      return 2;
    }
  }
  unsigned long long lost = 0;
  long long fewest = soak.conns[0].messages;
  for (long i = 0; i < soak.connections; i++) {
    struct conn *conn = &soak.conns[i];
    lost += conn->sent - conn->received;
    fewest = conn->messages < fewest ? conn->messages : fewest;
    if (conn->state == OPEN || conn->state == CLOSING) {
      fail_conn(&soak, conn,
                conn->state == OPEN ? "not drained by the deadline"
                                    : "no end of file from the server by the deadline",
                0);
    } else if (conn->state == CONNECTING) {
      fail_conn(&soak, conn, "connect timed out", 0);
    }
  }
  int ok =
      soak.connected == soak.connections && soak.mismatches == 0 && soak.errors == 0 && lost == 0;
  printf(
      "echo_soak_client connections=%ld connected=%ld seconds=%.3f messages=%lld "
      "min_messages=%lld bytes_sent=%llu bytes_received=%llu mismatches=%llu errors=%ld lost=%llu "
      "result=%s\n",
      soak.connections, soak.connected, run_s, soak.messages, fewest, soak.bytes_sent,
      soak.bytes_received, soak.mismatches, soak.errors, lost, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
