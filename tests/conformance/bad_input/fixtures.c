/* fixtures.c - what the bad-input cases call with: unmapped and read-only memory, closed and
 * wrong-kind fds, pipes and sockets (sprig's or foreign) in known states, message arguments, and
 * threads running, blocked or finished. bad_input.h says what each gives. */
#include "bad_input.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

void fixture_failed(const char *what) {
  fprintf(stderr, "bad_input: fixture failed: %s: %s\n", what, strerror(errno));
  _exit(99);
}

/* ---- memory ---- */

/* Three PROT_NONE pages with the middle one unmapped. A page merely unmapped is the edge of the
 * free area, where the next mapping of any size (a thread stack, posix_spawn's stack in system())
 * lands and covers it; a one-page hole between two mapped pages is filled by a one-page mapping at
 * most. */
void *unmapped_page(void) {
  long size = sysconf(_SC_PAGESIZE);
  char *pages = mmap(NULL, 3 * (size_t)size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED || munmap(pages + size, (size_t)size) != 0) {
    fixture_failed("unmapped_page");
  }
  return pages + size;
}

void *readonly_page(void) {
  long size = sysconf(_SC_PAGESIZE);
  void *page = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    fixture_failed("readonly_page");
  }
  return page;
}

void *end_of_mapping(size_t size) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t mapped = (size + page - 1) / page * page;
  char *start =
      mmap(NULL, mapped + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (start == MAP_FAILED || munmap(start + mapped, page) != 0) {
    fixture_failed("end_of_mapping");
  }
  return start + mapped - size;
}

void *readonly_copy(const void *source, size_t size) {
  char *copy = end_of_mapping(size);
  memcpy(copy, source, size);
  char *first_page = copy - (size_t)copy % (size_t)sysconf(_SC_PAGESIZE);
  if (mprotect(first_page, (size_t)(copy + size - first_page), PROT_READ) != 0) {
    fixture_failed("mprotect");
  }
  return copy;
}

void *readonly_made(void (*init)(void *object)) {
  long size = sysconf(_SC_PAGESIZE);
  void *page = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    fixture_failed("mmap");
  }
  init(page);
  if (mprotect(page, (size_t)size, PROT_READ) != 0) {
    fixture_failed("mprotect");
  }
  return page;
}

/* ---- fds ---- */

int closed_fd(void) {
  int fd = dup(STDERR_FILENO);
  if (fd < 0 || close(fd) != 0) {
    fixture_failed("closed_fd");
  }
  return fd;
}

int too_high_fd(void) { return 1 << 30; }

int regular_file_fd(void) {
  char path[] = "/tmp/bad_input_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || unlink(path) != 0) {
    fixture_failed("regular_file_fd");
  }
  write_fully(fd, "regular file\n", 13);
  if (lseek(fd, 0, SEEK_SET) != 0) {
    fixture_failed("lseek");
  }
  return fd;
}

int directory_fd(void) {
  int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    fixture_failed("directory_fd");
  }
  return fd;
}

int timer_fd(int milliseconds) {
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec when = {.it_value = {milliseconds / 1000, (milliseconds % 1000) * 1000000L}};
  if (fd < 0 || timerfd_settime(fd, 0, &when, NULL) != 0) {
    fixture_failed("timerfd");
  }
  return fd;
}

/* ---- pipes ---- */

void make_pipe(int fds[2]) {
  if (pipe(fds) != 0) {
    fixture_failed("pipe");
  }
}

void make_foreign_pipe(int fds[2]) {
  if (syscall(SYS_pipe2, fds, 0) != 0) {
    fixture_failed("pipe2 (raw)");
  }
}

void any_pipe(int fds[2], int foreign) {
  if (foreign) {
    make_foreign_pipe(fds);
  } else {
    make_pipe(fds);
  }
}

int pipe_reader(int foreign) {
  int fds[2];
  any_pipe(fds, foreign);
  return fds[0];
}

int pipe_writer(int foreign) {
  int fds[2];
  any_pipe(fds, foreign);
  return fds[1];
}

int readable_pipe(int foreign) {
  int fds[2];
  any_pipe(fds, foreign);
  write_fully(fds[1], "hello", 5);
  return fds[0];
}

/* ---- sockets ---- */

int tcp_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    fixture_failed("socket");
  }
  return fd;
}

int make_listener(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 8) != 0) {
    fixture_failed("listener");
  }
  return fd;
}

void make_tcp_pair(int fds[2]) { any_tcp_pair(fds, 0); }

void any_tcp_pair(int fds[2], int foreign) {
  int listener = make_listener();
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  if (getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
    fixture_failed("getsockname");
  }
  if (foreign) {
    fds[0] = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
    if (fds[0] < 0 || syscall(SYS_connect, fds[0], &address, length) != 0) {
      fixture_failed("raw connect");
    }
  } else {
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&address, length) != 0) {
      fixture_failed("connect");
    }
  }
  fds[1] = accept(listener, NULL, NULL);
  if (fds[1] < 0) {
    fixture_failed("accept");
  }
  close(listener);
}

