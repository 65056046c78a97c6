/* sig_eintr_waits.c - a signal to a thread blocked in a wait interrupts it as signal(7) says: poll, select, pselect, ppoll, epoll_wait, nanosleep, clock_nanosleep, sleep, usleep, sem_timedwait and recv with SO_RCVTIMEO fail with EINTR even with SA_RESTART; accept, sem_wait, futex and waitpid fail with EINTR without SA_RESTART and go on with it; a large write to a full socket returns what it wrote. */
/* sprig: green */
/* The signal comes from a helper thread's pthread_kill() to the waiting thread (a worker, then main),
 * about every 100 ms until the call returned: a signal that comes just before the call only runs the
 * handler, and the next one interrupts the call. For the calls that go on (SA_RESTART), the helper
 * sends one signal and, after the handler ran, makes the event the call waits for. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LONG_WAIT_S 15
#define BIG_WRITE (4 << 20)

static atomic_int handled;
static pthread_t target;
static atomic_int entering, returned;

static void on_signal(int signal_number) {
  (void)signal_number;
  atomic_fetch_add(&handled, 1);
}

static void handle(int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, NULL);
}

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

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

/* "-1 EINTR", or the value. */
static void describe(char *out, long rc, int error) {
  if (rc == -1) {
    sprintf(out, "-1 %s", error == EINTR ? "EINTR" : strerror(error));
  } else {
    sprintf(out, "%ld", rc);
  }
}

/* ---- the two helpers ---- */

/* Sends SIGUSR1 to the target about every 100 ms until its call returned (at most 10 s), then waits for
 * the handler to have run for the signals sent, so none is left over for the next check. */
static void *interrupt_until_returned(void *arg) {
  (void)arg;
  wait_flag(&entering);
  int base = atomic_load(&handled), sent = 0;
  for (int round = 0; round < 100 && !atomic_load(&returned); round++) {
    nap_ms(50);
    if (atomic_load(&returned)) {
      break;
    }
    pthread_kill(target, SIGUSR1);
    sent++;
    for (int i = 0; i < 50 && !atomic_load(&returned) && atomic_load(&handled) < base + sent; i++) {
      nap_ms(1);
    }
    nap_ms(50);
  }
  for (int i = 0; i < 5000 && atomic_load(&handled) < base + sent; i++) {
    nap_ms(1);
  }
  return NULL;
}

static void (*release)(void); /* makes the event a restarted call waits for */

/* Sends SIGUSR1 once the target waits, then, after the handler ran, makes the event. */
static void *interrupt_then_release(void *arg) {
  (void)arg;
  wait_flag(&entering);
  nap_ms(50);
  pthread_kill(target, SIGUSR1);
  for (int i = 0; i < 10000 && atomic_load(&handled) == 0; i++) {
    nap_ms(1);
  }
  nap_ms(50);
  release();
  return NULL;
}

/* ---- the waits: each sets `entering` just before its call and `returned` after ---- */

#define ENTER() atomic_store(&entering, 1)
#define LEAVE() \
  int error = errno; \
  atomic_store(&returned, 1)

static int pair[2];  /* nothing is ever written to pair[1], except by release_byte */
static int listener; /* TCP on 127.0.0.1 */
static struct sockaddr_in listener_address;
static int client = -1;
static sem_t semaphore;
static atomic_int futex_word;
static int child_pipe[2];
static pid_t child;
static int child_reaped;

static void wait_poll(char *out) {
  struct pollfd wanted = {pair[0], POLLIN, 0};
  ENTER();
  int rc = poll(&wanted, 1, -1);
  LEAVE();
  describe(out, rc, error);
}

static void wait_ppoll(char *out) {
  struct pollfd wanted = {pair[0], POLLIN, 0};
  ENTER();
  int rc = ppoll(&wanted, 1, NULL, NULL);
  LEAVE();
  describe(out, rc, error);
}

static void wait_select(char *out) {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(pair[0], &readable);
  ENTER();
  int rc = select(pair[0] + 1, &readable, NULL, NULL, NULL);
  LEAVE();
  describe(out, rc, error);
}

static void wait_pselect(char *out) {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(pair[0], &readable);
  ENTER();
  int rc = pselect(pair[0] + 1, &readable, NULL, NULL, NULL, NULL);
  LEAVE();
  describe(out, rc, error);
}

static void wait_epoll(char *out) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event event = {.events = EPOLLIN};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pair[0], &event);
  ENTER();
  int rc = epoll_wait(epoll_fd, &event, 1, -1);
  LEAVE();
  describe(out, rc, error);
  close(epoll_fd);
}

static void wait_nanosleep(char *out) {
  struct timespec request = {LONG_WAIT_S, 0}, left = {0, 0};
  ENTER();
  int rc = nanosleep(&request, &left);
  LEAVE();
  describe(out, rc, error);
  int left_ok = (left.tv_sec > 0 || left.tv_nsec > 0) && left.tv_sec < LONG_WAIT_S;
  sprintf(out + strlen(out), ", time left nonzero and below the request: %s", yes_no(left_ok));
}

