/* park_each_call.c - each interposed call that waits parks only its own thread: the call can only return after another thread of the program runs (it sends the data, unlocks, posts, exits...), or, for timed waits, a witness thread ticks meanwhile. Under sprig all threads share one OS thread, so a call that blocked it would hang here. */
/* sprig: green pool */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
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
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the shared objects the cases wait on ---- */
static int pair[2];    /* a socketpair: [0] waits, [1] releases */
static int pipe_fds[2];
static int listener;   /* loopback listener for accept */
static struct sockaddr_in listen_address;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static pthread_spinlock_t spin;
static sem_t semaphore;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_t exiting_thread;
static pid_t child;
static int flag;
static atomic_int ticks;
static atomic_int stop;

static void *witness(void *arg) {
  (void)arg;
  for (int i = 0; i < 4000 && !atomic_load(&stop); i++) {
    atomic_fetch_add(&ticks, 1);
    usleep(2000);
  }
  return NULL;
}

static struct timespec in_ms(clockid_t clock, int ms) {
  struct timespec t;
  clock_gettime(clock, &t);
  t.tv_nsec += (long)ms * 1000000L;
  t.tv_sec += t.tv_nsec / 1000000000L;
  t.tv_nsec %= 1000000000L;
  return t;
}

static char byte_buffer[4];

/* ---- calls that wait for data on the socketpair / pipe ---- */
static long do_read(void) { return read(pair[0], byte_buffer, 1); }
static long do_readv(void) {
  struct iovec iov = {byte_buffer, 1};
  return readv(pair[0], &iov, 1);
}
static long do_recv(void) { return recv(pair[0], byte_buffer, 1, 0); }
static long do_recvfrom(void) { return recvfrom(pair[0], byte_buffer, 1, 0, NULL, NULL); }
static long do_recvmsg(void) {
  struct iovec iov = {byte_buffer, 1};
  struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
  return recvmsg(pair[0], &message, 0);
}
static long do_recvmmsg(void) {
  struct iovec iov = {byte_buffer, 1};
  struct mmsghdr message = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
  return recvmmsg(pair[0], &message, 1, 0, NULL);
}
static long do_pipe_read(void) { return read(pipe_fds[0], byte_buffer, 1); }
static long do_poll(void) {
  struct pollfd fd = {pair[0], POLLIN, 0};
  long n = poll(&fd, 1, -1);
  return n == 1 ? read(pair[0], byte_buffer, 1) : -1;
}
static long do_ppoll(void) {
  struct pollfd fd = {pair[0], POLLIN, 0};
  long n = ppoll(&fd, 1, NULL, NULL);
  return n == 1 ? read(pair[0], byte_buffer, 1) : -1;
}
static long do_select(void) {
  fd_set set;
  FD_ZERO(&set);
  FD_SET(pair[0], &set);
  long n = select(pair[0] + 1, &set, NULL, NULL, NULL);
  return n == 1 ? read(pair[0], byte_buffer, 1) : -1;
}
static long do_pselect(void) {
  fd_set set;
  FD_ZERO(&set);
  FD_SET(pair[0], &set);
  long n = pselect(pair[0] + 1, &set, NULL, NULL, NULL, NULL);
  return n == 1 ? read(pair[0], byte_buffer, 1) : -1;
}
static long epoll_common(int use_pwait) {
  int epoll_fd = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.fd = pair[0]};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pair[0], &event);
  struct epoll_event got;
  long n = use_pwait ? epoll_pwait(epoll_fd, &got, 1, -1, NULL) : epoll_wait(epoll_fd, &got, 1, -1);
  close(epoll_fd);
  return n == 1 ? read(pair[0], byte_buffer, 1) : -1;
}
static long do_epoll_wait(void) { return epoll_common(0); }
static long do_epoll_pwait(void) { return epoll_common(1); }
static void release_byte(void) {
  if (write(pair[1], "x", 1) != 1) {
    abort();
  }
}
static void release_pipe_byte(void) {
  if (write(pipe_fds[1], "p", 1) != 1) {
    abort();
  }
}

