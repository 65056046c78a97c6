/* net_sigpipe.c - writing to a socket whose peer closed: EPIPE with SIGPIPE ignored, a handler runs once per write, MSG_NOSIGNAL raises nothing, and with the default action SIGPIPE kills (a child, then the program itself). */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_sigpipe(int signal_number) {
  (void)signal_number;
  handled++;
}

static void show(const char *what, long rc) {
  if (rc < 0) {
    printf("%s: -1 %s, SIGPIPE handled %d times\n", what, errno == EPIPE ? "EPIPE" : strerror(errno), (int)handled);
  } else {
    printf("%s: %ld, SIGPIPE handled %d times\n", what, rc, (int)handled);
  }
}

/* A unix stream pair whose peer is closed: returns the writing end. */
static int orphan(void) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  close(pair[1]);
  return pair[0];
}

static void *write_in_thread(void *arg) {
  int fd = (int)(long)arg;
  usleep(20000); /* the thread lives a while, so the harness sees it as an OS thread natively */
  handled = 0;
  show("thread: write", write(fd, "x", 1));
  show("thread: send", send(fd, "x", 1, 0));
  struct iovec pieces[2] = {{"a", 1}, {"b", 1}};
  show("thread: writev", writev(fd, pieces, 2));
  show("thread: send MSG_NOSIGNAL", send(fd, "x", 1, MSG_NOSIGNAL));
  return NULL;
}

int main(void) {
  alarm(20);
  /* SIGPIPE ignored: EPIPE. */
  signal(SIGPIPE, SIG_IGN);
  int fd = orphan();
  show("ignored: write", write(fd, "x", 1));
  show("ignored: send", send(fd, "x", 1, 0));
  close(fd);

  /* A handler: it runs once per failing write, which still gives EPIPE. */
  struct sigaction action = {0};
  action.sa_handler = on_sigpipe;
  sigemptyset(&action.sa_mask);
  sigaction(SIGPIPE, &action, NULL);
  fd = orphan();
  pthread_t thread;
  pthread_create(&thread, NULL, write_in_thread, (void *)(long)fd);
  pthread_join(thread, NULL);
  close(fd);

  /* TCP: the first write after the peer's close goes out (the peer answers
   * with a reset); the next one gives EPIPE. */
  handled = 0;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  getsockname(listener, (struct sockaddr *)&address, &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  connect(client, (struct sockaddr *)&address, sizeof address);
  int server = accept(listener, NULL, NULL);
  close(server);
  usleep(50000);
  show("tcp: first write after the peer closed", write(client, "x", 1));
  usleep(50000);
  show("tcp: second write", write(client, "x", 1));
  close(client);
  close(listener);

  /* Default action in a child: killed by SIGPIPE. */
  signal(SIGPIPE, SIG_DFL);
  fd = orphan();
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    write(fd, "x", 1);
    _exit(0); /* not reached */
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child: %s %d\n", WIFSIGNALED(status) ? "killed by signal" : "exited with", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));

  /* Default action in the program itself, from a thread: the process dies (status 141 in a shell). */
  printf("now writing with the default action\n");
  fflush(stdout);
  pthread_create(&thread, NULL, write_in_thread, (void *)(long)fd);
  pthread_join(thread, NULL);
  printf("still alive after SIGPIPE\n");
  return 0;
}