static void wait_clock_nanosleep(char *out) {
  struct timespec request = {LONG_WAIT_S, 0}, left = {0, 0};
  errno = 0;
  ENTER();
  int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &request, &left);
  LEAVE();
  int left_ok = (left.tv_sec > 0 || left.tv_nsec > 0) && left.tv_sec < LONG_WAIT_S;
  sprintf(out, "returned %s, errno untouched: %s, time left nonzero and below the request: %s",
          rc == EINTR ? "EINTR" : strerror(rc), yes_no(error == 0), yes_no(left_ok));
}

static void wait_clock_nanosleep_abs(char *out) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += LONG_WAIT_S;
  errno = 0;
  ENTER();
  int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  LEAVE();
  sprintf(out, "returned %s, errno untouched: %s", rc == EINTR ? "EINTR" : strerror(rc), yes_no(error == 0));
}

static void wait_sleep(char *out) {
  ENTER();
  unsigned left = sleep(LONG_WAIT_S);
  LEAVE();
  (void)error;
  sprintf(out, "seconds left nonzero: %s, at most %d: %s", yes_no(left > 0), LONG_WAIT_S, yes_no(left <= LONG_WAIT_S));
}

static void wait_usleep(char *out) {
  ENTER();
  int rc = usleep(LONG_WAIT_S * 1000000u);
  LEAVE();
  describe(out, rc, error);
}

static void wait_accept(char *out) {
  ENTER();
  int fd = accept(listener, NULL, NULL);
  LEAVE();
  if (fd >= 0) {
    strcpy(out, "a connection");
    close(fd);
  } else {
    describe(out, fd, error);
  }
}

static void wait_recv_timeout(char *out) {
  struct timeval timeout = {LONG_WAIT_S, 0};
  setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char byte;
  ENTER();
  ssize_t n = recv(pair[0], &byte, 1, 0);
  LEAVE();
  describe(out, n, error);
  struct timeval none = {0, 0};
  setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
}

static void wait_sem(char *out) {
  ENTER();
  int rc = sem_wait(&semaphore);
  LEAVE();
  describe(out, rc, error);
}

static void wait_sem_timed(char *out) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += LONG_WAIT_S;
  ENTER();
  int rc = sem_timedwait(&semaphore, &until);
  LEAVE();
  describe(out, rc, error);
}

static void wait_futex(char *out) {
  ENTER();
  long rc = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  LEAVE();
  describe(out, rc, error);
}

/* With SA_RESTART a FUTEX_WAIT goes on; it may also end early with EAGAIN if the word changed before it
 * went back to sleep, so the caller loops as a user would, and tells whether it ever saw EINTR. */
static void wait_futex_loop(char *out) {
  int saw_eintr = 0, other_error = 0;
  ENTER();
  for (int i = 0; i < 1000 && atomic_load(&futex_word) == 0; i++) {
    long rc = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    if (rc != 0 && errno == EINTR) {
      saw_eintr = 1;
    } else if (rc != 0 && errno != EAGAIN) {
      other_error = 1;
    }
  }
  LEAVE();
  (void)error;
  sprintf(out, "ended after the wake: %s, saw EINTR: %s, other error: %s", yes_no(atomic_load(&futex_word) == 1),
          yes_no(saw_eintr), yes_no(other_error));
}