/* ---- writes that wait for room: the releaser drains the peer ---- */
static char big[1 << 20];
static long write_all_common(int which) {
  long total = 0;
  while (total < (long)sizeof big) {
    long n;
    struct iovec iov = {big + total, sizeof big - (size_t)total};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    switch (which) {
    case 0: n = write(pair[0], big + total, sizeof big - (size_t)total); break;
    case 1: n = writev(pair[0], &iov, 1); break;
    case 2: n = send(pair[0], big + total, sizeof big - (size_t)total, 0); break;
    case 3: n = sendto(pair[0], big + total, sizeof big - (size_t)total, 0, NULL, 0); break;
    default: n = sendmsg(pair[0], &message, 0); break;
    }
    if (n <= 0) {
      return -1;
    }
    total += n;
  }
  return total == (long)sizeof big;
}
static long do_write(void) { return write_all_common(0); }
static long do_writev(void) { return write_all_common(1); }
static long do_send(void) { return write_all_common(2); }
static long do_sendto(void) { return write_all_common(3); }
static long do_sendmsg(void) { return write_all_common(4); }
static void release_room(void) {
  static char sink[1 << 16];
  long total = 0;
  while (total < (long)sizeof big) {
    long n = read(pair[1], sink, sizeof sink);
    if (n <= 0) {
      abort();
    }
    total += n;
  }
}

/* ---- accept: the releaser connects ---- */
static long do_accept(void) {
  int fd = accept(listener, NULL, NULL);
  if (fd >= 0) {
    close(fd);
  }
  return fd >= 0;
}
static long do_accept4(void) {
  int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (fd >= 0) {
    close(fd);
  }
  return fd >= 0;
}
static void release_connect(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&listen_address, sizeof listen_address) != 0) {
    abort();
  }
  close(fd);
}

/* ---- synchronisation objects ---- */
static long do_mutex_lock(void) { return pthread_mutex_lock(&mutex) == 0 && pthread_mutex_unlock(&mutex) == 0; }
static long do_mutex_timedlock(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 10000);
  return pthread_mutex_timedlock(&mutex, &deadline) == 0 && pthread_mutex_unlock(&mutex) == 0;
}
static void hold_mutex(void) { pthread_mutex_lock(&mutex); }
static void release_mutex(void) { pthread_mutex_unlock(&mutex); }
static long do_cond_wait(void) {
  pthread_mutex_lock(&mutex);
  while (!flag) {
    pthread_cond_wait(&cond, &mutex);
  }
  flag = 0;
  pthread_mutex_unlock(&mutex);
  return 1;
}
static long do_cond_timedwait(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 10000);
  int rc = 0;
  pthread_mutex_lock(&mutex);
  while (!flag && rc == 0) {
    rc = pthread_cond_timedwait(&cond, &mutex, &deadline);
  }
  flag = 0;
  pthread_mutex_unlock(&mutex);
  return rc == 0;
}
static long do_cond_clockwait(void) {
  struct timespec deadline = in_ms(CLOCK_MONOTONIC, 10000);
  int rc = 0;
  pthread_mutex_lock(&mutex);
  while (!flag && rc == 0) {
    rc = pthread_cond_clockwait(&cond, &mutex, CLOCK_MONOTONIC, &deadline);
  }
  flag = 0;
  pthread_mutex_unlock(&mutex);
  return rc == 0;
}
static void release_cond(void) {
  pthread_mutex_lock(&mutex);
  flag = 1;
  pthread_cond_signal(&cond);
  pthread_mutex_unlock(&mutex);
}
static long do_rdlock(void) { return pthread_rwlock_rdlock(&rwlock) == 0 && pthread_rwlock_unlock(&rwlock) == 0; }
static long do_wrlock(void) { return pthread_rwlock_wrlock(&rwlock) == 0 && pthread_rwlock_unlock(&rwlock) == 0; }
static long do_timedrdlock(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 10000);
  return pthread_rwlock_timedrdlock(&rwlock, &deadline) == 0 && pthread_rwlock_unlock(&rwlock) == 0;
}
static long do_timedwrlock(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 10000);
  return pthread_rwlock_timedwrlock(&rwlock, &deadline) == 0 && pthread_rwlock_unlock(&rwlock) == 0;
}
static void hold_write_lock(void) { pthread_rwlock_wrlock(&rwlock); }
static void release_write_lock(void) { pthread_rwlock_unlock(&rwlock); }
static long do_sem_wait(void) { return sem_wait(&semaphore) == 0; }
static long do_sem_timedwait(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 10000);
  return sem_timedwait(&semaphore, &deadline) == 0;
}
static long do_sem_clockwait(void) {
  struct timespec deadline = in_ms(CLOCK_MONOTONIC, 10000);
  return sem_clockwait(&semaphore, CLOCK_MONOTONIC, &deadline) == 0;
}
static void release_sem(void) { sem_post(&semaphore); }
static long do_barrier(void) {
  int rc = pthread_barrier_wait(&barrier);
  return rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD;
}
static void release_barrier(void) { pthread_barrier_wait(&barrier); }
static long do_spin_lock(void) { return pthread_spin_lock(&spin) == 0 && pthread_spin_unlock(&spin) == 0; }
static void hold_spin(void) { pthread_spin_lock(&spin); }
static void release_spin(void) { pthread_spin_unlock(&spin); }
static void slow_init(void) { usleep(100000); }
static long do_once(void) { return pthread_once(&once, slow_init) == 0; }
static void *run_once_first(void *arg) {
  pthread_once(&once, slow_init);
  return arg;
}
static pthread_t once_first;
static void start_once_first(void) { pthread_create(&once_first, NULL, run_once_first, NULL); usleep(10000); }
static void release_once(void) { pthread_join(once_first, NULL); }

