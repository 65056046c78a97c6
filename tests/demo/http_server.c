/* http_server.c - a thread-per-connection HTTP/1.1 server, one pthread_create per connection.
 *
 * It knows nothing of sprig; `make demo` runs it natively and under `sprig`.
 *
 * usage: http_server PORT [MAX_SECONDS]
 *   Listens on 127.0.0.1:PORT (0 picks a free port) and prints
 *   "listening on PORT". Answers every request on a keep-alive connection with
 *   the same small 200 response. "GET /quit" answers, then prints
 *   "connections=C requests=R create_failures=F peak_threads=P" and exits 0;
 *   after MAX_SECONDS (default 60) it prints the same line and exits 3. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/plain\r\n"
                               "Content-Length: 14\r\n"
                               "\r\n"
                               "Hello, world!\n";

static atomic_long connections;     /* accepted */
static atomic_long requests;        /* answered */
static atomic_long create_failures; /* connections dropped: pthread_create failed */
static atomic_long live_threads;    /* connection threads running now */
static atomic_long peak_threads;    /* the most connection threads running at once */

static void print_summary(void) {
  printf("connections=%ld requests=%ld create_failures=%ld peak_threads=%ld\n",
         atomic_load(&connections), atomic_load(&requests), atomic_load(&create_failures),
         atomic_load(&peak_threads));
  fflush(stdout);
}

static int write_all(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t sent = write(fd, data, size);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent <= 0) {
      return -1;
    }
    data += sent;
    size -= (size_t)sent;
  }
  return 0;
}

/* Reads requests (headers only: GET has no body) and answers each, until the
   client closes, asks to close, or sends a header larger than the buffer. */
static void *serve_connection(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buffer[8192];
  size_t have = 0;
  int open = 1;
  while (open) {
    ssize_t got = read(fd, buffer + have, sizeof buffer - have);
    if (got <= 0) {
      break;
    }
    have += (size_t)got;
    char *end;
    while (open && (end = memmem(buffer, have, "\r\n\r\n", 4)) != NULL) {
      size_t length = (size_t)(end + 4 - buffer);
      int quit = strncmp(buffer, "GET /quit ", 10) == 0;
      if (memmem(buffer, length, "\r\nConnection: close\r\n", 21) != NULL) {
        open = 0;
      }
      if (write_all(fd, RESPONSE, sizeof RESPONSE - 1) != 0) {
        open = 0;
      }
      atomic_fetch_add(&requests, 1);
      if (quit) {
        print_summary();
        exit(0);
      }
      memmove(buffer, buffer + length, have - length);
      have -= length;
    }
    if (have == sizeof buffer) {
      break;
    }
  }
  close(fd);
  atomic_fetch_sub(&live_threads, 1);
  return NULL;
}

static void *watchdog(void *arg) {
  sleep((unsigned)(intptr_t)arg);
  fprintf(stderr, "http_server: stopping after %u s\n", (unsigned)(intptr_t)arg);
  print_summary();
  exit(3);
}

static void note_thread_started(void) {
  long now = atomic_fetch_add(&live_threads, 1) + 1;
  long peak = atomic_load(&peak_threads);
  while (now > peak && !atomic_compare_exchange_weak(&peak_threads, &peak, now)) {
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: http_server PORT [MAX_SECONDS]\n");
    return 2;
  }
  unsigned max_seconds = argc == 3 ? (unsigned)atoi(argv[2]) : 60;
  signal(SIGPIPE, SIG_IGN);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t address_length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, SOMAXCONN) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &address_length) != 0) {
    perror("http_server: listen");
    return 1;
  }
  printf("listening on %d\n", ntohs(address.sin_port));
  fflush(stdout);

  pthread_t watchdog_thread;
  pthread_create(&watchdog_thread, NULL, watchdog, (void *)(intptr_t)max_seconds);
  pthread_detach(watchdog_thread);

  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
        usleep(10000); /* out of descriptors: let connections close */
      }
      continue;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    atomic_fetch_add(&connections, 1);
    note_thread_started();
    pthread_t thread;
    int error = pthread_create(&thread, NULL, serve_connection, (void *)(intptr_t)fd);
    if (error != 0) {
      if (atomic_fetch_add(&create_failures, 1) == 0) {
        fprintf(stderr, "http_server: pthread_create: %s\n", strerror(error));
      }
      atomic_fetch_sub(&live_threads, 1);
      close(fd);
      continue;
    }
    pthread_detach(thread);
  }
}
