/* sprig.h - the sprig direct API: green threads, channels, sync and timeouts.
 *
 * Conventions, for every function below:
 *   - Errors are negative errno values (-EINVAL, -ETIMEDOUT, ...); 0 or a
 *     non-negative count means success. errno is not touched.
 *   - Every call that can block takes `timeout_ns`, a relative timeout in
 *     nanoseconds: SPRIG_FOREVER waits without limit, 0 tries once without
 *     blocking (-ETIMEDOUT, or -EAGAIN where noted, when it would block),
 *     any other negative value is -EINVAL.
 *   - Calls that park must be made on a green thread (inside sprig_run);
 *     elsewhere they return -EPERM.
 *   - A NULL object or out-pointer is -EINVAL; a *_create that cannot
 *     allocate returns -ENOMEM.
 *   - Objects (mutexes, channels, ...) belong to the worker that runs the green
 *     threads using them; they are not for sharing with other OS threads.
 *   - Waiters are woken in FIFO order: the thread that waited longest is served
 *     first (mutex hand-off, semaphores, channels, joins, condition signals).
 *
 * See libsprig(3) for the full contract of each call. */
#ifndef SPRIG_H
#define SPRIG_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SPRIG_API __attribute__((visibility("default")))
#else
#define SPRIG_API
#endif

#define SPRIG_VERSION_MAJOR 0
#define SPRIG_VERSION_MINOR 1
#define SPRIG_VERSION_PATCH 0

/* Wait without limit. */
#define SPRIG_FOREVER ((int64_t)-1)

/* ---- green threads ------------------------------------------------------ */

/* A green thread handle; 0 is never a valid handle. Handles are not reused
 * while a joinable thread is unjoined; a stale handle gives -ESRCH. */
typedef uint64_t sprig_thread_t;

typedef void *(*sprig_thread_fn)(void *arg);

struct sprig_spawn_options {
  size_t stack_size; /* bytes; 0 = the default (SPRIG_STACK_SIZE, else 256 KiB) */
  int detached;      /* non-zero: resources are freed at exit, no join */
  const char *name;  /* up to 15 bytes are kept; NULL = no name */
};

/* Runs a worker on the calling OS thread: `main_fn(arg)` becomes the first
 * green thread, and sprig_run returns when every green thread it started has
 * finished, storing main_fn's return value in *result (if result is non-NULL).
 * -EINVAL: main_fn is NULL or a SPRIG_* variable is malformed (a one-line
 * message goes to stderr). -EBUSY: called from inside sprig_run. */
SPRIG_API int sprig_run(sprig_thread_fn main_fn, void *arg, void **result);

/* Starts a green thread on the current worker. opts may be NULL.
 * -EINVAL: bad arguments or a stack size below 16 KiB. -EAGAIN: no memory for
 * the stack. -EPERM: not on a green thread. */
SPRIG_API int sprig_spawn(sprig_thread_t *thread, const struct sprig_spawn_options *opts,
                          sprig_thread_fn fn, void *arg);
/* Waits for `thread` to finish and frees it. -ESRCH: no such thread (already
 * joined, or never existed). -EINVAL: detached, or another thread already
 * joins it. -EDEADLK: joining oneself. -ETIMEDOUT: still running. */
SPRIG_API int sprig_join(sprig_thread_t thread, void **result, int64_t timeout_ns);
/* Lets `thread` free itself at exit. -ESRCH, -EINVAL (already detached). */
SPRIG_API int sprig_detach(sprig_thread_t thread);
/* Ends the calling green thread with `result`, running key destructors. */
SPRIG_API void sprig_exit(void *result) __attribute__((noreturn));
/* The calling green thread, or 0 when not on a green thread. */
SPRIG_API sprig_thread_t sprig_self(void);
/* Lets the other runnable green threads run first. */
SPRIG_API int sprig_yield(void);
/* Parks the calling green thread for `ns` nanoseconds (>= 0). */
SPRIG_API int sprig_sleep(int64_t ns);
/* Names a green thread (truncated to 15 bytes). -ESRCH, -EINVAL. */
SPRIG_API int sprig_set_name(sprig_thread_t thread, const char *name);
/* Copies the name into buf. -ERANGE: len < 16. */
SPRIG_API int sprig_get_name(sprig_thread_t thread, char *buf, size_t len);
/* Writes a symbolised backtrace of a parked or runnable green thread into
 * buf, one frame a line; returns the number of frames. -ESRCH; -ENOSYS if
 * libunwind cannot be loaded; -EBUSY for the running thread itself. */
SPRIG_API int sprig_backtrace(sprig_thread_t thread, char *buf, size_t len);

/* ---- fds, sockets, blocking work, DNS ----------------------------------- */

#define SPRIG_READABLE 1
#define SPRIG_WRITABLE 2

