/* echo_load.c - the load generator for the echo benchmarks: N connections, each doing round trips
 * of a fixed-size message one after another, for a fixed time; one thread, epoll.
 *
 * usage: echo_load PORT CONNECTIONS MESSAGE_BYTES SECONDS
 * Connects to 127.0.0.1:PORT (at most CONNECT_BATCH connects in flight),
 * then every connection does one untimed round trip, so the server has seen
 * all of them. Then it prints "phase=measure", waits for a line on standard
 * input (or its end), and for SECONDS each connection sends MESSAGE_BYTES, waits for all of them to
 * come back (checked byte for byte) and sends again. Each round trip that ends in the window
 * counts, with its latency. Then it prints "phase=done", waits for a line on standard input again
 * (whoever reads the server's CPU time does so before the server ends), closes every connection and
 * prints echo_load connections=N message_bytes=M seconds=S round_trips=R rate=R/S p50_us=..
 *     p99_us=.. max_us=.. errors=E
 * Exit status 0 if no connection failed or returned wrong bytes, 1 if one
 * did, 2 on bad usage or a setup failure. */
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
#define CONNECT_TIMEOUT_NS (60 * 1000000000LL)
#define MAX_MESSAGE 4096
#define MAX_EVENTS 512
#define MAX_SAMPLES (64L * 1024 * 1024)

enum conn_state { CONNECTING, WARMING, RUNNING, STOPPED };

struct conn {
  int fd;
  enum conn_state state;
  size_t sent;
  size_t received;
  int64_t sent_at_ns;
};

struct load {
  int epoll_fd;
  struct sockaddr_in server;
  long connections;
  size_t message_bytes;
  char message[MAX_MESSAGE];
  struct conn *conns;
  long connecting; /* connects in flight */
  long opened;     /* sockets made so far */
  long warm;       /* connections past their untimed round trip */
  int64_t window_end_ns;
  uint32_t *samples_ns; /* latency of each round trip in the window, clamped to 4.29 s */
  long samples;
  long samples_capacity;
  long round_trips;
  long errors;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fail_conn(struct load *load, struct conn *conn, const char *what) {
  if (load->errors++ < 5) {
    fprintf(stderr, "echo_load: connection %ld: %s: %s\n", (long)(conn - load->conns), what,
            strerror(errno));
  }
  epoll_ctl(load->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
  close(conn->fd);
  conn->fd = -1;
  conn->state = STOPPED;
}

static int watch(struct load *load, struct conn *conn, uint32_t events, int op) {
  struct epoll_event event = {.events = events, .data.ptr = conn};
  return epoll_ctl(load->epoll_fd, op, conn->fd, &event);
}

static int open_next(struct load *load) {
  struct conn *conn = &load->conns[load->opened];
  conn->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (conn->fd < 0) {
    return -1;
  }
  int one = 1;
  setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(conn->fd, (struct sockaddr *)&load->server, sizeof load->server) < 0 &&
      errno != EINPROGRESS) {
    return -1;
  }
  conn->state = CONNECTING;
  load->opened++;
  load->connecting++;
  return watch(load, conn, EPOLLOUT, EPOLL_CTL_ADD);
}

/* Sends the rest of the message; returns -1 on error. Waits for EPOLLOUT if the socket is full. */
static int send_message(struct load *load, struct conn *conn) {
  while (conn->sent < load->message_bytes) {
    ssize_t sent = write(conn->fd, load->message + conn->sent, load->message_bytes - conn->sent);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        return watch(load, conn, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
      }
      return -1;
    }
    conn->sent += (size_t)sent;
  }
  return 0;
}

static int start_round_trip(struct load *load, struct conn *conn) {
  conn->sent = conn->received = 0;
  conn->sent_at_ns = now_ns();
  return send_message(load, conn);
}

static void record(struct load *load, int64_t latency_ns) {
  load->round_trips++;
  if (load->samples == load->samples_capacity && load->samples_capacity < MAX_SAMPLES) {
    long capacity = load->samples_capacity ? load->samples_capacity * 2 : 1 << 20;
    uint32_t *grown = realloc(load->samples_ns, (size_t)capacity * sizeof *grown);
    if (grown != NULL) {
      load->samples_ns = grown;
      load->samples_capacity = capacity;
    }
  }
  if (load->samples < load->samples_capacity) {
    load->samples_ns[load->samples++] = latency_ns > UINT32_MAX ? UINT32_MAX : (uint32_t)latency_ns;
  }
}

static void on_readable(struct load *load, struct conn *conn) {
  char buffer[MAX_MESSAGE];
  ssize_t got = read(conn->fd, buffer, load->message_bytes - conn->received);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;
  }
  if (got <= 0) {
    if (got == 0) {
      errno = ECONNRESET;
    }
    fail_conn(load, conn, "read");
    return;
  }
  if (memcmp(buffer, load->message + conn->received, (size_t)got) != 0) {
    errno = EBADMSG;
    fail_conn(load, conn, "wrong bytes echoed");
    return;
  }
  conn->received += (size_t)got;
  if (conn->received < load->message_bytes) {
    return;
  }
  int64_t now = now_ns();
  if (conn->state == WARMING) {
    conn->state = RUNNING;
    load->warm++;
    return; /* waits for the window to open */
  }
  if (now > load->window_end_ns) {
    conn->state = STOPPED;
    return;
  }
  record(load, now - conn->sent_at_ns);
  if (start_round_trip(load, conn) < 0) {
    fail_conn(load, conn, "write");
  }
}

