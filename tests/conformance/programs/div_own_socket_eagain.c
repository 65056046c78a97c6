/* div_own_socket_eagain.c - calls that reach a socket without going through sprig wait for a peer thread's data or room as natively: a raw syscall(SYS_read), splice() into a full socket and out of an empty one, stdio on a socket made stdin with dup2(), a read by an OS thread started before main, and a read in an exit handler. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Calls sprig does not see on its own sockets
 * get EAGAIN"): a socket the program creates under sprig is non-blocking in
 * the kernel, so each of these calls fails at once with EAGAIN.
 * test_divergences.py checks both results. The peer is a thread that sends or
 * drains 100 ms later. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kDelayUs = 100000 };

struct peer {
  int fd;
  const char *text; /* to send after the delay; NULL: drain until end of file */
  long drained;
};

static void *peer_main(void *arg) {
  struct peer *peer = arg;
  usleep(kDelayUs);
  if (peer->text != NULL) {
    if (send(peer->fd, peer->text, strlen(peer->text), 0) < 0) {
      perror("send");
    }
    return NULL;
  }
  char buffer[65536];
  ssize_t got;
  while ((got = read(peer->fd, buffer, sizeof buffer)) > 0) {
    peer->drained += got;
  }
  return NULL;
}

static void outcome(char *out, size_t size, long rc, int error) {
  if (rc < 0) {
    snprintf(out, size, "-1 %s", error == EAGAIN ? "EAGAIN" : strerror(error));
  } else {
    snprintf(out, size, "%ld", rc);
  }
}

static void raw_read(void) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  struct peer peer = {pair[1], "r", 0};
  pthread_t thread;
  pthread_create(&thread, NULL, peer_main, &peer);
  char byte = 0;
  errno = 0;
  long rc = syscall(SYS_read, pair[0], &byte, 1);
  char result[64];
  outcome(result, sizeof result, rc, errno);
  printf("syscall(SYS_read) before the peer sends: %s\n", result);
  pthread_join(thread, NULL);
  close(pair[0]);
  close(pair[1]);
}

static void splice_in(void) {
  int pair[2];
  int pipe_fds[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  if (pipe(pipe_fds) != 0) {
    return;
  }
  char block[4096];
  memset(block, 's', sizeof block);
  long filled = 0;
  for (int i = 0; i < 4096; i++) { /* fill the socket: at most 16 MiB */
    ssize_t sent = send(pair[0], block, sizeof block, MSG_DONTWAIT);
    if (sent < 0) {
      break;
    }
    filled += sent;
  }
  if (write(pipe_fds[1], "0123456789", 10) != 10) {
    return;
  }
  struct peer peer = {pair[1], NULL, 0};
  pthread_t thread;
  pthread_create(&thread, NULL, peer_main, &peer);
  errno = 0;
  long rc = splice(pipe_fds[0], NULL, pair[0], NULL, 10, 0);
  char result[64];
  outcome(result, sizeof result, rc, errno);
  close(pair[0]);
  pthread_join(thread, NULL);
  printf("splice() of 10 bytes into a full socket: %s; the peer drained the 10 too: %s\n", result,
         peer.drained == filled + 10 ? "yes" : "no");
  close(pair[1]);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

static void splice_out(void) {
  int pair[2];
  int pipe_fds[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  if (pipe(pipe_fds) != 0) {
    return;
  }
  struct peer peer = {pair[1], "abc", 0};
  pthread_t thread;
  pthread_create(&thread, NULL, peer_main, &peer);
  errno = 0;
  long rc = splice(pair[0], NULL, pipe_fds[1], NULL, 3, 0);
  char result[64];
  outcome(result, sizeof result, rc, errno);
  printf("splice() out of an empty socket: %s\n", result);
  pthread_join(thread, NULL);
  close(pair[0]);
  close(pair[1]);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

static void stdio_on_stdin(void) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  dup2(pair[0], STDIN_FILENO);
  close(pair[0]);
  struct peer peer = {pair[1], "a line\n", 0};
  pthread_t thread;
  pthread_create(&thread, NULL, peer_main, &peer);
  char line[64];
  errno = 0;
  char *got = fgets(line, sizeof line, stdin);
  int error = errno;
  if (got != NULL) {
    line[strcspn(line, "\n")] = '\0';
    printf("fgets(stdin) with stdin a socket: \"%s\"\n", line);
  } else {
    printf("fgets(stdin) with stdin a socket: NULL, %s, ferror %d\n",
           error == EAGAIN ? "EAGAIN" : strerror(error), ferror(stdin) != 0);
  }
  pthread_join(thread, NULL);
  close(pair[1]);
}

/* An OS thread started by a constructor, before main: under sprig it is not
 * a green thread. It reads a socket number from `requests`, reads one byte
 * from that socket, and writes the result to `replies`. */
static int requests[2];
static int replies[2];

static void *early_thread(void *arg) {
  int fd = -1;
  if (read(requests[0], &fd, sizeof fd) != sizeof fd) {
    return arg;
  }
  char byte = 0;
  errno = 0;
  long rc = read(fd, &byte, 1);
  long reply[2] = {rc, errno};
  if (write(replies[1], reply, sizeof reply) != sizeof reply) {
    perror("write");
  }
  return arg;
}

__attribute__((constructor)) static void start_early_thread(void) {
  if (pipe(requests) != 0 || pipe(replies) != 0) {
    abort();
  }
  pthread_t thread;
  pthread_create(&thread, NULL, early_thread, NULL);
  pthread_detach(thread);
}

static void read_by_early_thread(void) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  struct peer peer = {pair[1], "e", 0};
  pthread_t thread;
  pthread_create(&thread, NULL, peer_main, &peer);
  if (write(requests[1], &pair[0], sizeof pair[0]) != sizeof pair[0]) {
    return;
  }
  long reply[2] = {0, 0};
  if (read(replies[0], reply, sizeof reply) != sizeof reply) {
    return;
  }
  char result[64];
  outcome(result, sizeof result, reply[0], (int)reply[1]);
  printf("read() by an OS thread started before main: %s\n", result);
  pthread_join(thread, NULL);
  close(pair[0]);
  close(pair[1]);
}

/* The exit handler reads a socket whose peer thread sends 100 ms after main
 * has returned. */
static int exit_fd = -1;

static void read_at_exit(void) {
  char byte = 0;
  errno = 0;
  long rc = read(exit_fd, &byte, 1);
  char result[64];
  outcome(result, sizeof result, rc, errno);
  printf("read() in an exit handler: %s\n", result);
}

int main(void) {
  alarm(20);
  raw_read();
  splice_in();
  splice_out();
  read_by_early_thread();
  stdio_on_stdin();
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  exit_fd = pair[0];
  static struct peer peer;
  peer = (struct peer){pair[1], "x", 0};
  pthread_t thread;
  pthread_create(&thread, NULL, peer_main, &peer);
  pthread_detach(thread);
  atexit(read_at_exit);
  return 0;
}
