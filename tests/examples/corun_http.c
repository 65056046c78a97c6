/* corun_http.c - a tiny HTTP/1.1 server and 1,000 concurrent clients, all green threads of one
 * process.
 *
 * usage: corun_http [CLIENTS]
 * The server listens on 127.0.0.1 (a free port) and answers GET /page?id=N
 * with a page naming N. Each client opens its own connection, reads the
 * response by its Content-Length and checks the body. Prints
 * "fetched=F ok=K" and exits 0 if every client got its page. */
#define _GNU_SOURCE /* strcasestr */
#include <sprig.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECOND_NS 1000000000LL
#define IO_TIMEOUT_NS (20 * SECOND_NS)
#define MAX_HEAD 2048
#define MAX_BODY 4096

/* The page for client `id`: a line naming it, then some filler lines. */
static int render_page(unsigned id, char *body, size_t size) {
  int len = snprintf(body, size, "<html><body><h1>page for client %u</h1>\n", id);
  for (int line = 0; line < 20; line++) {
    len += snprintf(body + len, size - (size_t)len, "<p>line %d of client %u</p>\n", line, id);
  }
  len += snprintf(body + len, size - (size_t)len, "</body></html>\n");
  return len;
}

/* Reads until the blank line ending the headers; returns the bytes read so
 * far (the head plus any body bytes that came with it). */
static ssize_t read_head(int fd, char *buf, size_t size, char **head_end) {
  size_t have = 0;
  while (have < size - 1) {
    ssize_t got = sprig_read(fd, buf + have, size - 1 - have, IO_TIMEOUT_NS);
    if (got <= 0) {
      return got == 0 ? -ECONNRESET : got;
    }
    have += (size_t)got;
    buf[have] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (end != NULL) {
      *head_end = end + 4;
      return (ssize_t)have;
    }
  }
  return -EMSGSIZE;
}

/* ---- the server ---------------------------------------------------------- */

struct server {
  int listen_fd;
  unsigned connections_wanted;
  unsigned served;
  sprig_waitgroup_t *handlers;
};

struct request {
  struct server *server;
  int fd;
};

static void *serve_request(void *arg) {
  struct request *req = arg;
  char head[MAX_HEAD], body[MAX_BODY], response[MAX_HEAD + MAX_BODY];
  char *head_end;
  unsigned id;
  if (read_head(req->fd, head, sizeof head, &head_end) > 0 &&
      sscanf(head, "GET /page?id=%u HTTP/1.1", &id) == 1) {
    int body_len = render_page(id, body, sizeof body);
    int len = snprintf(response, sizeof response,
                       "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                       "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                       body_len, body);
    if (sprig_write(req->fd, response, (size_t)len, IO_TIMEOUT_NS) == len) {
      __atomic_fetch_add(&req->server->served, 1, __ATOMIC_RELAXED); /* workers run at once */
    }
  } else {
    static const char bad[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    sprig_write(req->fd, bad, sizeof bad - 1, IO_TIMEOUT_NS);
  }
  sprig_close(req->fd);
  sprig_waitgroup_done(req->server->handlers);
  free(req);
  return NULL;
}

/* Accepts the expected number of connections, one green thread each. */
static void *run_server(void *arg) {
  struct server *server = arg;
  struct sprig_spawn_options detached = {.detached = 1, .name = "http-conn"};
  for (unsigned accepted = 0; accepted < server->connections_wanted; accepted++) {
    int fd = sprig_accept(server->listen_fd, NULL, NULL, IO_TIMEOUT_NS);
    if (fd < 0) {
      fprintf(stderr, "corun_http: accept: %s\n", strerror(-fd));
      break;
    }
    struct request *req = malloc(sizeof *req);
    *req = (struct request){.server = server, .fd = fd};
    sprig_waitgroup_add(server->handlers, 1);
    sprig_thread_t thread;
    if (sprig_spawn(&thread, &detached, serve_request, req) < 0) {
      sprig_waitgroup_done(server->handlers);
      sprig_close(fd);
      free(req);
    }
  }
  sprig_waitgroup_wait(server->handlers, SPRIG_FOREVER);
  return NULL;
}

/* ---- the clients --------------------------------------------------------- */

struct client {
  unsigned id;
  int port;
  int fetched; /* a 200 response with a complete body came back */
  int ok;      /* and the body is the expected page */
};

static int fetch_page(struct client *client, int fd) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)client->port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = sprig_connect(fd, (struct sockaddr *)&addr, sizeof addr, IO_TIMEOUT_NS);
  if (rc < 0) {
    return rc;
  }
  char request[128];
  int len = snprintf(request, sizeof request,
                     "GET /page?id=%u HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
                     client->id, client->port);
  if (sprig_write(fd, request, (size_t)len, IO_TIMEOUT_NS) != len) {
    return -EIO;
  }

  char response[MAX_HEAD + MAX_BODY];
  char *body;
  ssize_t have = read_head(fd, response, sizeof response, &body);
  if (have < 0) {
    return (int)have;
  }
  if (strncmp(response, "HTTP/1.1 200 ", 13) != 0) {
    return -EPROTO;
  }
  const char *length_field = strcasestr(response, "\r\nContent-Length:");
  if (length_field == NULL || length_field > body) {
    return -EPROTO;
  }
  size_t content_length = strtoul(length_field + strlen("\r\nContent-Length:"), NULL, 10);
  size_t body_have = (size_t)(response + have - body);
  if (content_length > MAX_BODY || (size_t)(body - response) + content_length >= sizeof response) {
    return -EMSGSIZE;
  }
  while (body_have < content_length) {
    ssize_t got = sprig_read(fd, body + body_have, content_length - body_have, IO_TIMEOUT_NS);
    if (got <= 0) {
      return got == 0 ? -ECONNRESET : (int)got;
    }
    body_have += (size_t)got;
  }
  client->fetched = 1;

  char expected[MAX_BODY];
  int expected_len = render_page(client->id, expected, sizeof expected);
  client->ok =
      (size_t)expected_len == content_length && memcmp(body, expected, content_length) == 0;
  return 0;
}

