/* div_socket_flags_in_child.c - a blocking socket passed to a child process across fork() and execve(): the child sees it blocking and its read waits for the parent's byte; once with the environment as it is, once without LD_PRELOAD. */
/* sprig: own-test */
/* A divergence sprig(7) lists ("Other processes see sprig's sockets as
 * non-blocking"): under sprig the O_NONBLOCK that sprig sets on the open file
 * description shows in the child, whose read fails with EAGAIN, under sprig
 * or not. test_divergences.py checks both results. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int child_main(int fd) {
  alarm(10);
  int flags = fcntl(fd, F_GETFL);
  char byte = 0;
  errno = 0;
  ssize_t got = read(fd, &byte, 1);
  printf("O_NONBLOCK %s, read ", (flags & O_NONBLOCK) != 0 ? "on" : "off");
  if (got < 0) {
    printf("-1 %s\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
  } else {
    printf("%zd byte '%c'\n", got, byte);
  }
  return 0;
}

static void *send_later(void *arg) {
  usleep(100000);
  if (send(*(int *)arg, "p", 1, 0) != 1) {
    perror("send");
  }
  return NULL;
}

static void run_child(const char *self, const char *label, int keep_preload) {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  printf("%s: ", label);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(pair[1]);
    if (!keep_preload) {
      unsetenv("LD_PRELOAD");
    }
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", pair[0]);
    execl(self, self, "child", fd_text, (char *)NULL);
    _exit(127);
  }
  pthread_t thread;
  pthread_create(&thread, NULL, send_later, &pair[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  pthread_join(thread, NULL);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("child failed, status %d\n", status);
  }
  close(pair[0]);
  close(pair[1]);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) {
    return child_main(atoi(argv[2]));
  }
  alarm(20);
  run_child(argv[0], "child with the environment as it is", 1);
  run_child(argv[0], "child without LD_PRELOAD", 0);
  return 0;
}
