/* proc_exec_thread.c - execv from a thread that is not main while other threads sleep, wait and hold a mutex: a failed execv returns ENOENT and the program goes on; then the program re-executes itself (same pid, one thread, fds without FD_CLOEXEC kept, the others closed), whose own thread execs /bin/sh, whose exit status ends the process. */
/* sprig: green counts-tasks */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *sleeper(void *arg) {
  (void)arg;
  usleep(5000000);
  printf("a sleeper woke: not reached\n");
  return NULL;
}

static void *cond_waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  pthread_cond_wait(&never, &lock);
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void *mutex_holder(void *arg) {
  (void)arg;
  static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&held);
  usleep(5000000);
  pthread_mutex_unlock(&held);
  return NULL;
}

static int count_tasks(void) {
  DIR *tasks = opendir("/proc/self/task");
  int count = 0;
  struct dirent *entry;
  while (tasks != NULL && (entry = readdir(tasks)) != NULL) {
    count += entry->d_name[0] != '.';
  }
  if (tasks != NULL) {
    closedir(tasks);
  }
  return count;
}

static void *exec_missing(void *arg) {
  (void)arg;
  char *args[] = {"missing", NULL};
  errno = 0;
  int rc = execv("/nonexistent/program", args);
  int error = errno;
  printf("execv of a missing program from a thread: %d %s\n", rc, error == ENOENT ? "ENOENT" : strerror(error));
  return NULL;
}

static char **exec_args;

static void *exec_args_thread(void *arg) {
  (void)arg;
  fflush(stdout);
  execv(exec_args[0], exec_args);
  printf("execv failed: %s\n", strerror(errno));
  exit(99);
}

/* Runs execv(args) on a new thread; the calling thread waits in pthread_join until the image is replaced. */
static void exec_from_thread(char **args) {
  exec_args = args;
  pthread_t thread;
  pthread_create(&thread, NULL, exec_args_thread, NULL);
  pthread_join(thread, NULL);
  printf("pthread_join returned: not reached\n");
}

/* The re-executed image: argv = self "again" pid kept_fd closed_fd. */
static int second_image(char **argv) {
  printf("second image: same pid: %s\n", atoi(argv[2]) == getpid() ? "yes" : "no");
  printf("second image: threads in /proc/self/task: %d\n", count_tasks());
  printf("second image: the fd without FD_CLOEXEC is open: %s\n", fcntl(atoi(argv[3]), F_GETFD) >= 0 ? "yes" : "no");
  errno = 0;
  int rc = fcntl(atoi(argv[4]), F_GETFD);
  printf("second image: the FD_CLOEXEC fd is closed: %s\n", rc < 0 && errno == EBADF ? "yes" : "no");
  pthread_t thread;
  pthread_create(&thread, NULL, sleeper, NULL);
  char *shell[] = {"/bin/sh", "-c", "echo third image: the shell runs; exit 5", NULL};
  exec_from_thread(shell);
  return 1;
}

int main(int argc, char **argv) {
  alarm(20);
  if (argc == 5 && strcmp(argv[1], "again") == 0) {
    return second_image(argv);
  }
  pthread_t threads[4];
  pthread_create(&threads[0], NULL, sleeper, NULL);
  pthread_create(&threads[1], NULL, cond_waiter, NULL);
  pthread_create(&threads[2], NULL, mutex_holder, NULL);
  pthread_create(&threads[3], NULL, exec_missing, NULL);
  pthread_join(threads[3], NULL);
  usleep(20000);
  printf("#nocompare first image: %d threads in /proc/self/task\n", count_tasks());

  int kept = socket(AF_UNIX, SOCK_STREAM, 0);
  int closed = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char pid[16], kept_text[16], closed_text[16];
  snprintf(pid, sizeof pid, "%d", getpid());
  snprintf(kept_text, sizeof kept_text, "%d", kept);
  snprintf(closed_text, sizeof closed_text, "%d", closed);
  char *self[] = {"/proc/self/exe", "again", pid, kept_text, closed_text, NULL};
  exec_from_thread(self);
  return 1;
}
