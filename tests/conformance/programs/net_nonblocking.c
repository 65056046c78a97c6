/* net_nonblocking.c - O_NONBLOCK set by the program (fcntl, ioctl FIONBIO, SOCK_NONBLOCK, accept4) gives EAGAIN, F_GETFL shows exactly the program's flags, and a non-blocking connect gives EINPROGRESS then completes. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *error_name(int error) {
  switch (error) {
  case 0: return "0";
  case EAGAIN: return "EAGAIN";
  case EINPROGRESS: return "EINPROGRESS";
  case EISCONN: return "EISCONN";
  case EALREADY: return "EALREADY";
  case EBADF: return "EBADF";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EINVAL: return "EINVAL";
  default: return strerror(error);
  }
}

/* The result of a call: a count, or -1 and the errno's name. */
static void show(const char *what, long rc) {
  if (rc < 0) {
    printf("%s: -1 %s\n", what, error_name(errno));
  } else {
    printf("%s: %ld\n", what, rc);
  }
}

static void show_flags(const char *what, int fd) {
  int flags = fcntl(fd, F_GETFL);
  printf("%s: F_GETFL 0x%x (O_NONBLOCK %s)\n", what, flags, (flags & O_NONBLOCK) ? "on" : "off");
}

static int make_listener(struct sockaddr_in *address, int type) {
  int fd = socket(AF_INET, type, 0);
  memset(address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof *address;
  if (bind(fd, (struct sockaddr *)address, sizeof *address) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, (struct sockaddr *)address, &length) != 0) {
    printf("listen: %s\n", strerror(errno));
  }
  return fd;
}

/* A blocking recv that must wait: another thread sends after 50 ms. */
struct delayed_send {
  int fd;
  int delay_us;
};

static void *send_later(void *arg) {
  struct delayed_send *job = arg;
  usleep((useconds_t)job->delay_us);
  send(job->fd, "x", 1, 0);
  return NULL;
}

static void blocking_recv_waits(const char *what, int fd, int peer) {
  struct delayed_send job = {peer, 50000};
  pthread_t thread;
  pthread_create(&thread, NULL, send_later, &job);
  char byte = 0;
  long rc = recv(fd, &byte, 1, 0);
  pthread_join(thread, NULL);
  printf("%s: blocking recv waited and got %ld byte '%c'\n", what, rc, rc == 1 ? byte : '?');
}