/* Waits until fd is readable and/or writable (events: SPRIG_READABLE |
 * SPRIG_WRITABLE). Returns the ready events among those asked for; a hang-up or
 * an error makes the fd ready for both. Regular files are always ready. The fd's flags are left
 * unchanged. -EBADF, -EINVAL, -ETIMEDOUT; -EBADF also when sprig_close closes the fd while this
 * thread waits on it. */
SPRIG_API int sprig_wait_fd(int fd, int events, int64_t timeout_ns);

/* Socket helpers. They put the fd in O_NONBLOCK mode and park the green thread
 * while the call would block. Results and errors are those of accept4(2),
 * connect(2), read(2) and write(2), negated; -ETIMEDOUT when the timeout
 * passes first. sprig_accept returns the new fd, non-blocking and
 * close-on-exec. sprig_write returns only when all `len` bytes are written or
 * on an error (then the bytes written so far, if any). sprig_close wakes the
 * fd's waiters with -EBADF before the fd is closed. */
SPRIG_API int sprig_accept(int fd, struct sockaddr *addr, socklen_t *addrlen, int64_t timeout_ns);
SPRIG_API int sprig_connect(int fd, const struct sockaddr *addr, socklen_t addrlen,
                            int64_t timeout_ns);
SPRIG_API ssize_t sprig_read(int fd, void *buf, size_t len, int64_t timeout_ns);
SPRIG_API ssize_t sprig_write(int fd, const void *buf, size_t len, int64_t timeout_ns);
SPRIG_API int sprig_close(int fd);

/* Runs fn(arg) on the libuv thread pool and parks until it returns. If the
 * timeout passes before a pool thread has started fn, fn never runs and the
 * result is -ETIMEDOUT; once fn has started, the call waits for it. */
SPRIG_API int sprig_offload(void (*fn)(void *arg), void *arg, int64_t timeout_ns);

/* getaddrinfo(3)/getnameinfo(3) that park instead of blocking. Results are
 * those of the libc functions: 0 or an EAI_* code; EAI_AGAIN if the timeout
 * passes first. Free *res with freeaddrinfo(3). */
SPRIG_API int sprig_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                                struct addrinfo **res, int64_t timeout_ns);
SPRIG_API int sprig_getnameinfo(const struct sockaddr *addr, socklen_t addrlen, char *host,
                                socklen_t hostlen, char *serv, socklen_t servlen, int flags,
                                int64_t timeout_ns);

/* ---- sync --------------------------------------------------------------- */

typedef struct sprig_mutex sprig_mutex_t;
typedef struct sprig_cond sprig_cond_t;
typedef struct sprig_rwlock sprig_rwlock_t;
typedef struct sprig_sem sprig_sem_t;
typedef struct sprig_barrier sprig_barrier_t;
typedef struct sprig_chan sprig_chan_t;
typedef struct sprig_waitgroup sprig_waitgroup_t;

enum sprig_mutex_kind {
  SPRIG_MUTEX_NORMAL = 0,     /* relocking by the owner deadlocks (times out) */
  SPRIG_MUTEX_RECURSIVE = 1,  /* the owner may lock again; unlock as often */
  SPRIG_MUTEX_ERRORCHECK = 2, /* relock: -EDEADLK; unlock by a non-owner: -EPERM */
};

/* Every *_destroy returns -EBUSY while the object is held or waited on. */
SPRIG_API int sprig_mutex_create(sprig_mutex_t **mutex, int kind);
SPRIG_API int sprig_mutex_destroy(sprig_mutex_t *mutex);
/* timeout 0: -EBUSY when held by another thread. */
SPRIG_API int sprig_mutex_lock(sprig_mutex_t *mutex, int64_t timeout_ns);
/* -EPERM: not the owner (recursive and error-checking mutexes, and any
 * mutex that is not locked). */
SPRIG_API int sprig_mutex_unlock(sprig_mutex_t *mutex);

/* clock: CLOCK_MONOTONIC or CLOCK_REALTIME, the clock of wait_until. */
SPRIG_API int sprig_cond_create(sprig_cond_t **cond, clockid_t clock);
SPRIG_API int sprig_cond_destroy(sprig_cond_t *cond);
/* Unlocks mutex, waits for a signal, relocks mutex (even on timeout).
 * -EPERM: the caller does not hold mutex. */
SPRIG_API int sprig_cond_wait(sprig_cond_t *cond, sprig_mutex_t *mutex, int64_t timeout_ns);
/* As sprig_cond_wait, with an absolute deadline on the cond's clock; NULL
 * waits without limit. -EINVAL: tv_nsec out of range. */
SPRIG_API int sprig_cond_wait_until(sprig_cond_t *cond, sprig_mutex_t *mutex,
                                    const struct timespec *deadline);
SPRIG_API int sprig_cond_signal(sprig_cond_t *cond);
SPRIG_API int sprig_cond_broadcast(sprig_cond_t *cond);

