/* sig_default_actions.c - default signal actions on a process whose threads are all parked (in read, pthread_cond_wait, sem_wait, pthread_join): SIGTERM, SIGINT and SIGQUIT end it; SIGSTOP and SIGTSTP stop it and SIGCONT resumes it, and its waits then complete normally; a SIGTERM all its threads block stays pending until one unblocks it, then ends it; and an ignored signal (SIG_IGN, or a default of ignore) does not interrupt a read(). */
/* sprig: green pool */
/* The process P is a child of this program: it makes four threads, waits until each has set a flag
 * just before its wait and a short nap has passed, then tells the parent it is ready. P runs with
 * alarm(10) and in a process group of its own (so a SIGTSTP is never discarded as sent to an orphaned
 * group); the parent waits for it with waitpid(), WUNTRACED and WCONTINUED for the stops. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(int ms) {
  struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

static void wait_flag(atomic_int *flag) {
  for (int i = 0; i < 10000 && !atomic_load(flag); i++) {
    nap_ms(1);
  }
}

/* ---- the process P ---- */

static int to_p[2];   /* parent -> P: 'q' lets P end (read by thread 1) */
static int ctl_p[2];  /* parent -> P: 's' when the SIGTERM was sent (read by P's main) */
static int from_p[2]; /* P -> parent: 'r' ready, then the answer about pending */

static atomic_int p_entering[4];
static pthread_mutex_t p_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t p_cond = PTHREAD_COND_INITIALIZER;
static int p_go;
static sem_t p_sem;
static pthread_t p_threads[4];
static int p_results[4];

static void *p_reader(void *arg) {
  (void)arg;
  char byte = 0;
  atomic_store(&p_entering[0], 1);
  ssize_t n = read(to_p[0], &byte, 1);
  p_results[0] = n == 1 && byte == 'q';
  pthread_mutex_lock(&p_mutex);
  p_go = 1;
  pthread_cond_signal(&p_cond);
  pthread_mutex_unlock(&p_mutex);
  sem_post(&p_sem);
  return NULL;
}

static void *p_cond_waiter(void *arg) {
  (void)arg;
  int rc = 0;
  pthread_mutex_lock(&p_mutex);
  atomic_store(&p_entering[1], 1);
  for (int i = 0; i < 1000 && !p_go && rc == 0; i++) {
    rc = pthread_cond_wait(&p_cond, &p_mutex);
  }
  p_results[1] = rc == 0 && p_go;
  pthread_mutex_unlock(&p_mutex);
  return NULL;
}

static void *p_sem_waiter(void *arg) {
  (void)arg;
  atomic_store(&p_entering[2], 1);
  p_results[2] = sem_wait(&p_sem) == 0; /* no handler: not interrupted, not even by a stop */
  return NULL;
}

static void *p_joiner(void *arg) {
  (void)arg;
  atomic_store(&p_entering[3], 1);
  p_results[3] = pthread_join(p_threads[0], NULL) == 0;
  return NULL;
}

static void p_main(int block_term) {
  alarm(10);
  setpgid(0, 0);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  /* The default actions whatever the program inherited (a shell's background job ignores SIGINT). */
  static const int defaulted[] = {SIGTERM, SIGINT, SIGQUIT, SIGTSTP, SIGCONT};
  for (size_t i = 0; i < sizeof defaulted / sizeof defaulted[0]; i++) {
    signal(defaulted[i], SIG_DFL);
  }
  close(to_p[1]);
  close(ctl_p[1]);
  close(from_p[0]);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  if (block_term) {
    pthread_sigmask(SIG_BLOCK, &term, NULL); /* every thread inherits it */
  }
  sem_init(&p_sem, 0, 0);
  pthread_create(&p_threads[0], NULL, p_reader, NULL);
  pthread_create(&p_threads[1], NULL, p_cond_waiter, NULL);
  pthread_create(&p_threads[2], NULL, p_sem_waiter, NULL);
  pthread_create(&p_threads[3], NULL, p_joiner, NULL);
  for (int i = 0; i < 4; i++) {
    wait_flag(&p_entering[i]);
  }
  nap_ms(50);
  if (write(from_p[1], "r", 1) != 1) {
    _exit(2);
  }
  if (block_term) {
    char byte;
    if (read(ctl_p[0], &byte, 1) != 1) {
      _exit(2);
    }
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    if (write(from_p[1], sigismember(&pending, SIGTERM) ? "y" : "n", 1) != 1) {
      _exit(2);
    }
    pthread_sigmask(SIG_UNBLOCK, &term, NULL); /* ends P here */
    nap_ms(5000);
    _exit(3);
  }
  pthread_join(p_threads[3], NULL);
  pthread_join(p_threads[1], NULL);
  pthread_join(p_threads[2], NULL);
  _exit(p_results[0] && p_results[1] && p_results[2] && p_results[3] ? 0 : 1);
}

/* ---- the parent ---- */

static pid_t start_p(int block_term) {
  if (pipe(to_p) != 0 || pipe(ctl_p) != 0 || pipe(from_p) != 0) {
    perror("pipe");
    _exit(1);
  }
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    p_main(block_term);
  }
  setpgid(p, p);
  close(to_p[0]);
  close(ctl_p[0]);
  close(from_p[1]);
  char byte = 0;
  if (read(from_p[0], &byte, 1) != 1 || byte != 'r') { /* EOF if P ended first */
    printf("P did not get ready\n");
  }
  return p;
}