static void on_event(struct load *load, struct conn *conn, uint32_t events) {
  if (conn->state == STOPPED) {
    return;
  }
  if (conn->state == CONNECTING) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    load->connecting--;
    if (error != 0) {
      errno = error;
      fail_conn(load, conn, "connect");
      return;
    }
    conn->state = WARMING;
    if (watch(load, conn, EPOLLIN, EPOLL_CTL_MOD) < 0 || start_round_trip(load, conn) < 0) {
      fail_conn(load, conn, "write");
    }
    return;
  }
  if (events & EPOLLOUT) {
    if (send_message(load, conn) < 0) {
      fail_conn(load, conn, "write");
      return;
    }
    if (conn->sent == load->message_bytes && watch(load, conn, EPOLLIN, EPOLL_CTL_MOD) < 0) {
      fail_conn(load, conn, "epoll_ctl");
      return;
    }
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    on_readable(load, conn);
  }
}

static int poll_once(struct load *load, int timeout_ms) {
  struct epoll_event events[MAX_EVENTS];
  int ready = epoll_wait(load->epoll_fd, events, MAX_EVENTS, timeout_ms);
  if (ready < 0 && errno != EINTR) {
    return -1;
  }
  for (int i = 0; i < ready; i++) {
    on_event(load, events[i].data.ptr, events[i].events);
  }
  return 0;
}

/* Connects everything and does the untimed round trips; returns -1 on failure or timeout. */
static int connect_and_warm(struct load *load) {
  int64_t deadline = now_ns() + CONNECT_TIMEOUT_NS;
  while (load->warm + load->errors < load->connections) {
    while (load->opened < load->connections && load->connecting < CONNECT_BATCH) {
      if (open_next(load) < 0) {
        perror("echo_load: socket/connect");
        return -1;
      }
    }
    if (poll_once(load, 100) < 0 || now_ns() > deadline) {
      fprintf(stderr, "echo_load: %ld of %ld connections warm in time\n", load->warm,
              load->connections);
      return -1;
    }
  }
  return load->errors == 0 ? 0 : -1;
}

/* Prints a phase line, then waits for a line on stdin or its end (/dev/null: at once). */
static void await_go_ahead(const char *phase) {
  printf("%s\n", phase);
  fflush(stdout);
  char answer[16];
  if (fgets(answer, sizeof answer, stdin) == NULL) {
    return;
  }
}

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a;
  uint32_t y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static double percentile_us(const struct load *load, int percent) {
  if (load->samples == 0) {
    return 0.0;
  }
  long index = (load->samples - 1) * percent / 100;
  return (double)load->samples_ns[index] / 1e3;
}

int main(int argc, char **argv) {
  long port = argc > 4 ? strtol(argv[1], NULL, 10) : 0;
  long connections = argc > 4 ? strtol(argv[2], NULL, 10) : 0;
  long message_bytes = argc > 4 ? strtol(argv[3], NULL, 10) : 0;
  double seconds = argc > 4 ? strtod(argv[4], NULL) : 0;
  if (port < 1 || port > 65535 || connections < 1 || connections > 19000 || message_bytes < 1 ||
      message_bytes > MAX_MESSAGE || seconds <= 0 || seconds > 600) {
    fprintf(stderr, "usage: %s PORT CONNECTIONS(1..19000) MESSAGE_BYTES(1..%d) SECONDS\n", argv[0],
            MAX_MESSAGE);
    return 2;
  }
  alarm((unsigned)seconds + 120); /* a safety net: never outlive the benchmark */
  struct load load = {.connections = connections, .message_bytes = (size_t)message_bytes};
  load.server.sin_family = AF_INET;
  load.server.sin_port = htons((uint16_t)port);
  load.server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (long i = 0; i < message_bytes; i++) {
    load.message[i] = (char)('a' + i % 26);
  }
  load.conns = calloc((size_t)connections, sizeof *load.conns);
  load.epoll_fd = epoll_create1(0);
  if (load.conns == NULL || load.epoll_fd < 0) {
    perror("echo_load: setup");
    return 2;
  }
  if (connect_and_warm(&load) < 0) {
    return 2;
  }

  await_go_ahead("phase=measure");
  int64_t window_start = now_ns();
  load.window_end_ns = window_start + (int64_t)(seconds * 1e9);
  for (long i = 0; i < connections; i++) {
    if (start_round_trip(&load, &load.conns[i]) < 0) {
      fail_conn(&load, &load.conns[i], "write");
    }
  }
  while (now_ns() <= load.window_end_ns) {
    if (poll_once(&load, 10) < 0) {
      perror("echo_load: epoll_wait");
      return 2;
    }
  }
  double window_s = (double)(now_ns() - window_start) / 1e9;
  await_go_ahead("phase=done");

  for (long i = 0; i < connections; i++) {
    if (load.conns[i].fd >= 0) {
      close(load.conns[i].fd);
    }
  }
  qsort(load.samples_ns, (size_t)load.samples, sizeof *load.samples_ns, compare_u32);
  printf("echo_load connections=%ld message_bytes=%ld seconds=%.3f round_trips=%ld rate=%.1f "
         "p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%ld\n",
         connections, message_bytes, window_s, load.round_trips,
         (double)load.round_trips / window_s, percentile_us(&load, 50), percentile_us(&load, 99),
         percentile_us(&load, 100), load.errors);
  return load.errors == 0 ? 0 : 1;
}
