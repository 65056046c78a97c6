/* echo_client.c - many concurrent echo connections, one green thread each, checking every byte.
 *
 * usage: echo_client PORT CONNECTIONS BYTES
 *   Each connection sends BYTES bytes of a pattern to 127.0.0.1:PORT in chunks,
 *   reads each chunk back and checks it. Prints
 *   "connections=C bytes=B checksum_ok=1" and exits 0 only if every byte came
 *   back intact on every connection. */
#include <sprig.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECOND_NS 1000000000LL
#define IO_TIMEOUT_NS (30 * SECOND_NS)
#define CHUNK 4096 /* send a chunk, read it back: neither side's buffers can fill */

struct client {
  int port;
  size_t bytes_per_connection;
  long long bytes_echoed;
  long good_connections;
};

struct connection {
  struct client *client;
  unsigned index;
};

static unsigned char pattern_byte(unsigned connection, size_t offset) {
  return (unsigned char)(connection * 31u + offset * 7u + (offset >> 8));
}

/* Reads exactly len bytes (sprig_read may return fewer). */
static int read_full(int fd, unsigned char *buf, size_t len) {
  size_t have = 0;
  while (have < len) {
    ssize_t got = sprig_read(fd, buf + have, len - have, IO_TIMEOUT_NS);
    if (got <= 0) {
      return got == 0 ? -ECONNRESET : (int)got;
    }
    have += (size_t)got;
  }
  return 0;
}

/* One connection: send the pattern chunk by chunk, compare what comes back. */
static int echo_once(struct connection *conn, int fd) {
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)conn->client->port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = sprig_connect(fd, (struct sockaddr *)&addr, sizeof addr, IO_TIMEOUT_NS);
  if (rc < 0) {
    return rc;
  }
  unsigned char out[CHUNK], in[CHUNK];
  unsigned long long sent_sum = 0, received_sum = 0;
  size_t total = conn->client->bytes_per_connection;
  for (size_t offset = 0; offset < total; offset += CHUNK) {
    size_t len = total - offset < CHUNK ? total - offset : CHUNK;
    for (size_t k = 0; k < len; k++) {
      out[k] = pattern_byte(conn->index, offset + k);
      sent_sum += out[k];
    }
    if (sprig_write(fd, out, len, IO_TIMEOUT_NS) != (ssize_t)len) {
      return -EIO;
    }
    if ((rc = read_full(fd, in, len)) < 0) {
      return rc;
    }
    for (size_t k = 0; k < len; k++) {
      received_sum += in[k];
    }
    if (memcmp(in, out, len) != 0) {
      return -EBADMSG;
    }
    __atomic_fetch_add(&conn->client->bytes_echoed, (long long)len, __ATOMIC_RELAXED);
  }
  return sent_sum == received_sum ? 0 : -EBADMSG;
}

static void *run_connection(void *arg) {
  struct connection *conn = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int rc = fd < 0 ? -errno : echo_once(conn, fd);
  if (fd >= 0) {
    sprig_close(fd);
  }
  if (rc < 0) {
    fprintf(stderr, "echo_client: connection %u: %s\n", conn->index, strerror(-rc));
  } else {
    __atomic_fetch_add(&conn->client->good_connections, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

struct run_args {
  struct client *client;
  unsigned connections;
};

/* The main green thread: start every connection at once, then join them all. */
static void *run_all(void *arg) {
  struct run_args *args = arg;
  struct connection *conns = calloc(args->connections, sizeof *conns);
  sprig_thread_t *threads = calloc(args->connections, sizeof *threads);
  unsigned started = 0;
  for (; started < args->connections; started++) {
    conns[started] = (struct connection){.client = args->client, .index = started};
    int rc = sprig_spawn(&threads[started], NULL, run_connection, &conns[started]);
    if (rc < 0) {
      fprintf(stderr, "echo_client: spawn: %s\n", strerror(-rc));
      break;
    }
  }
  for (unsigned i = 0; i < started; i++) {
    sprig_join(threads[i], NULL, SPRIG_FOREVER);
  }
  free(threads);
  free(conns);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a test run */
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT CONNECTIONS BYTES\n", argv[0]);
    return 2;
  }
  struct client client = {.port = atoi(argv[1]),
                          .bytes_per_connection = strtoul(argv[3], NULL, 10)};
  struct run_args args = {.client = &client, .connections = (unsigned)atoi(argv[2])};
  int rc = sprig_run(run_all, &args, NULL);
  if (rc < 0) {
    fprintf(stderr, "echo_client: sprig_run: %s\n", strerror(-rc));
    return 1;
  }
  int ok = client.good_connections == (long)args.connections &&
           client.bytes_echoed == (long long)client.bytes_per_connection * args.connections;
  printf("connections=%ld bytes=%lld checksum_ok=%d\n", client.good_connections,
         client.bytes_echoed, ok);
  return ok ? 0 : 1;
}