int tcp_client(int foreign) {
  int fds[2];
  any_tcp_pair(fds, foreign);
  return fds[0];
}

int make_udp_socket(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    fixture_failed("udp socket");
  }
  return fd;
}

void make_unix_pair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    fixture_failed("socketpair");
  }
}

int unix_pair_end(void) {
  int fds[2];
  make_unix_pair(fds);
  return fds[0];
}

/* ---- fds put in a state ---- */

int shut_down(int fd, int how) {
  if (shutdown(fd, how) != 0) {
    fixture_failed("shutdown");
  }
  return fd;
}

int nonblocking(int fd) {
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    fixture_failed("fcntl O_NONBLOCK");
  }
  return fd;
}

int set_socket_timeout(int fd, int name, long seconds, long micros) {
  struct timeval timeout = {.tv_sec = seconds, .tv_usec = micros};
  if (setsockopt(fd, SOL_SOCKET, name, &timeout, sizeof timeout) != 0) {
    fixture_failed("setsockopt timeout");
  }
  return fd;
}

/* ---- data and readiness ---- */

void fill_socket(int fd) {
  static char chunk[65536];
  for (int round = 0; round < 100000; ++round) {
    ssize_t sent = send(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      }
      fixture_failed("fill_socket");
    }
  }
  errno = 0;
  fixture_failed("fill_socket: never full");
}

void write_fully(int fd, const void *buf, size_t len) {
  const char *cursor = buf;
  while (len > 0) {
    ssize_t written = write(fd, cursor, len);
    if (written <= 0) {
      fixture_failed("write_fully");
    }
    cursor += written;
    len -= (size_t)written;
  }
}

void wait_for(int fd, short events) {
  struct pollfd probe = {.fd = fd, .events = events};
  if (poll(&probe, 1, 1000) != 1) {
    fixture_failed("wait_for: not ready");
  }
}

/* ---- message arguments ---- */

struct iovec *iov_of(void *base, size_t len) {
  static struct iovec one;
  one = (struct iovec){base, len};
  return &one;
}

struct msghdr *msg_of(void *iov, size_t iovlen) {
  static struct msghdr one;
  one = (struct msghdr){.msg_iov = iov, .msg_iovlen = iovlen};
  return &one;
}

struct msghdr *named(struct msghdr *message, void *name, socklen_t namelen) {
  message->msg_name = name;
  message->msg_namelen = namelen;
  return message;
}

struct mmsghdr *two_messages(struct iovec *iov, size_t first_iovlen) {
  static struct mmsghdr two[2];
  two[0] = two[1] = (struct mmsghdr){.msg_hdr = {.msg_iov = iov, .msg_iovlen = 1}};
  two[0].msg_hdr.msg_iovlen = first_iovlen;
  return two;
}

struct mmsghdr *message_at_page_end(struct iovec *iov) {
  struct mmsghdr *last = end_of_mapping(sizeof *last);
  last->msg_hdr = (struct msghdr){.msg_iov = iov, .msg_iovlen = 1};
  return last;
}

/* ---- threads ---- */

static int g_block[2]; /* the pipe blocked_thread's thread reads: nothing is ever written */
static int g_done;     /* set by finish_now */

static void *block_on_pipe(void *arg) {
  char byte;
  if (read(g_block[0], &byte, 1) < 0) {
    return NULL;
  }
  return arg;
}

static void *finish_now(void *arg) {
  __atomic_store_n(&g_done, 1, __ATOMIC_RELEASE);
  return arg;
}

/* The number of this process's threads, from /proc/self/task. */
static int task_count(void) {
  DIR *tasks = opendir("/proc/self/task");
  int count = 0;
  if (tasks == NULL) {
    fixture_failed("opendir /proc/self/task");
  }
  for (struct dirent *entry; (entry = readdir(tasks)) != NULL;) {
    count += entry->d_name[0] != '.';
  }
  closedir(tasks);
  return count;
}

pthread_t start_thread(void *(*start)(void *), void *arg, int detached) {
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
  if (pthread_create(&thread, &attr, start, arg) != 0) {
    fixture_failed("pthread_create");
  }
  pthread_attr_destroy(&attr);
  return thread;
}

pthread_t blocked_thread(int detached) {
  make_pipe(g_block);
  return start_thread(block_on_pipe, NULL, detached);
}

/* Natively "gone" means its task has left /proc/self/task, so the kernel has cleared its tid. */
pthread_t finished_thread(void *value) {
  int baseline = task_count();
  pthread_t thread = start_thread(finish_now, value, 0);
  for (int round = 0; round < 1500; ++round) {
    if (__atomic_load_n(&g_done, __ATOMIC_ACQUIRE) && task_count() <= baseline) {
      return thread;
    }
    usleep(1000);
  }
  errno = 0;
  fixture_failed("finished_thread: the thread did not end");
}