/* Readers share, writers exclude; waiters are served in FIFO order, so a
 * waiting writer holds back readers that arrive after it. timeout 0: -EBUSY
 * when the lock cannot be taken at once. -EDEADLK: the caller holds the write
 * lock. */
SPRIG_API int sprig_rwlock_create(sprig_rwlock_t **rwlock);
SPRIG_API int sprig_rwlock_destroy(sprig_rwlock_t *rwlock);
SPRIG_API int sprig_rwlock_rdlock(sprig_rwlock_t *rwlock, int64_t timeout_ns);
SPRIG_API int sprig_rwlock_wrlock(sprig_rwlock_t *rwlock, int64_t timeout_ns);
/* -EPERM: the caller holds neither the write lock nor any read lock (read
 * holds are counted per thread, not per lock). */
SPRIG_API int sprig_rwlock_unlock(sprig_rwlock_t *rwlock);

SPRIG_API int sprig_sem_create(sprig_sem_t **sem, unsigned initial);
SPRIG_API int sprig_sem_destroy(sprig_sem_t *sem);
/* timeout 0: -EAGAIN when the count is 0. */
SPRIG_API int sprig_sem_wait(sprig_sem_t *sem, int64_t timeout_ns);
/* -EOVERFLOW past SEM_VALUE_MAX. */
SPRIG_API int sprig_sem_post(sprig_sem_t *sem);
SPRIG_API int sprig_sem_value(sprig_sem_t *sem, unsigned *value);

#define SPRIG_BARRIER_SERIAL_THREAD 1
/* count >= 1. */
SPRIG_API int sprig_barrier_create(sprig_barrier_t **barrier, unsigned count);
SPRIG_API int sprig_barrier_destroy(sprig_barrier_t *barrier);
/* Returns SPRIG_BARRIER_SERIAL_THREAD in one thread of each round, 0 in the
 * others. A thread that times out leaves the round (-ETIMEDOUT). */
SPRIG_API int sprig_barrier_wait(sprig_barrier_t *barrier, int64_t timeout_ns);

/* Runs init once; others calling meanwhile park until it has returned.
 * -EDEADLK: init calls sprig_once on the same control. */
typedef struct sprig_once {
  int state;
  void *waiters;
} sprig_once_t;
#define SPRIG_ONCE_INIT                                                                            \
  { 0, 0 }
SPRIG_API int sprig_once(sprig_once_t *once, void (*init)(void));

/* Thread-specific values: per green thread, destructors run at thread exit
 * (up to 4 rounds, as PTHREAD_DESTRUCTOR_ITERATIONS). At most 1024 keys.
 * Keys are process-wide; values belong to each green thread. */
typedef unsigned sprig_key_t;
/* -EAGAIN: all 1024 keys are in use. */
SPRIG_API int sprig_key_create(sprig_key_t *key, void (*destructor)(void *value));
/* -EINVAL: not a key in use. */
SPRIG_API int sprig_key_delete(sprig_key_t key);
SPRIG_API void *sprig_getspecific(sprig_key_t key);
SPRIG_API int sprig_setspecific(sprig_key_t key, const void *value);

/* ---- channels and wait groups ------------------------------------------- */

/* A bounded FIFO of `capacity` elements of `elem_size` bytes each; capacity 0
 * is a rendezvous (send waits for a receiver). */
SPRIG_API int sprig_chan_create(sprig_chan_t **chan, size_t elem_size, size_t capacity);
SPRIG_API int sprig_chan_destroy(sprig_chan_t *chan);
/* Copies elem_size bytes from elem. -EPIPE: the channel is closed (also when
 * it closes while the sender waits). timeout 0: -EAGAIN when full. */
SPRIG_API int sprig_chan_send(sprig_chan_t *chan, const void *elem, int64_t timeout_ns);
/* Copies the oldest element into elem. A closed channel still delivers what
 * it holds, then -EPIPE. timeout 0: -EAGAIN when empty. */
SPRIG_API int sprig_chan_recv(sprig_chan_t *chan, void *elem, int64_t timeout_ns);
/* Wakes every waiting sender and receiver. -EPIPE: already closed. */
SPRIG_API int sprig_chan_close(sprig_chan_t *chan);
/* Elements held now. */
SPRIG_API size_t sprig_chan_len(const sprig_chan_t *chan);

SPRIG_API int sprig_waitgroup_create(sprig_waitgroup_t **group);
SPRIG_API int sprig_waitgroup_destroy(sprig_waitgroup_t *group);
/* -EINVAL if the counter would go below 0. Reaching 0 wakes all waiters. */
SPRIG_API int sprig_waitgroup_add(sprig_waitgroup_t *group, int64_t delta);
SPRIG_API int sprig_waitgroup_done(sprig_waitgroup_t *group);
SPRIG_API int sprig_waitgroup_wait(sprig_waitgroup_t *group, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif

#endif /* SPRIG_H */
