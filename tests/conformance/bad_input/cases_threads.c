/* cases_threads.c - bad inputs to the pthread lifecycle: pthread_create, the joins, detach, exit,
 * kill, self, pthread_yield and sched_yield (cancellation, cleanup buffers, names, dlsym and
 * __libc_start_main: cases_threads_misc.c). */
#include "bad_input.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ---- fixtures of this file ---- */

static void *return_arg(void *arg) { return arg; }

static void *sleep_then_return(void *arg) {
  usleep(100000);
  return arg;
}

static struct timespec realtime_in(long seconds) {
  struct timespec when;
  clock_gettime(CLOCK_REALTIME, &when);
  when.tv_sec += seconds;
  return when;
}

/* ---- pthread_create ---- */

BAD_CASE(pthread_create, null_thread) {
  return ERROR_RESULT(pthread_create(OPAQUE((pthread_t *)NULL), NULL, return_arg, NULL));
}
BAD_CASE(pthread_create, unmapped_thread) {
  return ERROR_RESULT(pthread_create(unmapped_page(), NULL, return_arg, NULL));
}
BAD_CASE(pthread_create, readonly_thread) {
  return ERROR_RESULT(pthread_create(readonly_page(), NULL, return_arg, NULL));
}
/* Natively the new thread calls address 0 (killed SIGSEGV). */
BAD_CASE(pthread_create, null_start) {
  pthread_t thread;
  int rc = pthread_create(&thread, NULL, OPAQUE((void *(*)(void *))NULL), NULL);
  return ERROR_RESULT(rc != 0 ? rc : pthread_join(thread, NULL));
}
BAD_CASE(pthread_create, unmapped_attr) {
  pthread_t thread;
  return ERROR_RESULT(pthread_create(&thread, unmapped_page(), return_arg, NULL));
}
static struct outcome create_with_attr(pthread_attr_t *attr) {
  pthread_t thread;
  int rc = pthread_create(&thread, attr, return_arg, NULL);
  return ERROR_RESULT(rc != 0 ? rc : pthread_join(thread, NULL));
}
BAD_CASE(pthread_create, huge_guardsize) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setguardsize(&attr, (size_t)1 << 62);
  return create_with_attr(&attr);
}
BAD_CASE(pthread_create, max_guardsize) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setguardsize(&attr, SIZE_MAX);
  return create_with_attr(&attr);
}
BAD_CASE(pthread_create, huge_stacksize) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (pthread_attr_setstacksize(&attr, (size_t)1 << 50) != 0) {
    fixture_failed("setstacksize");
  }
  return create_with_attr(&attr);
}
/* A caller-provided stack (pthread_attr_setstack) that is not mapped, or read-only. */
static struct outcome create_on_stack(int prot) {
  size_t size = 4 * (size_t)PTHREAD_STACK_MIN;
  void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED ||
      (prot == PROT_NONE ? munmap(stack, size) : mprotect(stack, size, prot))) {
    fixture_failed("stack mapping");
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, size);
  return create_with_attr(&attr);
}
BAD_CASE(pthread_create, unmapped_stack) { return create_on_stack(PROT_NONE); }
BAD_CASE(pthread_create, readonly_stack) { return create_on_stack(PROT_READ); }

/* ---- pthread_join ---- */

BAD_CASE(pthread_join, self) { return ERROR_RESULT(pthread_join(pthread_self(), NULL)); }
BAD_CASE(pthread_join, detached_running) {
  return ERROR_RESULT(pthread_join(blocked_thread(1), NULL));
}
BAD_CASE(pthread_join, null_retval) {
  return ERROR_RESULT(pthread_join(finished_thread(NULL), OPAQUE((void **)NULL)));
}
BAD_CASE(pthread_join, unmapped_retval) {
  pthread_t thread = finished_thread(NULL);
  void *page = unmapped_page();
  return ERROR_RESULT(pthread_join(thread, page));
}
BAD_CASE(pthread_join, readonly_retval) {
  pthread_t thread = finished_thread(NULL);
  void *page = readonly_page();
  return ERROR_RESULT(pthread_join(thread, page));
}

/* ---- pthread_tryjoin_np ---- */