static void wait_waitpid(char *out) {
  int status = 0;
  ENTER();
  pid_t rc = waitpid(child, &status, 0);
  LEAVE();
  if (rc == child) {
    child_reaped = 1;
    sprintf(out, "the child, exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  } else {
    describe(out, rc, error);
  }
}

static void wait_big_write(char *out) {
  char *data = calloc(1, BIG_WRITE);
  int buffer = 64 * 1024; /* whatever the machine's default: far less than 4 MiB */
  setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  ENTER();
  ssize_t n = write(pair[1], data, BIG_WRITE);
  LEAVE();
  if (n > 0 && n < BIG_WRITE) {
    strcpy(out, "partial (0 < n < 4 MiB)");
  } else if (n == BIG_WRITE) {
    strcpy(out, "all 4 MiB");
  } else {
    describe(out, n, error);
  }
  free(data);
}

/* ---- the events restarted calls wait for ---- */

static void release_connect(void) {
  client = socket(AF_INET, SOCK_STREAM, 0);
  connect(client, (struct sockaddr *)&listener_address, sizeof listener_address);
}

static void release_sem(void) { sem_post(&semaphore); }

static void release_futex(void) {
  atomic_store(&futex_word, 1);
  syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void release_child(void) {
  close(child_pipe[1]);
  child_pipe[1] = -1;
}

/* ---- setup and teardown around the checks that need them ---- */

static void fresh_pair(void) {
  close(pair[0]);
  close(pair[1]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
}

static void start_child(void) {
  child_reaped = 0;
  if (pipe(child_pipe) != 0) {
    perror("pipe");
    exit(1);
  }
  child = fork();
  if (child == 0) {
    char byte;
    close(child_pipe[1]);
    alarm(20);
    while (read(child_pipe[0], &byte, 1) > 0) { /* until the parent closes its end */
    }
    _exit(7);
  }
  close(child_pipe[0]);
}

static void end_child(void) {
  if (child_pipe[1] >= 0) {
    close(child_pipe[1]);
    child_pipe[1] = -1;
  }
  int status;
  while (!child_reaped && waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

struct check {
  const char *name;
  int flags;
  void (*wait)(char *out);
  void (*release)(void); /* NULL: the call must fail; interrupt until it returned */
  void (*before)(void);
  void (*after)(void);
};

static void reset_futex(void) { atomic_store(&futex_word, 0); }

static void close_client(void) {
  if (client >= 0) {
    close(client);
    client = -1;
  }
}

static const struct check kChecks[] = {
    {"poll, SA_RESTART", SA_RESTART, wait_poll, NULL, NULL, NULL},
    {"ppoll, SA_RESTART", SA_RESTART, wait_ppoll, NULL, NULL, NULL},
    {"select, SA_RESTART", SA_RESTART, wait_select, NULL, NULL, NULL},
    {"pselect, SA_RESTART", SA_RESTART, wait_pselect, NULL, NULL, NULL},
    {"epoll_wait, SA_RESTART", SA_RESTART, wait_epoll, NULL, NULL, NULL},
    {"nanosleep 15 s, SA_RESTART", SA_RESTART, wait_nanosleep, NULL, NULL, NULL},
    {"clock_nanosleep 15 s, SA_RESTART", SA_RESTART, wait_clock_nanosleep, NULL, NULL, NULL},
    {"clock_nanosleep TIMER_ABSTIME, SA_RESTART", SA_RESTART, wait_clock_nanosleep_abs, NULL, NULL, NULL},
    {"sleep(15), SA_RESTART", SA_RESTART, wait_sleep, NULL, NULL, NULL},
    {"usleep 15 s, SA_RESTART", SA_RESTART, wait_usleep, NULL, NULL, NULL},
    {"recv with SO_RCVTIMEO 15 s, SA_RESTART", SA_RESTART, wait_recv_timeout, NULL, NULL, NULL},
    {"sem_timedwait 15 s, SA_RESTART", SA_RESTART, wait_sem_timed, NULL, NULL, NULL},
    {"accept, no SA_RESTART", 0, wait_accept, NULL, NULL, NULL},
    {"accept, SA_RESTART (connection made after the handler ran)", SA_RESTART, wait_accept, release_connect, NULL,
     close_client},
    {"sem_wait, no SA_RESTART", 0, wait_sem, NULL, NULL, NULL},
    {"sem_wait, SA_RESTART (sem_post after the handler ran)", SA_RESTART, wait_sem, release_sem, NULL, NULL},
    {"futex FUTEX_WAIT, no SA_RESTART", 0, wait_futex, NULL, reset_futex, NULL},
    {"futex FUTEX_WAIT, SA_RESTART (FUTEX_WAKE after the handler ran)", SA_RESTART, wait_futex_loop, release_futex,
     reset_futex, NULL},
    {"waitpid for a running child, no SA_RESTART", 0, wait_waitpid, NULL, start_child, end_child},
    {"waitpid for a running child, SA_RESTART (it exits after the handler ran)", SA_RESTART, wait_waitpid,
     release_child, start_child, end_child},
    {"write 4 MiB to a socket nobody reads, SA_RESTART", SA_RESTART, wait_big_write, NULL, NULL, fresh_pair},
};
#define CHECK_COUNT ((int)(sizeof kChecks / sizeof kChecks[0]))

static void run_check(const struct check *check, const char *who) {
  handle(check->flags);
  atomic_store(&handled, 0);
  atomic_store(&entering, 0);
  atomic_store(&returned, 0);
  if (check->before) {
    check->before();
  }
  target = pthread_self();
  release = check->release;
  pthread_t helper;
  pthread_create(&helper, NULL, check->release ? interrupt_then_release : interrupt_until_returned, NULL);
  char out[256];
  check->wait(out);
  pthread_join(helper, NULL);
  if (check->after) {
    check->after();
  }
  printf("%s: %s: %s, handler ran: %s\n", who, check->name, out, yes_no(atomic_load(&handled) > 0));
}

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < CHECK_COUNT; i++) {
    run_check(&kChecks[i], "thread");
  }
  return NULL;
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  sem_init(&semaphore, 0, 0);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  listener_address.sin_family = AF_INET;
  listener_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof listener_address;
  if (bind(listener, (struct sockaddr *)&listener_address, sizeof listener_address) != 0 || listen(listener, 8) != 0 ||
      getsockname(listener, (struct sockaddr *)&listener_address, &length) != 0) {
    perror("listener");
    return 1;
  }

  pthread_t thread;
  pthread_create(&thread, NULL, worker, NULL);
  pthread_join(thread, NULL);

  /* The same, waiting in main. */
  for (int i = 0; i < CHECK_COUNT; i++) {
    run_check(&kChecks[i], "main");
  }
  return 0;
}
