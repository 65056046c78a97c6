/* net_unix_backlog.c - a blocking AF_UNIX connect to a listener whose backlog is full waits until the listener accepts. */
/* sprig: green */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
static struct sockaddr_un address;
static int listener;
static void *acceptor(void *arg) {
  (void)arg;
  usleep(100000);
  for (int i = 0; i < 6; i++) { int c = accept(listener, NULL, NULL); if (c >= 0) close(c); }
  return NULL;
}
int main(void) {
  alarm(20);
  listener = socket(AF_UNIX, SOCK_STREAM, 0);
  address.sun_family = AF_UNIX;
  snprintf(address.sun_path, sizeof address.sun_path, "/tmp/net_unix_backlog.%d", (int)getpid());
  unlink(address.sun_path);
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, 1);
  pthread_t thread;
  pthread_create(&thread, NULL, acceptor, NULL);
  int ok = 0;
  int clients[6];
  for (int i = 0; i < 6; i++) {
    clients[i] = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(clients[i], (struct sockaddr *)&address, sizeof address) == 0) ok++;
    else printf("connect %d: %s\n", i, strerror(errno));
  }
  printf("connected %d of 6\n", ok);
  pthread_join(thread, NULL);
  for (int i = 0; i < 6; i++) close(clients[i]);
  unlink(address.sun_path);
  return 0;
}
