/* cancel_blocking_calls.c - pthread_cancel ends a thread blocked in sleep, read, poll, accept, a condition wait (the handler runs with the mutex held), sem_wait, pthread_join and waitpid; the thread's cleanup handler runs and join returns PTHREAD_CANCELED. */
/* sprig: green */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int pipe_fds[2];
static int listener;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static sem_t empty_semaphore;
static pthread_t sleeper_for_join;
static pid_t child;
static int handler_saw_mutex_locked = -1;

static const char *handler_ran; /* printed by main after the join: no race with main's output */

static void note(void *what) { handler_ran = what; }

static void unlock_mutex(void *arg) {
  (void)arg;
  /* Natively the mutex is reacquired before the handler runs. */
  handler_saw_mutex_locked = pthread_mutex_trylock(&mutex) == EBUSY;
  pthread_mutex_unlock(&mutex);
  note("condition wait");
}

static void *in_sleep(void *arg) {
  pthread_cleanup_push(note, "sleep");
  sleep(15);
  pthread_cleanup_pop(0);
  return arg;
}

static void *in_read(void *arg) {
  char byte;
  pthread_cleanup_push(note, "read");
  ssize_t n = read(pipe_fds[0], &byte, 1);
  printf("read returned %zd (should not)\n", n);
  pthread_cleanup_pop(0);
  return arg;
}

static void *in_poll(void *arg) {
  struct pollfd fd = {pipe_fds[0], POLLIN, 0};
  pthread_cleanup_push(note, "poll");
  poll(&fd, 1, 15000);
  pthread_cleanup_pop(0);
  return arg;
}

static void *in_accept(void *arg) {
  pthread_cleanup_push(note, "accept");
  accept(listener, NULL, NULL);
  pthread_cleanup_pop(0);
  return arg;
}

static void *in_cond_wait(void *arg) {
  pthread_mutex_lock(&mutex);
  pthread_cleanup_push(unlock_mutex, NULL);
  for (;;) {
    pthread_cond_wait(&never, &mutex);
  }
  pthread_cleanup_pop(0);
  return arg;
}

static void *in_sem_wait(void *arg) {
  pthread_cleanup_push(note, "sem_wait");
  sem_wait(&empty_semaphore);
  pthread_cleanup_pop(0);
  return arg;
}

static void *in_join(void *arg) {
  pthread_cleanup_push(note, "join");
  pthread_join(sleeper_for_join, NULL);
  pthread_cleanup_pop(0);
  return arg;
}

static void *in_waitpid(void *arg) {
  pthread_cleanup_push(note, "waitpid");
  waitpid(child, NULL, 0);
  pthread_cleanup_pop(0);
  return arg;
}

static void cancel_one(const char *name, void *(*body)(void *)) {
  pthread_t thread;
  pthread_create(&thread, NULL, body, NULL);
  usleep(50000); /* let it block */
  printf("%s: cancel -> %d\n", name, pthread_cancel(thread));
  void *result = NULL;
  int rc = pthread_join(thread, &result);
  printf("%s: join -> %d, canceled: %s, cleanup handler ran: %s\n", name, rc,
         result == PTHREAD_CANCELED ? "yes" : "no", handler_ran ? handler_ran : "none");
  handler_ran = NULL;
  fflush(stdout);
}

int main(void) {
  alarm(20);
  if (pipe(pipe_fds) != 0) {
    return 1;
  }
  listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4) != 0) {
    return 1;
  }
  sem_init(&empty_semaphore, 0, 0);
  pthread_create(&sleeper_for_join, NULL, in_sleep, NULL);
  child = fork();
  if (child == 0) {
    sleep(15);
    _exit(0);
  }
  cancel_one("sleep", in_sleep);
  cancel_one("read", in_read);
  cancel_one("poll", in_poll);
  cancel_one("accept", in_accept);
  cancel_one("cond_wait", in_cond_wait);
  printf("cond_wait: handler saw the mutex locked: %d\n", handler_saw_mutex_locked);
  cancel_one("sem_wait", in_sem_wait);
  cancel_one("join", in_join);
  cancel_one("waitpid", in_waitpid);
  /* The pipe and the listener still work after the cancelled waits left them. */
  if (write(pipe_fds[1], "x", 1) != 1) {
    return 1;
  }
  char byte = 0;
  printf("pipe still works: %s\n", read(pipe_fds[0], &byte, 1) == 1 && byte == 'x' ? "yes" : "no");
  pthread_cancel(sleeper_for_join);
  pthread_join(sleeper_for_join, NULL);
  printf("first sleeper: cleanup handler ran: %s\n", handler_ran ? handler_ran : "none");
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  printf("child killed: %s\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? "yes" : "no");
  return 0;
}
