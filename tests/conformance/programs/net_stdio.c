/* net_stdio.c - stdio on connected TCP sockets (fdopen, fprintf/fflush, fgets, fscanf) between two threads in lockstep: 100 request/reply lines, then EOF through fclose. */
/* sprig: green */
/* stdio's own read(2) and write(2) are glibc-internal calls that sprig does
 * not see (sprig(7): "Calls made inside libc are not interposed"); on a
 * socket sprig created they would give EAGAIN instead of waiting. So, as a
 * careful program does, each side waits with poll() until its peer's line is
 * there before fgets, and only one line is in flight each way, so the
 * stream's buffer is empty whenever poll is called. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kRounds = 100 };

struct side {
  int fd;
  FILE *in;
  FILE *out;
  int lines_ok;
  int numbers_ok;
  int saw_eof;
};

static int wait_readable(int fd) {
  struct pollfd pfd = {fd, POLLIN, 0};
  return poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN);
}

static void open_streams(struct side *side) {
  usleep(30000); /* both threads exist for a while: the harness sees two OS threads natively */
  side->in = fdopen(side->fd, "r");
  side->out = fdopen(dup(side->fd), "w");
}

static void *server(void *arg) {
  struct side *side = arg;
  open_streams(side);
  char line[128];
  for (int round = 0; round < kRounds; round++) {
    if (!wait_readable(side->fd) || fgets(line, sizeof line, side->in) == NULL) {
      printf("server: no line %d (%s)\n", round, strerror(errno));
      return NULL;
    }
    int number = -1;
    if (sscanf(line, "request %d", &number) == 1 && number == round) {
      side->lines_ok++;
    }
    fprintf(side->out, "reply %d to [%.*s]\n%d\n", round, (int)strcspn(line, "\n"), line, round * round);
    fflush(side->out);
  }
  /* The client closes its streams: end of file. */
  side->saw_eof = wait_readable(side->fd) && fgets(line, sizeof line, side->in) == NULL && feof(side->in);
  fclose(side->out);
  fclose(side->in);
  return NULL;
}

static void *client(void *arg) {
  struct side *side = arg;
  open_streams(side);
  char line[128], expected[128];
  for (int round = 0; round < kRounds; round++) {
    fprintf(side->out, "request %d\n", round);
    fflush(side->out);
    if (!wait_readable(side->fd) || fgets(line, sizeof line, side->in) == NULL) {
      printf("client: no reply %d (%s)\n", round, strerror(errno));
      return NULL;
    }
    snprintf(expected, sizeof expected, "reply %d to [request %d]\n", round, round);
    side->lines_ok += strcmp(line, expected) == 0;
    /* The number on the second line came in the same write: it is already buffered. */
    int square = -1;
    /* ("%d\n" would go on skipping white space into the next, unsent line.) */
    if (fscanf(side->in, "%d", &square) == 1 && square == round * round && fgetc(side->in) == '\n') {
      side->numbers_ok++;
    }
  }
  fclose(side->out);
  fclose(side->in);
  return NULL;
}

int main(void) {
  alarm(20);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 4);
  getsockname(listener, (struct sockaddr *)&address, &length);
  struct side client_side = {0}, server_side = {0};
  client_side.fd = socket(AF_INET, SOCK_STREAM, 0);
  connect(client_side.fd, (struct sockaddr *)&address, sizeof address);
  server_side.fd = accept(listener, NULL, NULL);
  close(listener);

  pthread_t threads[2];
  pthread_create(&threads[0], NULL, server, &server_side);
  pthread_create(&threads[1], NULL, client, &client_side);
  pthread_join(threads[0], NULL);
  pthread_join(threads[1], NULL);
  printf("server: %d of %d requests right, end of file seen: %s\n", server_side.lines_ok, kRounds, server_side.saw_eof ? "yes" : "no");
  printf("client: %d of %d replies right, %d numbers right\n", client_side.lines_ok, kRounds, client_side.numbers_ok);
  return 0;
}