static void end_p(void) {
  close(to_p[1]);
  close(ctl_p[1]);
  close(from_p[0]);
}

static const char *signal_name(int signal_number) {
  switch (signal_number) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGQUIT:
      return "SIGQUIT";
    case SIGSTOP:
      return "SIGSTOP";
    case SIGTSTP:
      return "SIGTSTP";
    case SIGALRM:
      return "SIGALRM";
    case SIGKILL:
      return "SIGKILL";
    default:
      return "another signal";
  }
}

static const char *describe(pid_t rc, int status) {
  static char text[96];
  if (rc < 0) {
    snprintf(text, sizeof text, "waitpid failed: %s", strerror(errno));
  } else if (WIFEXITED(status)) {
    snprintf(text, sizeof text, "exited with %d", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) { /* WCOREDUMP is left out: it depends on the machine's core settings */
    snprintf(text, sizeof text, "terminated by signal %d (%s)", WTERMSIG(status), signal_name(WTERMSIG(status)));
  } else if (WIFSTOPPED(status)) {
    snprintf(text, sizeof text, "stopped by signal %d (%s)", WSTOPSIG(status), signal_name(WSTOPSIG(status)));
  } else if (WIFCONTINUED(status)) {
    snprintf(text, sizeof text, "continued");
  } else {
    snprintf(text, sizeof text, "status %#x", status);
  }
  return text;
}

static pid_t wait_for(pid_t p, int *status, int options) {
  pid_t rc;
  while ((rc = waitpid(p, status, options)) < 0 && errno == EINTR) {
  }
  return rc;
}

static void terminate_check(int signal_number) {
  pid_t p = start_p(0);
  kill(p, signal_number);
  int status = 0;
  pid_t rc = wait_for(p, &status, 0);
  printf("%s to a process with 4 parked threads: %s\n", signal_name(signal_number), describe(rc, status));
  end_p();
}

static void stop_check(int signal_number) {
  pid_t p = start_p(0);
  kill(p, signal_number);
  int status = 0;
  pid_t rc = wait_for(p, &status, WUNTRACED);
  printf("%s to a process with 4 parked threads: %s", signal_name(signal_number), describe(rc, status));
  kill(p, SIGCONT);
  rc = wait_for(p, &status, WCONTINUED);
  printf("; after SIGCONT: %s", describe(rc, status));
  if (write(to_p[1], "q", 1) != 1) {
    printf("; write to P failed");
  }
  rc = wait_for(p, &status, 0);
  printf("; told to end, its waits all completed: %s\n", describe(rc, status));
  end_p();
}

static void blocked_term_check(void) {
  pid_t p = start_p(1);
  kill(p, SIGTERM);
  char answer = '?';
  if (write(ctl_p[1], "s", 1) != 1 || read(from_p[0], &answer, 1) != 1) {
    answer = '?';
  }
  int status = 0;
  pid_t rc = wait_for(p, &status, 0);
  printf("SIGTERM to a process whose threads all block it: pending in P: %s; once P unblocked it: %s\n",
         answer == 'y' ? "yes" : answer == 'n' ? "no" : "(no answer)", describe(rc, status));
  end_p();
}

/* ---- ignored signals do not interrupt a read() in this process ---- */

static pthread_t main_thread;
static atomic_int main_entering;
static int pair[2];
static const int *ignored_list;

static void *send_ignored(void *arg) {
  (void)arg;
  wait_flag(&main_entering);
  for (const int *s = ignored_list; *s != 0; s++) {
    nap_ms(30);
    pthread_kill(main_thread, *s);
    nap_ms(30);
    kill(getpid(), *s);
  }
  nap_ms(50);
  send(pair[1], "i", 1, 0);
  return NULL;
}

static void ignored_check(const char *what, const int *signals) {
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  ignored_list = signals;
  atomic_store(&main_entering, 0);
  pthread_t helper;
  pthread_create(&helper, NULL, send_ignored, NULL);
  char byte = 0;
  atomic_store(&main_entering, 1);
  ssize_t n = read(pair[0], &byte, 1);
  int error = errno;
  pthread_join(helper, NULL);
  printf("read() in main while %s are sent to main and to the process: ", what);
  if (n == 1) {
    printf("1 byte, the one written after them\n");
  } else {
    printf("%zd %s\n", n, n < 0 ? (error == EINTR ? "EINTR" : strerror(error)) : "");
  }
  close(pair[0]);
  close(pair[1]);
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_thread = pthread_self();
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, NULL);

  signal(SIGUSR1, SIG_IGN);
  static const int usr1[] = {SIGUSR1, 0};
  ignored_check("SIGUSR1 (SIG_IGN)", usr1);
  static const int default_ignored[] = {SIGCHLD, SIGWINCH, SIGURG, 0};
  ignored_check("SIGCHLD, SIGWINCH and SIGURG (ignored by default)", default_ignored);

  terminate_check(SIGTERM);
  terminate_check(SIGINT);
  terminate_check(SIGQUIT);
  stop_check(SIGSTOP);
  stop_check(SIGTSTP);
  blocked_term_check();
  return 0;
}
