/* hard_own_libuv.c - a program linked with its own libuv: main runs a uv loop (repeating timer, TCP echo server on 127.0.0.1, an async handle), two pthreads talk to it with blocking sockets, and a third pthread runs a second uv loop of its own with a timer. */
/* sprig: green -luv */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

enum { kClients = 2, kMessages = 5, kThreadTimerTicks = 20 };

static uv_loop_t loop;
static uv_tcp_t server;
static uv_timer_t ticker;
static uv_async_t client_done;
static int port;
static int ticks;
static int ticks_while_clients_ran;
static int clients_finished;
static int connections;
static long bytes_echoed;
static atomic_int clients_running;

struct connection {
  uv_tcp_t handle;
  char buffer[256];
};

struct echo_write {
  uv_write_t request;
  char data[256];
};

static void on_closed(uv_handle_t *handle) { free(handle); }

static void on_written(uv_write_t *request, int status) {
  (void)status;
  free(request);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  struct connection *connection = (struct connection *)handle;
  *buf = uv_buf_init(connection->buffer, sizeof connection->buffer);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  if (nread < 0) {
    uv_close((uv_handle_t *)stream, on_closed);
    return;
  }
  if (nread == 0) {
    return;
  }
  struct echo_write *echo = malloc(sizeof *echo);
  memcpy(echo->data, buf->base, (size_t)nread);
  uv_buf_t out = uv_buf_init(echo->data, (unsigned)nread);
  bytes_echoed += nread;
  uv_write(&echo->request, stream, &out, 1, on_written);
}

static void on_connection(uv_stream_t *listener, int status) {
  if (status != 0) {
    printf("connection error: %s\n", uv_err_name(status));
    return;
  }
  struct connection *connection = malloc(sizeof *connection);
  uv_tcp_init(&loop, &connection->handle);
  if (uv_accept(listener, (uv_stream_t *)&connection->handle) == 0) {
    connections++;
    uv_read_start((uv_stream_t *)&connection->handle, on_alloc, on_read);
  } else {
    uv_close((uv_handle_t *)&connection->handle, on_closed);
  }
}

static void on_tick(uv_timer_t *timer) {
  (void)timer;
  ticks++;
  if (atomic_load(&clients_running) > 0) {
    ticks_while_clients_ran++;
  }
}

static void on_client_done(uv_async_t *async) {
  (void)async;
  clients_finished = kClients - atomic_load(&clients_running);
  if (clients_finished == kClients) {
    uv_close((uv_handle_t *)&server, NULL);
    uv_close((uv_handle_t *)&ticker, NULL);
    uv_close((uv_handle_t *)&client_done, NULL);
  }
}

/* A client thread written with plain blocking sockets. */
static void *client(void *arg) {
  long id = (long)arg;
  long echoed_ok = 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
    for (int i = 0; i < kMessages; i++) {
      char message[64], reply[64];
      int length = snprintf(message, sizeof message, "client %ld message %d", id, i);
      if (write(fd, message, (size_t)length) != length) {
        break;
      }
      int got = 0;
      while (got < length) {
        ssize_t n = read(fd, reply + got, (size_t)(length - got));
        if (n <= 0) {
          break;
        }
        got += (int)n;
      }
      if (got == length && memcmp(message, reply, (size_t)length) == 0) {
        echoed_ok++;
      }
      usleep(10000);
    }
  }
  close(fd);
  atomic_fetch_sub(&clients_running, 1);
  uv_async_send(&client_done);
  return (void *)echoed_ok;
}

static void on_thread_tick(uv_timer_t *timer) {
  int *count = timer->data;
  if (++*count == kThreadTimerTicks) {
    uv_close((uv_handle_t *)timer, NULL);
  }
}

/* A thread with a uv loop of its own. */
static void *loop_thread(void *arg) {
  (void)arg;
  uv_loop_t own;
  uv_timer_t timer;
  int count = 0;
  uv_loop_init(&own);
  uv_timer_init(&own, &timer);
  timer.data = &count;
  uv_timer_start(&timer, on_thread_tick, 3, 3);
  int run = uv_run(&own, UV_RUN_DEFAULT);
  int closed = uv_loop_close(&own);
  printf("thread loop: %d timer ticks, uv_run %d, uv_loop_close %d\n", count, run, closed);
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  uv_loop_init(&loop);
  uv_tcp_init(&loop, &server);
  struct sockaddr_in address;
  uv_ip4_addr("127.0.0.1", 0, &address);
  uv_tcp_bind(&server, (const struct sockaddr *)&address, 0);
  int rc = uv_listen((uv_stream_t *)&server, 16, on_connection);
  struct sockaddr_storage bound;
  int length = sizeof bound;
  uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &length);
  port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  printf("uv_listen: %d, port found: %s\n", rc, port > 0 ? "yes" : "no");
  uv_timer_init(&loop, &ticker);
  uv_timer_start(&ticker, on_tick, 5, 5);
  uv_async_init(&loop, &client_done, on_client_done);

  pthread_t own_loop;
  pthread_create(&own_loop, NULL, loop_thread, NULL);
  pthread_join(own_loop, NULL); /* the thread's loop runs first, alone */

  atomic_store(&clients_running, kClients);
  pthread_t clients[kClients];
  for (long i = 0; i < kClients; i++) {
    pthread_create(&clients[i], NULL, client, (void *)i);
  }
  int run = uv_run(&loop, UV_RUN_DEFAULT);
  for (int i = 0; i < kClients; i++) {
    void *echoed = NULL;
    pthread_join(clients[i], &echoed);
    printf("client %d: %ld of %d messages echoed\n", i, (long)echoed, kMessages);
  }
  printf("uv_run: %d, connections %d, bytes echoed %ld, clients finished %d\n", run, connections, bytes_echoed,
         clients_finished);
  printf("the main loop's timer ticked while the clients ran: %s\n", ticks_while_clients_ran >= 5 ? "yes" : "no");
  printf("#nocompare ticks: %d, while the clients ran: %d\n", ticks, ticks_while_clients_ran);
  printf("uv_loop_close: %d\n", uv_loop_close(&loop));
  return 0;
}