int main(void) {
  alarm(20);
  char byte;
  struct sockaddr_in address;
  int listener = make_listener(&address, SOCK_STREAM);
  show_flags("blocking listener", listener);

  /* A plain connected pair. */
  int client = socket(AF_INET, SOCK_STREAM, 0);
  show_flags("new client socket", client);
  show("blocking connect", connect(client, (struct sockaddr *)&address, sizeof address));
  int server = accept(listener, NULL, NULL);
  show_flags("accepted socket", server);

  /* fcntl F_SETFL O_NONBLOCK and back. */
  int flags = fcntl(client, F_GETFL);
  show("fcntl F_SETFL |O_NONBLOCK", fcntl(client, F_SETFL, flags | O_NONBLOCK));
  show_flags("after fcntl on", client);
  show("recv on O_NONBLOCK (fcntl)", recv(client, &byte, 1, 0));
  show("read on O_NONBLOCK (fcntl)", read(client, &byte, 1));
  show("fcntl F_SETFL &~O_NONBLOCK", fcntl(client, F_SETFL, flags & ~O_NONBLOCK));
  show_flags("after fcntl off", client);
  blocking_recv_waits("after fcntl off", client, server);

  /* MSG_DONTWAIT on a blocking socket: one try, flags unchanged. */
  show("recv MSG_DONTWAIT on blocking socket", recv(client, &byte, 1, MSG_DONTWAIT));
  show_flags("after MSG_DONTWAIT", client);

  /* ioctl FIONBIO on and off. */
  int on = 1, off = 0;
  show("ioctl FIONBIO 1", ioctl(server, FIONBIO, &on));
  show_flags("after FIONBIO 1", server);
  show("recv on O_NONBLOCK (FIONBIO)", recv(server, &byte, 1, 0));
  show("ioctl FIONBIO 0", ioctl(server, FIONBIO, &off));
  show_flags("after FIONBIO 0", server);
  blocking_recv_waits("after FIONBIO 0", server, client);

  /* Other status flags pass through untouched: F_SETFL O_APPEND (without O_NONBLOCK) shows as set. */
  show("fcntl F_SETFL O_APPEND", fcntl(server, F_SETFL, O_APPEND));
  show_flags("after F_SETFL O_APPEND", server);
  show("fcntl F_SETFL 0", fcntl(server, F_SETFL, 0));
  show_flags("after F_SETFL 0", server);

  /* socket(SOCK_NONBLOCK): accept gives EAGAIN; connect gives EINPROGRESS. */
  struct sockaddr_in nb_address;
  int nb_listener = make_listener(&nb_address, SOCK_STREAM | SOCK_NONBLOCK);
  show_flags("SOCK_NONBLOCK listener", nb_listener);
  show("accept on SOCK_NONBLOCK listener, nothing pending", accept(nb_listener, NULL, NULL));
  show("accept4 on SOCK_NONBLOCK listener, nothing pending", accept4(nb_listener, NULL, NULL, SOCK_NONBLOCK));

  int nb_client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  show_flags("SOCK_NONBLOCK client", nb_client);
  show("non-blocking connect", connect(nb_client, (struct sockaddr *)&nb_address, sizeof nb_address));
  struct pollfd pfd = {nb_client, POLLOUT, 0};
  int ready = poll(&pfd, 1, 5000);
  printf("poll POLLOUT after connect: %d revents 0x%x\n", ready, pfd.revents);
  int error = -1;
  socklen_t length = sizeof error;
  getsockopt(nb_client, SOL_SOCKET, SO_ERROR, &error, &length);
  printf("SO_ERROR after connect: %s\n", error_name(error));
  show("connect again", connect(nb_client, (struct sockaddr *)&nb_address, sizeof nb_address));

  /* The listener is readable now: accept4 with and without SOCK_NONBLOCK. */
  pfd = (struct pollfd){nb_listener, POLLIN, 0};
  ready = poll(&pfd, 1, 5000);
  printf("poll POLLIN on listener: %d revents 0x%x\n", ready, pfd.revents);
  int accepted_nb = accept4(nb_listener, NULL, NULL, SOCK_NONBLOCK);
  show_flags("accept4(SOCK_NONBLOCK) socket", accepted_nb);
  show("recv on accept4(SOCK_NONBLOCK) socket", recv(accepted_nb, &byte, 1, 0));
  show("recv on SOCK_NONBLOCK client", recv(nb_client, &byte, 1, 0));

  /* A second connection accepted without SOCK_NONBLOCK from the non-blocking listener is blocking. */
  int nb_client2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  show("non-blocking connect 2", connect(nb_client2, (struct sockaddr *)&nb_address, sizeof nb_address));
  pfd = (struct pollfd){nb_listener, POLLIN, 0};
  ready = poll(&pfd, 1, 5000);
  printf("poll POLLIN on listener: %d revents 0x%x\n", ready, pfd.revents);
  int accepted_blocking = accept4(nb_listener, NULL, NULL, 0);
  show_flags("accept4(0) from non-blocking listener", accepted_blocking);
  blocking_recv_waits("accept4(0) socket", accepted_blocking, nb_client2);

  /* Clearing SOCK_NONBLOCK with fcntl makes it blocking. */
  show("fcntl F_SETFL 0 on accept4(SOCK_NONBLOCK) socket", fcntl(accepted_nb, F_SETFL, 0));
  show_flags("after clearing", accepted_nb);
  blocking_recv_waits("after clearing", accepted_nb, nb_client);

  /* Filling a non-blocking socket: a send eventually gives EAGAIN, never waits. */
  static char chunk[65536];
  long total = 0;
  long rc = 0;
  for (int i = 0; i < 10000; i++) {
    rc = send(nb_client, chunk, sizeof chunk, 0);
    if (rc < 0) {
      break;
    }
    total += rc;
  }
  printf("filling a non-blocking socket: stopped with %s, wrote something: %s\n", rc < 0 ? error_name(errno) : "no error",
         total > 0 ? "yes" : "no");
  printf("#nocompare filled %ld bytes\n", total);

  /* UDP with SOCK_NONBLOCK and with fcntl. */
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  show_flags("SOCK_DGRAM|SOCK_NONBLOCK", udp);
  struct sockaddr_in udp_address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(udp, (struct sockaddr *)&udp_address, sizeof udp_address);
  show("recvfrom on non-blocking UDP", recvfrom(udp, &byte, 1, 0, NULL, NULL));
  show("fcntl F_SETFL 0 on UDP", fcntl(udp, F_SETFL, 0));
  show_flags("UDP after clearing", udp);
  show("recvfrom MSG_DONTWAIT on blocking UDP", recvfrom(udp, &byte, 1, MSG_DONTWAIT, NULL, NULL));

  /* Bad descriptors. */
  show("fcntl F_GETFL on -1", fcntl(-1, F_GETFL));
  show("ioctl FIONBIO on -1", ioctl(-1, FIONBIO, &on));
  int closed = socket(AF_INET, SOCK_STREAM, 0);
  close(closed);
  show("fcntl F_SETFL on a closed socket", fcntl(closed, F_SETFL, O_NONBLOCK));
  show("ioctl FIONBIO on a closed socket", ioctl(closed, FIONBIO, &on));

  close(udp);
  close(nb_client2);
  close(accepted_blocking);
  close(accepted_nb);
  close(nb_client);
  close(nb_listener);
  close(server);
  close(client);
  close(listener);
  return 0;
}