/* ---- threads and processes ---- */
static void *exit_on_flag(void *arg) {
  pthread_mutex_lock(&mutex);
  while (!flag) {
    pthread_cond_wait(&cond, &mutex);
  }
  flag = 0;
  pthread_mutex_unlock(&mutex);
  return arg;
}
static void start_exiting_thread(void) { pthread_create(&exiting_thread, NULL, exit_on_flag, (void *)9); }
static long do_join(void) {
  void *result = NULL;
  return pthread_join(exiting_thread, &result) == 0 && result == (void *)9;
}
static long do_timedjoin(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 10000);
  void *result = NULL;
  return pthread_timedjoin_np(exiting_thread, &result, &deadline) == 0 && result == (void *)9;
}
static void start_child(void) {
  int go[2];
  if (pipe(go) != 0) {
    abort();
  }
  child = fork();
  if (child == 0) {
    close(go[1]);
    char b;
    /* Exits when the parent's releaser closes the pipe. */
    while (read(go[0], &b, 1) > 0) {
    }
    _exit(4);
  }
  close(go[0]);
  pipe_fds[1] = go[1]; /* the releaser closes it */
}
static void release_child(void) { close(pipe_fds[1]); }
static long do_waitpid(void) {
  int status = 0;
  return waitpid(child, &status, 0) == child && WEXITSTATUS(status) == 4;
}
static long do_wait(void) {
  int status = 0;
  return wait(&status) == child && WEXITSTATUS(status) == 4;
}
static long do_wait4(void) {
  int status = 0;
  return wait4(child, &status, 0, NULL) == child && WEXITSTATUS(status) == 4;
}

/* ---- the driver ---- */
struct waiting_case {
  const char *name;
  void (*prepare)(void);  /* before the waiting thread starts: make it wait */
  long (*call)(void);     /* the waiting call; its result is printed */
  void (*release)(void);  /* run by main after 30 ms: what lets the call return */
};

static struct waiting_case *current;
static long result;
static atomic_int returned;

static void *waiting_thread(void *arg) {
  (void)arg;
  result = current->call();
  atomic_store(&returned, 1);
  return NULL;
}

static void run_case(struct waiting_case *c) {
  current = c;
  atomic_store(&returned, 0);
  if (c->prepare) {
    c->prepare();
  }
  pthread_t thread;
  pthread_create(&thread, NULL, waiting_thread, NULL);
  usleep(30000); /* main runs while the call waits, or never does under a blocked worker */
  int early = atomic_load(&returned);
  c->release();
  pthread_join(thread, NULL);
  printf("%-22s returned before release: %s, result %ld\n", c->name, early ? "yes" : "no", result);
  fflush(stdout);
}

/* Timed waits with nobody to release them: the witness must tick meanwhile. */
static void timed(const char *name, long (*call)(void)) {
  int before = atomic_load(&ticks);
  long rc = call();
  int during = atomic_load(&ticks) - before;
  printf("%-22s result %ld, witness ticked: %s\n", name, rc, during >= 5 ? "yes" : "no");
  printf("#nocompare %s ticks %d\n", name, during);
  fflush(stdout);
}
static long timed_sleep(void) { return sleep(1); }
static long timed_usleep(void) { return usleep(100000); }
static long timed_nanosleep(void) {
  struct timespec t = {0, 100000000L};
  return nanosleep(&t, NULL);
}
static long timed_clock_nanosleep(void) {
  struct timespec t = {0, 100000000L};
  return clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
}
static long timed_poll(void) { return poll(NULL, 0, 100); }
static long timed_select(void) {
  struct timeval t = {0, 100000};
  return select(0, NULL, NULL, NULL, &t);
}
static long timed_cond(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 100);
  pthread_mutex_lock(&mutex);
  int rc = pthread_cond_timedwait(&cond, &mutex, &deadline);
  pthread_mutex_unlock(&mutex);
  return rc == ETIMEDOUT;
}
static long timed_sem(void) {
  struct timespec deadline = in_ms(CLOCK_REALTIME, 100);
  return sem_timedwait(&semaphore, &deadline) == -1 && errno == ETIMEDOUT;
}
static long timed_recv_timeout(void) {
  struct timeval timeout = {0, 100000};
  setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  long n = recv(pair[0], byte_buffer, 1, 0);
  struct timeval none = {0, 0};
  setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  return n == -1 && errno == EAGAIN;
}
static long timed_system(void) { return system("sleep 0.1"); }
static long timed_getaddrinfo(void) {
  struct addrinfo *found = NULL;
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
  int rc = getaddrinfo("localhost", "80", &hints, &found);
  if (found) {
    freeaddrinfo(found);
  }
  usleep(100000); /* the lookup itself is quick: the witness proof is for the sleep */
  return rc == 0;
}

