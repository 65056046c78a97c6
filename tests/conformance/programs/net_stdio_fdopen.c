/* net_stdio_fdopen.c - fdopen streams on sockets work across green threads; closing every fd above 2 leaves the program working. */
/* sprig: green */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static int sv[2];
static void *writer(void *a) { usleep(20000); FILE *f = fdopen(sv[1], "w"); for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i); fclose(f); return a; }
int main(void) {
  alarm(20);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pthread_t t; pthread_create(&t, NULL, writer, NULL);
  FILE *r = fdopen(sv[0], "r"); char line[64]; int n = 0; long sum = 0;
  while (fgets(line, sizeof line, r)) { n++; int v; sscanf(line, "line %d", &v); sum += v; }
  printf("lines=%d sum=%ld\n", n, sum); fclose(r); pthread_join(t, NULL);
  for (int fd = 3; fd < 64; fd++) close(fd);
  printf("closed all; sleeping still works\n"); usleep(1000);
  return 0;
}
