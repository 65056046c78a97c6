/* div_foreign_fd_blocking.c - waits on descriptors the program made itself before main or with calls other than socket(): a blocking connect() to a full AF_UNIX backlog, two threads reading one pipe, two threads accepting on one blocking listener, a timerfd read and an eventfd read; a witness thread ticks every 5 ms: does it ever pause for 250 ms? */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Blocking calls on descriptors sprig did not
 * create"): under sprig each of these but the pipe read blocks the worker
 * for about 400 ms (a reader that finds the pipe emptied by the other one
 * waits again for readiness).
 * test_divergences.py checks both results. The other end of every wait is a
 * child process, so that the process does not hang under sprig. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMaxTicks = 4000, kDelayUs = 400000 };

static long long tick_ns[kMaxTicks];
static atomic_int ticks;
static atomic_int stop;

static long long now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void *witness(void *arg) {
  while (!atomic_load(&stop) && atomic_load(&ticks) < kMaxTicks) {
    usleep(5000);
    tick_ns[atomic_load(&ticks)] = now_ns();
    atomic_fetch_add(&ticks, 1);
  }
  return arg;
}

/* The longest time between two witness ticks around [from, to]. */
static long long longest_pause_ms(long long from, long long to) {
  long long longest = 0;
  int count = atomic_load(&ticks);
  for (int i = 1; i < count; i++) {
    if (tick_ns[i] > from && tick_ns[i - 1] < to && tick_ns[i] - tick_ns[i - 1] > longest) {
      longest = tick_ns[i] - tick_ns[i - 1];
    }
  }
  return longest / 1000000;
}

static void report(const char *what, const char *result, long long from) {
  usleep(20000); /* a tick after the end of the case */
  printf("%s: %s; the witness paused for over 250 ms: %s\n", what, result,
         longest_pause_ms(from, now_ns()) > 250 ? "yes" : "no");
}

static pid_t program_pid; /* names the addresses, in children too */

static struct sockaddr_un abstract_address(const char *name) {
  if (program_pid == 0) {
    program_pid = getpid();
  }
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path + 1, sizeof address.sun_path - 1, "%s.%d", name, (int)program_pid);
  return address;
}

/* Made before main: under sprig, descriptors sprig did not create. */
static int early_client = -1;
static int early_listener = -1;

__attribute__((constructor)) static void make_early_sockets(void) {
  early_client = socket(AF_UNIX, SOCK_STREAM, 0);
  early_listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = abstract_address("div_foreign_listener");
  if (bind(early_listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(early_listener, 8) != 0) {
    abort();
  }
}

static void connect_to_full_backlog(void) {
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = abstract_address("div_full_backlog");
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 0);
  int fillers[8];
  int filled = 0;
  while (filled < 8) { /* non-blocking connects until the backlog is full */
    fillers[filled] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(fillers[filled], (struct sockaddr *)&address, sizeof address) != 0) {
      close(fillers[filled]);
      break;
    }
    filled++;
  }
  pid_t child = fork();
  if (child == 0) {
    usleep(kDelayUs);
    for (int i = 0; i <= filled; i++) {
      close(accept(listener, NULL, NULL));
    }
    _exit(0);
  }
  long long from = now_ns();
  int rc = connect(early_client, (struct sockaddr *)&address, sizeof address);
  report("blocking connect() to a full backlog", rc == 0 ? "0" : strerror(errno), from);
  waitpid(child, NULL, 0);
  for (int i = 0; i < filled; i++) {
    close(fillers[i]);
  }
  close(listener);
  close(early_client);
}

struct reader {
  int fd;
  int accepts; /* accept() instead of read() */
  long result;
};

static void *read_one(void *arg) {
  struct reader *reader = arg;
  if (reader->accepts) {
    int client = accept(reader->fd, NULL, NULL);
    reader->result = client >= 0 ? 1 : -1;
    close(client);
  } else {
    char byte;
    reader->result = read(reader->fd, &byte, 1);
  }
  return NULL;
}

/* Two threads wait on fd; a child calls `event` twice, 100 ms and 500 ms on. */
static void two_waiters(const char *what, int fd, int accepts, void (*event)(void)) {
  struct reader readers[2] = {{fd, accepts, 0}, {fd, accepts, 0}};
  pthread_t threads[2];
  long long from = now_ns();
  for (int i = 0; i < 2; i++) {
    pthread_create(&threads[i], NULL, read_one, &readers[i]);
  }
  pid_t child = fork();
  if (child == 0) {
    usleep(100000);
    event();
    usleep(kDelayUs);
    event();
    _exit(0);
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(threads[i], NULL);
  }
  waitpid(child, NULL, 0);
  char result[64];
  snprintf(result, sizeof result, "both got one: %s",
           readers[0].result == 1 && readers[1].result == 1 ? "yes" : "no");
  report(what, result, from);
}

static int shared_pipe[2];

static void write_a_byte(void) {
  if (write(shared_pipe[1], "b", 1) != 1) {
    _exit(1);
  }
}

static void connect_once(void) {
  int client = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = abstract_address("div_foreign_listener");
  if (connect(client, (struct sockaddr *)&address, sizeof address) != 0) {
    _exit(1);
  }
  close(client);
}

static void read_timerfd(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec when = {{0, 0}, {0, kDelayUs * 1000}};
  timerfd_settime(fd, 0, &when, NULL);
  uint64_t expirations = 0;
  long long from = now_ns();
  ssize_t got = read(fd, &expirations, sizeof expirations);
  char result[64];
  snprintf(result, sizeof result, "%zd, %llu expiration", got, (unsigned long long)expirations);
  report("read() of a timerfd armed for 400 ms", result, from);
  close(fd);
}

static void read_eventfd(void) {
  int fd = eventfd(0, 0);
  pid_t child = fork();
  if (child == 0) {
    usleep(kDelayUs);
    uint64_t one = 1;
    _exit(write(fd, &one, sizeof one) == sizeof one ? 0 : 1);
  }
  uint64_t value = 0;
  long long from = now_ns();
  ssize_t got = read(fd, &value, sizeof value);
  char result[64];
  snprintf(result, sizeof result, "%zd, value %llu", got, (unsigned long long)value);
  report("read() of an eventfd another process writes", result, from);
  waitpid(child, NULL, 0);
  close(fd);
}

int main(void) {
  alarm(20);
  pthread_t thread;
  pthread_create(&thread, NULL, witness, NULL);
  usleep(20000);
  connect_to_full_backlog();
  if (pipe(shared_pipe) != 0) {
    return 1;
  }
  two_waiters("two threads read() one pipe", shared_pipe[0], 0, write_a_byte);
  two_waiters("two threads accept() on one blocking listener", early_listener, 1, connect_once);
  read_timerfd();
  read_eventfd();
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  return 0;
}
