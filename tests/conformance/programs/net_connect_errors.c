/* net_connect_errors.c - connect's errors as natively: ECONNREFUSED on a closed loopback port (blocking and non-blocking, with SO_ERROR), EBADF, ENOTSOCK, EAFNOSUPPORT, EINVAL, EISCONN; read/write on closed fds give EBADF. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *error_name(int error) {
  switch (error) {
  case 0: return "0";
  case EAGAIN: return "EAGAIN";
  case EBADF: return "EBADF";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EINVAL: return "EINVAL";
  case EISCONN: return "EISCONN";
  case ENOTSOCK: return "ENOTSOCK";
  case EINPROGRESS: return "EINPROGRESS";
  case EALREADY: return "EALREADY";
  case ENOENT: return "ENOENT";
  case ECONNRESET: return "ECONNRESET";
  case EPIPE: return "EPIPE";
  case ENOTCONN: return "ENOTCONN";
  case EFAULT: return "EFAULT";
  default: return strerror(error);
  }
}

static void show(const char *what, long rc) {
  if (rc < 0) {
    printf("%s: -1 %s\n", what, error_name(errno));
  } else {
    printf("%s: %ld\n", what, rc);
  }
}

static void show_so_error(const char *what, int fd) {
  int error = -1;
  socklen_t length = sizeof error;
  int rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  printf("%s: getsockopt %d, SO_ERROR %s\n", what, rc, error_name(error));
}

/* A loopback port nobody listens on: bound once, then closed. */
static struct sockaddr_in closed_port(void) {
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t length = sizeof address;
  bind(fd, (struct sockaddr *)&address, sizeof address);
  getsockname(fd, (struct sockaddr *)&address, &length);
  close(fd);
  return address;
}

/* The same checks from a second thread, so they run while main waits. */
static void *refused_in_thread(void *arg) {
  (void)arg;
  usleep(20000); /* all ten start before any connects */
  struct sockaddr_in address = closed_port();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int rc = connect(fd, (struct sockaddr *)&address, sizeof address);
  int error = errno;
  close(fd);
  return (void *)(long)(rc == -1 && error == ECONNREFUSED);
}

int main(void) {
  alarm(20);
  signal(SIGPIPE, SIG_IGN); /* writes on unconnected sockets: EPIPE, not death (net_sigpipe.c checks the signal) */
  struct sockaddr_in refused = closed_port();

  /* Blocking connect to a closed port. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  show("blocking connect to a closed port", connect(fd, (struct sockaddr *)&refused, sizeof refused));
  show_so_error("after the refused blocking connect", fd);
  show("connect again", connect(fd, (struct sockaddr *)&refused, sizeof refused));
  char byte;
  show("read on the refused socket", read(fd, &byte, 1));
  show("write on the refused socket", write(fd, "x", 1));
  close(fd);

  /* Non-blocking connect to a closed port. */
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  show("non-blocking connect to a closed port", connect(fd, (struct sockaddr *)&refused, sizeof refused));
  struct pollfd pfd = {fd, POLLOUT, 0};
  int ready = poll(&pfd, 1, 5000);
  printf("poll POLLOUT: %d revents 0x%x\n", ready, pfd.revents);
  show_so_error("after the refused non-blocking connect", fd);
  show_so_error("SO_ERROR read a second time", fd);
  close(fd);

  /* Non-blocking connect, then the error through a second connect. */
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  show("non-blocking connect again", connect(fd, (struct sockaddr *)&refused, sizeof refused));
  pfd = (struct pollfd){fd, POLLOUT, 0};
  poll(&pfd, 1, 5000);
  show("second connect reports", connect(fd, (struct sockaddr *)&refused, sizeof refused));
  show_so_error("then SO_ERROR", fd);
  close(fd);

  /* Ten threads refused at once. */
  pthread_t threads[10];
  for (int i = 0; i < 10; i++) {
    pthread_create(&threads[i], NULL, refused_in_thread, NULL);
  }
  int refused_count = 0;
  for (int i = 0; i < 10; i++) {
    void *ok;
    pthread_join(threads[i], &ok);
    refused_count += ok != NULL;
  }
  printf("threads refused with ECONNREFUSED: %d of 10\n", refused_count);

  /* Bad descriptors. */
  show("connect on fd -1", connect(-1, (struct sockaddr *)&refused, sizeof refused));
  show("connect on fd 999", connect(999, (struct sockaddr *)&refused, sizeof refused));
  int not_socket = open("/dev/null", O_RDONLY);
  show("connect on /dev/null", connect(not_socket, (struct sockaddr *)&refused, sizeof refused));
  close(not_socket);
  int closed = socket(AF_INET, SOCK_STREAM, 0);
  close(closed);
  show("connect on a closed socket", connect(closed, (struct sockaddr *)&refused, sizeof refused));
  show("read on a closed socket", read(closed, &byte, 1));
  show("recv on a closed socket", recv(closed, &byte, 1, 0));
  show("write on a closed socket", write(closed, "x", 1));
  show("send on a closed socket", send(closed, "x", 1, 0));
  show("accept on a closed socket", accept(closed, NULL, NULL));
  show("close again", close(closed));
  show("read on fd -1", read(-1, &byte, 1));

  /* Bad addresses. */
  fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_un unix_address = {.sun_family = AF_UNIX};
  strcpy(unix_address.sun_path, "/nonexistent/socket");
  show("connect AF_INET socket to an AF_UNIX address", connect(fd, (struct sockaddr *)&unix_address, sizeof unix_address));
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = refused.sin_port};
  v6.sin6_addr = in6addr_loopback;
  show("connect AF_INET socket to an AF_INET6 address", connect(fd, (struct sockaddr *)&v6, sizeof v6));
  show("connect with a short address length", connect(fd, (struct sockaddr *)&refused, 4));
  show("connect with a null address", connect(fd, NULL, sizeof refused));
  close(fd);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  show("connect AF_UNIX socket to a missing path", connect(fd, (struct sockaddr *)&unix_address, sizeof unix_address));
  close(fd);

  /* EISCONN, and a connect on a listening socket. */
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  getsockname(listener, (struct sockaddr *)&address, &length);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  show("blocking connect to a listener", connect(fd, (struct sockaddr *)&address, sizeof address));
  show_so_error("after a good connect", fd);
  show("connect again on the connected socket", connect(fd, (struct sockaddr *)&address, sizeof address));
  show("connect on the listening socket", connect(listener, (struct sockaddr *)&address, sizeof address));
  int server = accept(listener, NULL, NULL);

  /* The peer resets: read gives ECONNRESET, then 0. */
  struct linger hard = {1, 0};
  setsockopt(server, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  close(server);
  usleep(20000);
  show("read after the peer reset", read(fd, &byte, 1));
  show("read again", read(fd, &byte, 1));
  show_so_error("SO_ERROR after the reset", fd);
  close(fd);
  close(listener);
  return 0;
}
