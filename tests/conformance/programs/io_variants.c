/* io_variants.c - readv/writev, sendfile, sendmmsg/recvmmsg, ppoll, pselect and epoll_pwait between green threads, as natively. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int pair[2];

/* Writes "hello" after 30 ms, so each waiting call below really waits. */
static void *late_writer(void *arg) {
  (void)arg;
  usleep(30000);
  if (write(pair[1], "hello", 5) != 5) {
    perror("write");
  }
  return NULL;
}

static void start_late_writer(pthread_t *thread) { pthread_create(thread, NULL, late_writer, NULL); }

static void drain(void) {
  char buffer[16];
  if (read(pair[0], buffer, sizeof buffer) != 5) {
    perror("drain");
  }
}

int main(void) {
  alarm(20);
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
    return 1;
  }
  pthread_t thread;

  /* writev / readv */
  char a[] = "vec", b[] = "tored";
  struct iovec out[2] = {{a, 3}, {b, 5}};
  printf("writev: %zd\n", writev(pair[1], out, 2));
  char c[4] = {0}, d[6] = {0};
  struct iovec in[2] = {{c, 3}, {d, 5}};
  printf("readv: %zd '%s' '%s'\n", readv(pair[0], in, 2), c, d);

  /* ppoll with a timeout that passes, then one that a write ends */
  struct pollfd watch = {pair[0], POLLIN, 0};
  struct timespec short_wait = {0, 10000000};
  printf("ppoll timeout: %d\n", ppoll(&watch, 1, &short_wait, NULL));
  start_late_writer(&thread);
  int woken = ppoll(&watch, 1, NULL, NULL);
  printf("ppoll woken: %d revents POLLIN %d\n", woken, (watch.revents & POLLIN) != 0);
  pthread_join(thread, NULL);
  drain();

  /* pselect */
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(pair[0], &readable);
  printf("pselect timeout: %d\n", pselect(pair[0] + 1, &readable, NULL, NULL, &short_wait, NULL));
  FD_SET(pair[0], &readable);
  start_late_writer(&thread);
  woken = pselect(pair[0] + 1, &readable, NULL, NULL, NULL, NULL);
  printf("pselect woken: %d isset %d\n", woken, FD_ISSET(pair[0], &readable) != 0);
  pthread_join(thread, NULL);
  drain();

  /* epoll_pwait on the program's own epoll instance */
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event interest = {.events = EPOLLIN, .data.fd = pair[0]};
  epoll_ctl(epoll, EPOLL_CTL_ADD, pair[0], &interest);
  struct epoll_event ready;
  printf("epoll_pwait timeout: %d\n", epoll_pwait(epoll, &ready, 1, 10, NULL));
  start_late_writer(&thread);
  woken = epoll_pwait(epoll, &ready, 1, -1, NULL);
  printf("epoll_pwait woken: %d fd matches %d\n", woken, ready.data.fd == pair[0]);
  pthread_join(thread, NULL);
  drain();
  close(epoll);

  /* sendfile from a temporary file into the socket */
  char path[] = "/tmp/io_variants.XXXXXX";
  int file = mkstemp(path);
  unlink(path);
  static char content[100000];
  for (size_t i = 0; i < sizeof content; i++) {
    content[i] = (char)('a' + i % 26);
  }
  if (write(file, content, sizeof content) != (ssize_t)sizeof content) {
    return 1;
  }
  off_t offset = 0;
  ssize_t sent = sendfile(pair[1], file, &offset, 1000);
  char received[1000];
  ssize_t got = 0;
  while (got < 1000) {
    ssize_t n = read(pair[0], received + got, (size_t)(1000 - got));
    if (n <= 0) break;
    got += n;
  }
  printf("sendfile: %zd, offset %ld, data equal %d\n", sent, (long)offset,
         memcmp(received, content, 1000) == 0);
  close(file);

  /* sendmmsg / recvmmsg over UDP on 127.0.0.1 */
  int receiver = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(receiver, (struct sockaddr *)&address, sizeof address);
  socklen_t length = sizeof address;
  getsockname(receiver, (struct sockaddr *)&address, &length);
  int sender = socket(AF_INET, SOCK_DGRAM, 0);
  connect(sender, (struct sockaddr *)&address, sizeof address);
  char one[] = "first", two[] = "second";
  struct iovec parts[2] = {{one, 5}, {two, 6}};
  struct mmsghdr outgoing[2];
  memset(outgoing, 0, sizeof outgoing);
  outgoing[0].msg_hdr.msg_iov = &parts[0];
  outgoing[0].msg_hdr.msg_iovlen = 1;
  outgoing[1].msg_hdr.msg_iov = &parts[1];
  outgoing[1].msg_hdr.msg_iovlen = 1;
  printf("sendmmsg: %d\n", sendmmsg(sender, outgoing, 2, 0));
  char first[16] = {0}, second[16] = {0};
  struct iovec slots[2] = {{first, sizeof first - 1}, {second, sizeof second - 1}};
  struct mmsghdr incoming[2];
  memset(incoming, 0, sizeof incoming);
  incoming[0].msg_hdr.msg_iov = &slots[0];
  incoming[0].msg_hdr.msg_iovlen = 1;
  incoming[1].msg_hdr.msg_iov = &slots[1];
  incoming[1].msg_hdr.msg_iovlen = 1;
  int count = recvmmsg(receiver, incoming, 2, MSG_WAITFORONE, NULL);
  if (count == 1) { /* the second datagram may come a moment later */
    count += recvmmsg(receiver, incoming + 1, 1, 0, NULL);
  }
  printf("recvmmsg: %d '%s' '%s'\n", count, first, second);
  close(sender);
  close(receiver);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
