/* not_deadlocked.c - every green thread waits, but something can still wake each: a child process writes to a pipe after 300 ms, and a thread woken by it signals the condition variable main waits on. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static int pipe_fds[2];
static int ready;

static void *read_pipe(void *arg) {
  char byte;
  if (read(pipe_fds[0], &byte, 1) != 1) {
    return arg;
  }
  pthread_mutex_lock(&mutex);
  ready = 1;
  pthread_cond_signal(&arrived);
  pthread_mutex_unlock(&mutex);
  return arg;
}

int main(void) {
  if (pipe(pipe_fds) != 0) {
    return 1;
  }
  pid_t child = fork();
  if (child == 0) {
    usleep(300000);
    if (write(pipe_fds[1], "x", 1) != 1) {
      _exit(1);
    }
    _exit(0);
  }
  pthread_t thread;
  pthread_create(&thread, NULL, read_pipe, NULL);
  pthread_mutex_lock(&mutex);
  while (!ready) {
    pthread_cond_wait(&arrived, &mutex);
  }
  pthread_mutex_unlock(&mutex);
  pthread_join(thread, NULL);
  waitpid(child, NULL, 0);
  printf("woken\n");
  return 0;
}
