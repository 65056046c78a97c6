/* net_many_accept.c - 50 threads blocked in accept() on one listening socket, then 50 connections: each is accepted by exactly one thread, none is lost, and a witness thread keeps running meanwhile. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kAccepters = 50 };

static int listener;
static atomic_int seen[kAccepters];
static atomic_int accepted;
static atomic_int ticks;
static atomic_int stop;

static void *accepter(void *arg) {
  (void)arg;
  int fd = accept(listener, NULL, NULL);
  if (fd < 0) {
    printf("accept: %s\n", strerror(errno));
    return NULL;
  }
  atomic_fetch_add(&accepted, 1);
  int index = -1;
  if (read(fd, &index, sizeof index) == sizeof index && index >= 0 && index < kAccepters) {
    atomic_fetch_add(&seen[index], 1);
    write(fd, &index, sizeof index); /* the acknowledgement the client waits for */
  }
  close(fd);
  return NULL;
}

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(5000);
  }
  return NULL;
}

int main(void) {
  alarm(20);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  bind(listener, (struct sockaddr *)&address, sizeof address);
  listen(listener, kAccepters);
  getsockname(listener, (struct sockaddr *)&address, &length);

  pthread_t threads[kAccepters], witness_thread;
  for (int i = 0; i < kAccepters; i++) {
    pthread_create(&threads[i], NULL, accepter, NULL);
  }
  pthread_create(&witness_thread, NULL, witness, NULL);
  usleep(100000); /* every accepter is now blocked in accept() */
  int before = atomic_load(&ticks);
  /* until the witness has ticked 5 times (at most 10 s, so a loaded machine only slows it) */
  for (int i = 0; i < 1000 && atomic_load(&ticks) - before < 5; i++) {
    usleep(10000);
  }
  printf("witness ticked while 50 threads waited in accept: %s\n", atomic_load(&ticks) - before >= 5 ? "yes" : "no");
  printf("accepted before any connection: %d\n", atomic_load(&accepted));

  int acknowledged = 0;
  int clients[kAccepters];
  for (int i = 0; i < kAccepters; i++) {
    clients[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(clients[i], (struct sockaddr *)&address, sizeof address) != 0) {
      printf("connect %d: %s\n", i, strerror(errno));
      continue;
    }
    write(clients[i], &i, sizeof i);
  }
  for (int i = 0; i < kAccepters; i++) {
    int echo = -1;
    if (read(clients[i], &echo, sizeof echo) == sizeof echo && echo == i) {
      acknowledged++;
    }
    close(clients[i]);
  }
  for (int i = 0; i < kAccepters; i++) {
    pthread_join(threads[i], NULL);
  }
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  int once = 0, twice = 0, never = 0;
  for (int i = 0; i < kAccepters; i++) {
    int count = atomic_load(&seen[i]);
    once += count == 1;
    twice += count > 1;
    never += count == 0;
  }
  printf("accepted %d connections, acknowledged %d\n", atomic_load(&accepted), acknowledged);
  printf("connections seen once %d, more than once %d, never %d\n", once, twice, never);
  close(listener);
  return 0;
}