static void *run_client(void *arg) {
  struct client *client = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int rc = fd < 0 ? -errno : fetch_page(client, fd);
  if (fd >= 0) {
    sprig_close(fd);
  }
  if (rc < 0) {
    fprintf(stderr, "corun_http: client %u: %s\n", client->id, strerror(-rc));
  }
  return NULL;
}

/* ---- main ---------------------------------------------------------------- */

static int open_listener(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 4096) < 0) {
    return -errno;
  }
  return fd;
}

struct job {
  struct server server;
  unsigned client_count;
  struct client *clients;
};

static void *run_all(void *arg) {
  struct job *job = arg;
  if (sprig_waitgroup_create(&job->server.handlers) < 0) {
    return NULL;
  }
  sprig_thread_t server_thread;
  if (sprig_spawn(&server_thread, NULL, run_server, &job->server) < 0) {
    return NULL;
  }
  sprig_thread_t *client_threads = calloc(job->client_count, sizeof *client_threads);
  unsigned started = 0;
  for (; started < job->client_count; started++) {
    if (sprig_spawn(&client_threads[started], NULL, run_client, &job->clients[started]) < 0) {
      break;
    }
  }
  for (unsigned i = 0; i < started; i++) {
    sprig_join(client_threads[i], NULL, SPRIG_FOREVER);
  }
  sprig_join(server_thread, NULL, SPRIG_FOREVER);
  sprig_waitgroup_destroy(job->server.handlers);
  sprig_close(job->server.listen_fd);
  free(client_threads);
  return NULL;
}

int main(int argc, char **argv) {
  alarm(60); /* a safety net: never outlive a test run */
  struct job job = {.client_count = argc > 1 ? (unsigned)atoi(argv[1]) : 1000};
  job.server.connections_wanted = job.client_count;
  job.server.listen_fd = open_listener();
  if (job.server.listen_fd < 0) {
    fprintf(stderr, "corun_http: listen: %s\n", strerror(-job.server.listen_fd));
    return 1;
  }
  struct sockaddr_in bound;
  socklen_t bound_len = sizeof bound;
  getsockname(job.server.listen_fd, (struct sockaddr *)&bound, &bound_len);
  job.clients = calloc(job.client_count, sizeof *job.clients);
  for (unsigned i = 0; i < job.client_count; i++) {
    job.clients[i] = (struct client){.id = i, .port = ntohs(bound.sin_port)};
  }

  int rc = sprig_run(run_all, &job, NULL);
  if (rc < 0) {
    fprintf(stderr, "corun_http: sprig_run: %s\n", strerror(-rc));
    return 1;
  }
  unsigned fetched = 0, ok = 0;
  for (unsigned i = 0; i < job.client_count; i++) {
    fetched += (unsigned)job.clients[i].fetched;
    ok += (unsigned)job.clients[i].ok;
  }
  printf("fetched=%u ok=%u served=%u\n", fetched, ok, job.server.served);
  free(job.clients);
  return fetched == job.client_count && ok == job.client_count ? 0 : 1;
}