BAD_CASE(pthread_tryjoin_np, self) {
  return ERROR_RESULT(pthread_tryjoin_np(pthread_self(), NULL));
}
BAD_CASE(pthread_tryjoin_np, running) {
  return ERROR_RESULT(pthread_tryjoin_np(blocked_thread(0), NULL));
}
BAD_CASE(pthread_tryjoin_np, detached_running) {
  return ERROR_RESULT(pthread_tryjoin_np(blocked_thread(1), NULL));
}
BAD_CASE(pthread_tryjoin_np, finished_null_retval) {
  return ERROR_RESULT(pthread_tryjoin_np(finished_thread(NULL), OPAQUE((void **)NULL)));
}
BAD_CASE(pthread_tryjoin_np, finished_unmapped_retval) {
  pthread_t thread = finished_thread(NULL);
  void *page = unmapped_page();
  return ERROR_RESULT(pthread_tryjoin_np(thread, page));
}

/* ---- pthread_timedjoin_np ---- */

static struct outcome timedjoin(pthread_t thread, struct timespec when) {
  return ERROR_RESULT(pthread_timedjoin_np(thread, NULL, &when));
}
BAD_CASE(pthread_timedjoin_np, self) { return timedjoin(pthread_self(), realtime_in(1)); }
/* glibc looks at the thread before the time: EDEADLK. */
BAD_CASE(pthread_timedjoin_np, self_bad_nsec) {
  return timedjoin(pthread_self(), (struct timespec){0, 1000000000});
}
BAD_CASE(pthread_timedjoin_np, detached_running) {
  return timedjoin(blocked_thread(1), realtime_in(1));
}
BAD_CASE(pthread_timedjoin_np, past_abstime) {
  return timedjoin(blocked_thread(0), (struct timespec){1, 0});
}
BAD_CASE(pthread_timedjoin_np, negative_sec) {
  return timedjoin(blocked_thread(0), (struct timespec){-1, 0});
}
/* glibc answers a negative tv_sec with ETIMEDOUT before the kernel sees tv_nsec. */
BAD_CASE(pthread_timedjoin_np, negative_sec_bad_nsec) {
  return timedjoin(blocked_thread(0), (struct timespec){-1, 1000000000});
}
/* glibc retries the futex wait the kernel refuses (EINVAL) until the thread ends: 0. */
BAD_CASE(pthread_timedjoin_np, bad_nsec_thread_ends) {
  return timedjoin(start_thread(sleep_then_return, NULL, 0), (struct timespec){0, 1000000000});
}
BAD_CASE(pthread_timedjoin_np, negative_nsec_thread_ends) {
  return timedjoin(start_thread(sleep_then_return, NULL, 0), (struct timespec){0, -1});
}
BAD_CASE(pthread_timedjoin_np, bad_nsec_finished) {
  return timedjoin(finished_thread(NULL), (struct timespec){0, 1000000000});
}
BAD_CASE(pthread_timedjoin_np, null_abstime_thread_ends) {
  pthread_t thread = start_thread(sleep_then_return, NULL, 0);
  return ERROR_RESULT(pthread_timedjoin_np(thread, NULL, OPAQUE((struct timespec *)NULL)));
}
BAD_CASE(pthread_timedjoin_np, unmapped_abstime_running) {
  pthread_t thread = blocked_thread(0);
  void *page = unmapped_page();
  return ERROR_RESULT(pthread_timedjoin_np(thread, NULL, page));
}
/* glibc reads the time only when it has to wait. */
BAD_CASE(pthread_timedjoin_np, unmapped_abstime_finished) {
  pthread_t thread = finished_thread(NULL);
  void *page = unmapped_page();
  return ERROR_RESULT(pthread_timedjoin_np(thread, NULL, page));
}
BAD_CASE(pthread_timedjoin_np, unmapped_retval_finished) {
  struct timespec when = realtime_in(1);
  pthread_t thread = finished_thread(NULL);
  void *page = unmapped_page();
  return ERROR_RESULT(pthread_timedjoin_np(thread, page, &when));
}

/* ---- pthread_detach ---- */

BAD_CASE(pthread_detach, self) { return ERROR_RESULT(pthread_detach(pthread_self())); }
BAD_CASE(pthread_detach, detached_running) {
  return ERROR_RESULT(pthread_detach(blocked_thread(1)));
}
BAD_CASE(pthread_detach, finished) { return ERROR_RESULT(pthread_detach(finished_thread(NULL))); }

/* ---- pthread_exit ("exited N": the process status once every thread has ended) ---- */

static void *exit_with_arg(void *arg) { pthread_exit(arg); }
static void *sleep_then_exit_3(void *arg) {
  (void)arg;
  usleep(50000);
  exit(3);
}

