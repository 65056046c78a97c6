/* proc_fork_many_parked.c - fork from a thread while 100 threads are parked (on a condition variable, a mutex, socket reads and sleeps): the child, with only the forking thread, talks to the parent over a socketpair and a loopback TCP connection, runs a thread of its own and exits with the status the parent sent; the parent checks it, then releases and joins all 100. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kEach = 25, kParked = 4 * kEach };

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int released;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int reader_pairs[kEach][2];
static atomic_int finished;
static int listen_port;
static atomic_int forked; /* the fork has happened (set in both processes) */

/* Bounded waits (1 ms naps, at most 10 s): a loaded machine only slows them. */
static void wait_for(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    usleep(1000);
  }
}

static void *cond_waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&state_lock);
  while (!released) {
    pthread_cond_wait(&go, &state_lock);
  }
  pthread_mutex_unlock(&state_lock);
  atomic_fetch_add(&finished, 1);
  return NULL;
}

static void *mutex_waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&held);
  pthread_mutex_unlock(&held);
  atomic_fetch_add(&finished, 1);
  return NULL;
}

static void *socket_reader(void *arg) {
  int fd = reader_pairs[(long)arg][0];
  char byte = 0;
  if (read(fd, &byte, 1) == 1 && byte == 'r') {
    atomic_fetch_add(&finished, 1);
  }
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  usleep(300000);
  wait_for(&forked); /* however late a loaded machine forks: the child's copy of the counter is 0 */
  atomic_fetch_add(&finished, 1);
  return NULL;
}

static ssize_t read_line(int fd, char *buffer, size_t size) {
  size_t used = 0;
  while (used + 1 < size) {
    ssize_t n = read(fd, buffer + used, 1);
    if (n <= 0) {
      break;
    }
    if (buffer[used++] == '\n') {
      break;
    }
  }
  buffer[used] = '\0';
  return (ssize_t)used;
}

static void *child_thread(void *arg) {
  int *result = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *result = connect(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
            write(fd, "hello over tcp\n", 15) == 15;
  close(fd);
  return NULL;
}

/* The child: only this thread is left. */
static int child_main(int channel) {
  for (int i = 0; i < kEach; i++) {
    close(reader_pairs[i][0]);
    close(reader_pairs[i][1]);
  }
  if (write(channel, "hello from the child\n", 21) != 21) {
    return 90;
  }
  char reply[64];
  read_line(channel, reply, sizeof reply);
  int status = 0;
  if (sscanf(reply, "exit with %d", &status) != 1) {
    return 91;
  }
  pthread_t thread;
  int tcp_ok = 0;
  if (pthread_create(&thread, NULL, child_thread, &tcp_ok) != 0 || pthread_join(thread, NULL) != 0 || !tcp_ok) {
    return 92;
  }
  usleep(600000); /* well past the sleepers' wake-up: none of the parent's threads runs here */
  return atomic_load(&finished) == 0 ? status : 93;
}

static void *forker(void *arg) {
  (void)arg;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  socklen_t length = sizeof address;
  getsockname(listener, (struct sockaddr *)&address, &length);
  listen_port = ntohs(address.sin_port);
  int channel[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, channel);

  fflush(stdout);
  pid_t child = fork();
  atomic_store(&forked, 1);
  if (child == 0) {
    close(channel[0]);
    close(listener);
    _exit(child_main(channel[1]));
  }
  close(channel[1]);
  char line[64];
  read_line(channel[0], line, sizeof line);
  printf("parent read from the socketpair: %s", line);
  write(channel[0], "exit with 42\n", 13);
  int connection = accept(listener, NULL, NULL);
  read_line(connection, line, sizeof line);
  printf("parent read from the child's TCP connection: %s", line);
  close(connection);
  /* the sleepers end meanwhile, however late a loaded machine runs them (at most 10 s) */
  for (int i = 0; i < 10000 && atomic_load(&finished) < kEach; i++) {
    usleep(1000);
  }
  int status = 0;
  pid_t waited = waitpid(child, &status, 0);
  printf("waitpid: %s, exit status %d\n", waited == child ? "the child" : "wrong",
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  printf("threads finished in the parent meanwhile: %d\n", atomic_load(&finished));
  close(channel[0]);
  close(listener);
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_mutex_lock(&held);
  pthread_t parked[kParked];
  for (long i = 0; i < kEach; i++) {
    socketpair(AF_UNIX, SOCK_STREAM, 0, reader_pairs[i]);
    pthread_create(&parked[i], NULL, cond_waiter, NULL);
    pthread_create(&parked[kEach + i], NULL, mutex_waiter, NULL);
    pthread_create(&parked[2 * kEach + i], NULL, socket_reader, (void *)i);
  }
  usleep(20000); /* all parked */
  for (long i = 0; i < kEach; i++) {
    pthread_create(&parked[3 * kEach + i], NULL, sleeper, NULL);
  }
  pthread_t forking;
  pthread_create(&forking, NULL, forker, NULL);
  pthread_join(forking, NULL);

  pthread_mutex_lock(&state_lock);
  released = 1;
  pthread_cond_broadcast(&go);
  pthread_mutex_unlock(&state_lock);
  pthread_mutex_unlock(&held);
  for (int i = 0; i < kEach; i++) {
    write(reader_pairs[i][1], "r", 1);
  }
  for (int i = 0; i < kParked; i++) {
    pthread_join(parked[i], NULL);
  }
  printf("parked threads finished in the parent: %d of %d\n", atomic_load(&finished), kParked);
  return 0;
}