int main(void) {
  alarm(25);
  signal(SIGPIPE, SIG_IGN);
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0 || pipe(pipe_fds) != 0) {
    return 1;
  }
  listener = socket(AF_INET, SOCK_STREAM, 0);
  listen_address.sin_family = AF_INET;
  listen_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof listen_address;
  if (bind(listener, (struct sockaddr *)&listen_address, sizeof listen_address) != 0 ||
      listen(listener, 8) != 0 || getsockname(listener, (struct sockaddr *)&listen_address, &length) != 0) {
    return 1;
  }
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
  sem_init(&semaphore, 0, 0);

  struct waiting_case cases[] = {
      {"read", NULL, do_read, release_byte},
      {"readv", NULL, do_readv, release_byte},
      {"recv", NULL, do_recv, release_byte},
      {"recvfrom", NULL, do_recvfrom, release_byte},
      {"recvmsg", NULL, do_recvmsg, release_byte},
      {"recvmmsg", NULL, do_recvmmsg, release_byte},
      {"read (pipe)", NULL, do_pipe_read, release_pipe_byte},
      {"poll", NULL, do_poll, release_byte},
      {"ppoll", NULL, do_ppoll, release_byte},
      {"select", NULL, do_select, release_byte},
      {"pselect", NULL, do_pselect, release_byte},
      {"epoll_wait", NULL, do_epoll_wait, release_byte},
      {"epoll_pwait", NULL, do_epoll_pwait, release_byte},
      {"write (1 MiB)", NULL, do_write, release_room},
      {"writev (1 MiB)", NULL, do_writev, release_room},
      {"send (1 MiB)", NULL, do_send, release_room},
      {"sendto (1 MiB)", NULL, do_sendto, release_room},
      {"sendmsg (1 MiB)", NULL, do_sendmsg, release_room},
      {"accept", NULL, do_accept, release_connect},
      {"accept4", NULL, do_accept4, release_connect},
      {"mutex_lock", hold_mutex, do_mutex_lock, release_mutex},
      {"mutex_timedlock", hold_mutex, do_mutex_timedlock, release_mutex},
      {"cond_wait", NULL, do_cond_wait, release_cond},
      {"cond_timedwait", NULL, do_cond_timedwait, release_cond},
      {"cond_clockwait", NULL, do_cond_clockwait, release_cond},
      {"rwlock_rdlock", hold_write_lock, do_rdlock, release_write_lock},
      {"rwlock_wrlock", hold_write_lock, do_wrlock, release_write_lock},
      {"rwlock_timedrdlock", hold_write_lock, do_timedrdlock, release_write_lock},
      {"rwlock_timedwrlock", hold_write_lock, do_timedwrlock, release_write_lock},
      {"sem_wait", NULL, do_sem_wait, release_sem},
      {"sem_timedwait", NULL, do_sem_timedwait, release_sem},
      {"sem_clockwait", NULL, do_sem_clockwait, release_sem},
      {"barrier_wait", NULL, do_barrier, release_barrier},
      {"spin_lock", hold_spin, do_spin_lock, release_spin},
      {"once", start_once_first, do_once, release_once},
      {"join", start_exiting_thread, do_join, release_cond},
      {"timedjoin", start_exiting_thread, do_timedjoin, release_cond},
      {"waitpid", start_child, do_waitpid, release_child},
      {"wait", start_child, do_wait, release_child},
      {"wait4", start_child, do_wait4, release_child},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    run_case(&cases[i]);
  }

  pthread_t witness_thread;
  pthread_create(&witness_thread, NULL, witness, NULL);
  timed("sleep", timed_sleep);
  timed("usleep", timed_usleep);
  timed("nanosleep", timed_nanosleep);
  timed("clock_nanosleep", timed_clock_nanosleep);
  timed("poll (timeout)", timed_poll);
  timed("select (timeout)", timed_select);
  timed("cond_timedwait (out)", timed_cond);
  timed("sem_timedwait (out)", timed_sem);
  timed("recv (SO_RCVTIMEO)", timed_recv_timeout);
  timed("system", timed_system);
  timed("getaddrinfo", timed_getaddrinfo);
  atomic_store(&stop, 1);
  pthread_join(witness_thread, NULL);
  return 0;
}
