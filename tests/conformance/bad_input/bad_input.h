/* bad_input.h - the case table of the bad-input test: each case calls one interposed function with
 * inputs Linux rejects, and records what came back. */
#ifndef BAD_INPUT_H
#define BAD_INPUT_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

/* What one call gave. The runner prints it; natively and under sprig the
 * lines must be equal. */
enum outcome_kind {
  OUTCOME_SYSCALL, /* -1 and errno on failure, else the value */
  OUTCOME_FD,      /* as OUTCOME_SYSCALL, but any fd >= 0 prints as "fd" (numbers may differ) */
  OUTCOME_ERROR,   /* the value is the error number itself (pthread_*, getaddrinfo's EAI_*) */
  OUTCOME_POINTER, /* NULL and errno, or "non-null" */
  OUTCOME_VOID,    /* the call returned */
};

struct outcome {
  enum outcome_kind kind;
  long value;
  int error; /* errno right after the call */
};

struct bad_case {
  const char *hook;  /* the row of shim/hooks.def it exercises */
  const char *label; /* which bad input */
  struct outcome (*run)(void);
};

/* BAD_CASE(hook, label) { ...; return SYSCALL_RESULT(call); } registers one
 * case. Each runs in its own child process, with a fresh alarm. */
#define BAD_CASE(hook, label)                                                                      \
  static struct outcome bad_case_##hook##__##label(void);                                          \
  static const struct bad_case bad_case_entry_##hook##__##label                                    \
      __attribute__((used, section("bad_cases"), aligned(sizeof(void *)))) = {                     \
          #hook, #label, bad_case_##hook##__##label};                                              \
  static struct outcome bad_case_##hook##__##label(void)

/* The result constructors: errno is cleared right before the call. */
#define SYSCALL_RESULT(call) bad_result(OUTCOME_SYSCALL, (errno = 0, (long)(call)))
#define FD_RESULT(call) bad_result(OUTCOME_FD, (errno = 0, (long)(call)))
#define ERROR_RESULT(call) bad_result(OUTCOME_ERROR, (errno = 0, (long)(call)))
#define POINTER_RESULT(call) bad_result(OUTCOME_POINTER, (errno = 0, (call) != NULL))
#define VOID_RESULT(call) (errno = 0, (call), bad_result(OUTCOME_VOID, 0))

/* Hides a value from the compiler, so that it neither warns about a bad
 * argument nor optimises on the assumption that the call cannot get one. */
#define OPAQUE(value)                                                                              \
  ({                                                                                               \
    __typeof__(value) opaque_value_ = (value);                                                     \
    __asm__("" : "+r"(opaque_value_));                                                             \
    opaque_value_;                                                                                 \
  })

static inline struct outcome bad_result(enum outcome_kind kind, long value) {
  struct outcome result = {kind, value, errno};
  return result;
}

/* SYSCALL_CASE(hook, label, call): a case that is the call and nothing else,
 * its result SYSCALL_RESULT(call). */
#define SYSCALL_CASE(hook, label, call)                                                            \
  BAD_CASE(hook, label) { return SYSCALL_RESULT(call); }

/* Deadlines and clocks for the timed calls: one long passed, one before the
 * epoch, malformed nanoseconds; a missing and an unmapped one; a clock no
 * call takes, and a CPU-time clock. */
static const struct timespec kPassed = {1, 0};
static const struct timespec kNegativeSec = {-1, 0};
static const struct timespec kNsecTooBig = {1, 1000000000};
static const struct timespec kNsecNegative = {1, -1};
#define NO_TIME OPAQUE((const struct timespec *)NULL)
#define UNMAPPED_TIME ((const struct timespec *)unmapped_page())
#define BAD_CLOCK OPAQUE((clockid_t)12345)
#define CPU_CLOCK CLOCK_PROCESS_CPUTIME_ID

/* ---- fixtures (fixtures.c): each fails the case loudly (exit 99) if the
 * setup itself fails, so a broken fixture cannot pass for a result.
 * "foreign" fds come from raw system calls sprig never saw, as inherited
 * ones do; `foreign` 0 gives the ordinary kind. ---- */

/* Stops the case with status 99 and a message on stderr: the fixture failed. */
void fixture_failed(const char *what) __attribute__((noreturn));

/* -- memory -- */
/* A page with nothing mapped at it: a one-page hole only a one-page mapping could fill. */
void *unmapped_page(void);
/* A page of zeros, mapped read-only. */
void *readonly_page(void);
/* `size` writable bytes that end where the mapping ends: the next page is unmapped. */
void *end_of_mapping(size_t size);
/* A read-only copy of `size` bytes of `source`, ending where the mapping ends. */
void *readonly_copy(const void *source, size_t size);
/* A page made read-only after `init` has set up the object at its start. */
void *readonly_made(void (*init)(void *object));

/* -- fds -- */
/* An fd number that is not open. */
int closed_fd(void);
/* An fd number above any possible fd. */
int too_high_fd(void);
/* A regular file (unlinked) holding "regular file\n", at offset 0. */
int regular_file_fd(void);
/* The directory /tmp, opened read-only. */
int directory_fd(void);
/* A timerfd (CLOCK_MONOTONIC) that becomes readable after `milliseconds`. */
int timer_fd(int milliseconds);

/* -- pipes -- */
/* A pipe: fds[0] reads, fds[1] writes. */
void make_pipe(int fds[2]);
/* A pipe from the raw pipe2 system call, which sprig never sees (as an inherited pipe). */
void make_foreign_pipe(int fds[2]);
/* A pipe, foreign or not: make_foreign_pipe or make_pipe. */
void any_pipe(int fds[2], int foreign);
/* The read end of an empty pipe whose write end stays open. */
int pipe_reader(int foreign);
/* The write end of an empty pipe whose read end stays open. */
int pipe_writer(int foreign);
/* The read end of a pipe with "hello" in it, whose write end stays open. */
int readable_pipe(int foreign);

/* -- sockets -- */
/* A TCP socket, neither bound nor connected. */
int tcp_socket(void);
/* A TCP socket listening on 127.0.0.1, with no connection waiting. */
int make_listener(void);
/* A connected TCP pair on 127.0.0.1: fds[0] the client end, fds[1] the accepted end. */
void make_tcp_pair(int fds[2]);
/* A connected TCP pair as make_tcp_pair's, fds[0] from raw socket and connect if foreign. */
void any_tcp_pair(int fds[2], int foreign);
/* The client end of a connected TCP pair whose accepted end stays open and sends nothing. */
int tcp_client(int foreign);
/* A UDP socket bound to 127.0.0.1. */
int make_udp_socket(void);
/* A connected AF_UNIX stream pair. */
void make_unix_pair(int fds[2]);
/* One end of a connected AF_UNIX stream pair whose other end stays open and sends nothing. */
int unix_pair_end(void);

/* -- fds put in a state (each returns its fd) -- */
/* fd, after shutdown(fd, how). */
int shut_down(int fd, int how);
/* fd, with O_NONBLOCK added to its file status flags. */
int nonblocking(int fd);
/* fd, a socket, with its SO_RCVTIMEO or SO_SNDTIMEO (`name`) set to seconds + micros. */
int set_socket_timeout(int fd, int name, long seconds, long micros);

/* -- data and readiness -- */
/* Fills a stream socket's send buffer until a non-blocking send would wait. */
void fill_socket(int fd);
/* Writes all of buf (fails the case otherwise). */
void write_fully(int fd, const void *buf, size_t len);
/* Returns once poll reports one of `events` on fd (fails the case after 1 s). */
void wait_for(int fd, short events);

/* -- message arguments, in static storage (each call overwrites the last one's) -- */
/* One iovec: base, len. */
struct iovec *iov_of(void *base, size_t len);
/* A msghdr over `iovlen` iovecs at `iov`, with nothing else set. */
struct msghdr *msg_of(void *iov, size_t iovlen);
/* `message`, with msg_name and msg_namelen set to name, namelen. */
struct msghdr *named(struct msghdr *message, void *name, socklen_t namelen);
/* Two mmsghdrs over the one iovec at `iov`: the second's msg_iovlen 1, the first's first_iovlen. */
struct mmsghdr *two_messages(struct iovec *iov, size_t first_iovlen);
/* One mmsghdr over the one iovec at `iov`, right before an unmapped page. */
struct mmsghdr *message_at_page_end(struct iovec *iov);

/* -- threads -- */
/* A thread running start(arg), detached or joinable. */
pthread_t start_thread(void *(*start)(void *), void *arg, int detached);
/* A thread parked for good in read(2) on a pipe nobody writes. */
pthread_t blocked_thread(int detached);
/* A joinable thread that has returned `value` and is gone (its tid cleared), not joined yet. */
pthread_t finished_thread(void *value);

#endif
