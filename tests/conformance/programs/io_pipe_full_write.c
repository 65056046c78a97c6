/* io_pipe_full_write.c - a blocking write of 1 MiB to a pipe another process drains slowly parks only the writer: a witness keeps ticking. */
/* sprig: green */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile int ticks;
static volatile int writing;
static void *witness(void *arg) {
  (void)arg;
  while (writing) { usleep(2000); ticks++; }
  return NULL;
}
int main(void) {
  alarm(20);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(fds[1]);
    char buffer[8192]; long total = 0; ssize_t n;
    while ((n = read(fds[0], buffer, sizeof buffer)) > 0) { total += n; usleep(500); }
    _exit(total == (1 << 20) ? 0 : 1);
  }
  close(fds[0]);
  static char data[1 << 20];
  memset(data, 'x', sizeof data);
  writing = 1;
  pthread_t thread;
  pthread_create(&thread, NULL, witness, NULL);
  ssize_t written = write(fds[1], data, sizeof data);
  writing = 0;
  pthread_join(thread, NULL);
  close(fds[1]);
  int status = 0;
  waitpid(child, &status, 0);
  printf("wrote %zd in one call, child read it all: %s, witness ticked during the write: %s\n", written,
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no", ticks > 5 ? "yes" : "no");
  return 0;
}