BAD_CASE(pthread_exit, main_odd_value) { pthread_exit(OPAQUE((void *)-42L)); }
BAD_CASE(pthread_exit, main_canceled_value) { pthread_exit(OPAQUE(PTHREAD_CANCELED)); }
BAD_CASE(pthread_exit, main_then_thread_returns) {
  start_thread(sleep_then_return, NULL, 0);
  pthread_exit(OPAQUE((void *)7L));
}
BAD_CASE(pthread_exit, main_then_thread_exits_3) {
  start_thread(sleep_then_exit_3, NULL, 1);
  pthread_exit(OPAQUE((void *)-1L));
}
/* The value a thread left with, as its joiner sees it: 1 when it came through. */
static struct outcome joined_value_is(void *value) {
  void *joined = NULL;
  int rc = pthread_join(start_thread(exit_with_arg, value, 0), &joined);
  return SYSCALL_RESULT(rc != 0 ? -rc : joined == value);
}
BAD_CASE(pthread_exit, thread_canceled_value) { return joined_value_is(PTHREAD_CANCELED); }
BAD_CASE(pthread_exit, thread_odd_value) { return joined_value_is((void *)-42L); }
BAD_CASE(pthread_exit, thread_unmapped_value) { return joined_value_is(unmapped_page()); }

/* ---- pthread_yield (libc's compat symbol: pthread.h maps the name to sched_yield) ---- */

int thr_compat_pthread_yield(void);
__asm__(".symver thr_compat_pthread_yield, pthread_yield@GLIBC_2.2.5");

BAD_CASE(pthread_yield, plain) { return ERROR_RESULT(thr_compat_pthread_yield()); }

/* ---- pthread_kill ---- */

static volatile sig_atomic_t g_signalled;
static void note_signal(int signal_number) { g_signalled = signal_number; }

BAD_CASE(pthread_kill, self_signal_0) { return ERROR_RESULT(pthread_kill(pthread_self(), 0)); }
BAD_CASE(pthread_kill, self_signal_999) {
  return ERROR_RESULT(pthread_kill(pthread_self(), OPAQUE(999)));
}
BAD_CASE(pthread_kill, self_signal_negative) {
  return ERROR_RESULT(pthread_kill(pthread_self(), OPAQUE(-1)));
}
BAD_CASE(pthread_kill, self_signal_nsig) {
  return ERROR_RESULT(pthread_kill(pthread_self(), OPAQUE(NSIG)));
}
/* glibc's own cancellation signal (SIGRTMIN - 2 = 32). */
BAD_CASE(pthread_kill, self_sigcancel) {
  return ERROR_RESULT(pthread_kill(pthread_self(), OPAQUE(32)));
}
BAD_CASE(pthread_kill, self_sigterm) { return ERROR_RESULT(pthread_kill(pthread_self(), SIGTERM)); }
BAD_CASE(pthread_kill, self_handled) {
  signal(SIGUSR1, note_signal);
  int rc = pthread_kill(pthread_self(), SIGUSR1);
  return ERROR_RESULT(rc != 0 ? rc : g_signalled == SIGUSR1 ? 0 : ENOMSG);
}
/* glibc sends nothing to a thread that has exited, and checks nothing but its own signals. */
BAD_CASE(pthread_kill, finished_signal_0) {
  return ERROR_RESULT(pthread_kill(finished_thread(NULL), 0));
}
BAD_CASE(pthread_kill, finished_sigterm) {
  return ERROR_RESULT(pthread_kill(finished_thread(NULL), SIGTERM));
}
BAD_CASE(pthread_kill, finished_signal_999) {
  return ERROR_RESULT(pthread_kill(finished_thread(NULL), OPAQUE(999)));
}
BAD_CASE(pthread_kill, running_signal_999) {
  return ERROR_RESULT(pthread_kill(blocked_thread(0), OPAQUE(999)));
}

/* ---- no parameters: one plain call each ---- */

BAD_CASE(sched_yield, plain) { return SYSCALL_RESULT(sched_yield()); }
BAD_CASE(pthread_self, plain) { return SYSCALL_RESULT(pthread_self() != 0); }
static pthread_t g_seen_self;
static void *record_self(void *arg) {
  g_seen_self = pthread_self();
  return arg;
}
BAD_CASE(pthread_self, matches_created) {
  pthread_t thread = start_thread(record_self, NULL, 0);
  int rc = pthread_join(thread, NULL);
  return SYSCALL_RESULT(rc != 0 ? -1 : pthread_equal(thread, g_seen_self) != 0);
}
