/* io_fortify.c - built with _FORTIFY_SOURCE=2, so read/recv/recvfrom/poll become __read_chk/__recv_chk/__recvfrom_chk/__poll_chk: blocking calls between threads behave as the plain ones, and a too-small buffer aborts (in a child). */
/* sprig: green */
/* The harness compiles every program with the same flags (-O1), so the
 * define is here; test_scale_and_io.py checks with nm that the binary calls
 * the _chk functions. Lengths come from a volatile so the compiler cannot
 * prove them safe and call the plain functions. */
#undef _FORTIFY_SOURCE
#define _FORTIFY_SOURCE 2
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile size_t one = 1;
static volatile size_t sixteen = 16;
static volatile nfds_t two_fds = 2;

struct delayed_send {
  int fd;
  int delay_us;
  const char *text;
};

static void *send_later(void *arg) {
  struct delayed_send *job = arg;
  usleep((useconds_t)job->delay_us);
  send(job->fd, job->text, strlen(job->text), 0);
  return NULL;
}

static pthread_t later(struct delayed_send *job) {
  pthread_t thread;
  pthread_create(&thread, NULL, send_later, job);
  return thread;
}

int main(void) {
  alarm(20);
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  char buffer[16];

  /* __read_chk, waiting for data from another thread. */
  struct delayed_send job = {pair[1], 30000, "read"};
  pthread_t thread = later(&job);
  memset(buffer, 0, sizeof buffer);
  ssize_t n = read(pair[0], buffer, sixteen);
  pthread_join(thread, NULL);
  printf("read (fortified): %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buffer);

  /* __recv_chk. */
  job.text = "recv";
  thread = later(&job);
  memset(buffer, 0, sizeof buffer);
  n = recv(pair[0], buffer, sixteen, 0);
  pthread_join(thread, NULL);
  printf("recv (fortified): %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buffer);
  n = recv(pair[0], buffer, one, MSG_DONTWAIT);
  printf("recv MSG_DONTWAIT (fortified): %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "");

  /* __recvfrom_chk on UDP. */
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(udp, (struct sockaddr *)&address, sizeof address);
  getsockname(udp, (struct sockaddr *)&address, &length);
  int sender = socket(AF_INET, SOCK_DGRAM, 0);
  connect(sender, (struct sockaddr *)&address, sizeof address);
  struct delayed_send datagram = {sender, 30000, "datagram"};
  thread = later(&datagram);
  memset(buffer, 0, sizeof buffer);
  struct sockaddr_in from;
  length = sizeof from;
  n = recvfrom(udp, buffer, sixteen, 0, (struct sockaddr *)&from, &length);
  pthread_join(thread, NULL);
  printf("recvfrom (fortified): %zd '%.*s' from loopback: %s\n", n, (int)(n > 0 ? n : 0), buffer,
         from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "yes" : "no");

  /* __poll_chk, timeout -1 and 30 ms. */
  struct pollfd fds[2] = {{pair[0], POLLIN, 0}, {udp, POLLIN, 0}};
  job.text = "p";
  thread = later(&job);
  int rc = poll(fds, two_fds, -1);
  pthread_join(thread, NULL);
  printf("poll (fortified), -1: %d revents %x %x\n", rc, fds[0].revents, fds[1].revents);
  n = read(pair[0], buffer, one); /* the "p" */
  rc = poll(fds, two_fds, 30);
  printf("poll (fortified), 30 ms: %d revents %x %x\n", rc, fds[0].revents, fds[1].revents);

  /* A length larger than the buffer: glibc's check aborts the process. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    char small[4];
    volatile size_t too_long = 8;
    send(pair[1], "12345678", 8, 0);
    n = read(pair[0], small, too_long);
    printf("not reached: %zd\n", n);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("read with a too-long length: %s %d\n", WIFSIGNALED(status) ? "killed by signal" : "exited with",
         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));

  close(sender);
  close(udp);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
