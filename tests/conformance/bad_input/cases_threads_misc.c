/* cases_threads_misc.c - bad inputs to cancellation (pthread_cancel, setcancelstate/type,
 * testcancel), the cleanup buffers of pthread_cleanup_push (__pthread_register_cancel & co,
 * __pthread_unwind_next), thread names, dlsym, and a check of __libc_start_main. */
#include "bad_input.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* ---- __libc_start_main: a program cannot call it with bad input (it starts every program);
 * this checks that the program got here with its arguments intact: argc and argv, as the
 * constructors saw them, match /proc/self/cmdline, and environ is the envp they got. ---- */

static int g_ctor_argc = -1;
static char **g_ctor_argv;
static char **g_ctor_envp;

__attribute__((constructor)) static void record_start(int argc, char **argv, char **envp) {
  g_ctor_argc = argc;
  g_ctor_argv = argv;
  g_ctor_envp = envp;
}

BAD_CASE(__libc_start_main, argc_argv_intact) {
  static char cmdline[65536];
  int fd = open("/proc/self/cmdline", O_RDONLY);
  ssize_t length = fd < 0 ? -1 : read(fd, cmdline, sizeof cmdline - 1);
  if (length <= 0 || close(fd) != 0) {
    fixture_failed("/proc/self/cmdline");
  }
  int argc = 0, intact = 1;
  for (ssize_t at = 0; at < length; at += (ssize_t)strlen(cmdline + at) + 1, ++argc) {
    intact &= argc < g_ctor_argc && strcmp(cmdline + at, g_ctor_argv[argc]) == 0;
  }
  intact &= argc == g_ctor_argc && g_ctor_argv[argc] == NULL && environ == g_ctor_envp;
  return SYSCALL_RESULT(intact);
}

/* ---- pthread_cancel ---- */

BAD_CASE(pthread_cancel, self_disabled) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  return ERROR_RESULT(pthread_cancel(pthread_self()));
}
/* The main thread ends at pthread_testcancel: the process exits 0. */
BAD_CASE(pthread_cancel, self_disabled_then_testcancel) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  int rc = pthread_cancel(pthread_self());
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  pthread_testcancel();
  return ERROR_RESULT(rc != 0 ? rc : ENOMSG);
}
BAD_CASE(pthread_cancel, self_deferred) { return ERROR_RESULT(pthread_cancel(pthread_self())); }
BAD_CASE(pthread_cancel, self_asynchronous) {
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  return ERROR_RESULT(pthread_cancel(pthread_self()));
}
BAD_CASE(pthread_cancel, finished) { return ERROR_RESULT(pthread_cancel(finished_thread(NULL))); }
BAD_CASE(pthread_cancel, blocked_thread) {
  pthread_t thread = blocked_thread(0);
  void *joined = NULL;
  int rc = pthread_cancel(thread);
  int joined_rc = pthread_join(thread, &joined);
  return ERROR_RESULT(rc != 0                      ? rc
                      : joined_rc != 0             ? joined_rc
                      : joined == PTHREAD_CANCELED ? 0
                                                   : ENOMSG);
}

/* ---- pthread_setcancelstate, pthread_setcanceltype ---- */

BAD_CASE(pthread_setcancelstate, bad_state) {
  int old;
  return ERROR_RESULT(pthread_setcancelstate(OPAQUE(2), &old));
}
BAD_CASE(pthread_setcancelstate, negative_state) {
  int old;
  return ERROR_RESULT(pthread_setcancelstate(OPAQUE(-1), &old));
}
BAD_CASE(pthread_setcancelstate, null_old) {
  return ERROR_RESULT(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, OPAQUE((int *)NULL)));
}
BAD_CASE(pthread_setcancelstate, unmapped_old) {
  return ERROR_RESULT(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, unmapped_page()));
}
BAD_CASE(pthread_setcancelstate, readonly_old) {
  return ERROR_RESULT(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, readonly_page()));
}
BAD_CASE(pthread_setcancelstate, bad_state_unmapped_old) {
  return ERROR_RESULT(pthread_setcancelstate(OPAQUE(2), unmapped_page()));
}
BAD_CASE(pthread_setcanceltype, bad_type) {
  int old;
  return ERROR_RESULT(pthread_setcanceltype(OPAQUE(2), &old));
}
BAD_CASE(pthread_setcanceltype, negative_type) {
  int old;
  return ERROR_RESULT(pthread_setcanceltype(OPAQUE(-1), &old));
}
BAD_CASE(pthread_setcanceltype, null_old) {
  return ERROR_RESULT(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, OPAQUE((int *)NULL)));
}
BAD_CASE(pthread_setcanceltype, unmapped_old) {
  return ERROR_RESULT(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, unmapped_page()));
}
BAD_CASE(pthread_setcanceltype, readonly_old) {
  return ERROR_RESULT(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, readonly_page()));
}
BAD_CASE(pthread_setcanceltype, bad_type_unmapped_old) {
  return ERROR_RESULT(pthread_setcanceltype(OPAQUE(2), unmapped_page()));
}

BAD_CASE(pthread_testcancel, plain) { return VOID_RESULT(pthread_testcancel()); }

/* ---- cleanup buffers: pthread_cleanup_push/pop (C without exceptions) call
 * __pthread_register_cancel and __pthread_unregister_cancel, the _defer_np/_restore_np forms the
 * other two, and a handler run by an unwind ends in __pthread_unwind_next. ---- */

static int g_handler_log; /* the handlers that ran, as decimal digits, first run leftmost */
static void log_handler(void *arg) { g_handler_log = g_handler_log * 10 + (int)(intptr_t)arg; }

BAD_CASE(__pthread_register_cancel, push_pop_execute) {
  pthread_cleanup_push(log_handler, (void *)1);
  pthread_cleanup_pop(1);
  return SYSCALL_RESULT(g_handler_log);
}
BAD_CASE(__pthread_register_cancel, null_buffer) {
  return VOID_RESULT(__pthread_register_cancel(OPAQUE((__pthread_unwind_buf_t *)NULL)));
}
BAD_CASE(__pthread_register_cancel, unmapped_buffer) {
  return VOID_RESULT(__pthread_register_cancel(unmapped_page()));
}
BAD_CASE(__pthread_register_cancel, readonly_buffer) {
  return VOID_RESULT(__pthread_register_cancel(readonly_page()));
}

/* Handler 1 is popped without running; handler 2 runs when the thread exits. */
static void *pop_then_exit(void *arg) {
  pthread_cleanup_push(log_handler, (void *)1);
  pthread_cleanup_pop(0);
  pthread_cleanup_push(log_handler, (void *)2);
  pthread_exit(arg);
  pthread_cleanup_pop(0);
  return NULL;
}
BAD_CASE(__pthread_unregister_cancel, pop_then_exit) {
  void *joined = NULL;
  int rc = pthread_join(start_thread(pop_then_exit, (void *)5, 0), &joined);
  return SYSCALL_RESULT(rc != 0 || joined != (void *)5 ? -1 : g_handler_log);
}
BAD_CASE(__pthread_unregister_cancel, null_buffer) {
  return VOID_RESULT(__pthread_unregister_cancel(OPAQUE((__pthread_unwind_buf_t *)NULL)));
}
BAD_CASE(__pthread_unregister_cancel, unmapped_buffer) {
  return VOID_RESULT(__pthread_unregister_cancel(unmapped_page()));
}

/* Asynchronous type, then the _defer_np region: 10 * (type inside) + (type after the pop). */
static int cancel_types_around_defer(void) {
  int inside = -1, after = -1;
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  pthread_cleanup_push_defer_np(log_handler, (void *)1);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &inside);
  pthread_cleanup_pop_restore_np(0);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &after);
  return 10 * inside + after;
}
BAD_CASE(__pthread_register_cancel_defer, push_defer_pop_restore_execute) {
  pthread_cleanup_push_defer_np(log_handler, (void *)1);
  pthread_cleanup_pop_restore_np(1);
  return SYSCALL_RESULT(g_handler_log);
}
BAD_CASE(__pthread_register_cancel_defer, cancel_types) {
  return SYSCALL_RESULT(cancel_types_around_defer());
}
BAD_CASE(__pthread_register_cancel_defer, null_buffer) {
  return VOID_RESULT(__pthread_register_cancel_defer(OPAQUE((__pthread_unwind_buf_t *)NULL)));
}
BAD_CASE(__pthread_register_cancel_defer, unmapped_buffer) {
  return VOID_RESULT(__pthread_register_cancel_defer(unmapped_page()));
}
BAD_CASE(__pthread_unregister_cancel_restore, cancel_types) {
  return SYSCALL_RESULT(cancel_types_around_defer());
}
/* A cancel that came inside the deferred region acts when the pop restores the asynchronous
 * type: the main thread ends there, and the process exits 0. */
BAD_CASE(__pthread_unregister_cancel_restore, pending_cancel) {
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  pthread_cleanup_push_defer_np(log_handler, (void *)1);
  pthread_cancel(pthread_self());
  pthread_cleanup_pop_restore_np(0);
  return SYSCALL_RESULT(-2);
}
BAD_CASE(__pthread_unregister_cancel_restore, null_buffer) {
  return VOID_RESULT(__pthread_unregister_cancel_restore(OPAQUE((__pthread_unwind_buf_t *)NULL)));
}
BAD_CASE(__pthread_unregister_cancel_restore, unmapped_buffer) {
  return VOID_RESULT(__pthread_unregister_cancel_restore(unmapped_page()));
}

/* Two handlers, innermost first (log 21), and the exit value through the join. */
static void *exit_through_two_handlers(void *arg) {
  pthread_cleanup_push(log_handler, (void *)1);
  pthread_cleanup_push(log_handler, (void *)2);
  pthread_exit(arg);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  return NULL;
}
BAD_CASE(__pthread_unwind_next, exit_runs_handlers) {
  void *joined = NULL;
  int rc = pthread_join(start_thread(exit_through_two_handlers, (void *)5, 0), &joined);
  return SYSCALL_RESULT(rc != 0 || joined != (void *)5 ? -1 : g_handler_log);
}
static int g_cancel_pipe[2];
static char g_cancel_byte;
static void *read_under_handler(void *arg) {
  pthread_cleanup_push(log_handler, (void *)3);
  g_cancel_byte = (char)read(g_cancel_pipe[0], &g_cancel_byte, 1);
  pthread_cleanup_pop(0);
  return arg;
}
BAD_CASE(__pthread_unwind_next, cancel_runs_handler) {
  make_pipe(g_cancel_pipe);
  pthread_t thread = start_thread(read_under_handler, NULL, 0);
  void *joined = NULL;
  int rc = pthread_cancel(thread);
  rc = rc != 0 ? rc : pthread_join(thread, &joined);
  return SYSCALL_RESULT(rc != 0 || joined != PTHREAD_CANCELED ? -1 : g_handler_log);
}
BAD_CASE(__pthread_unwind_next, null_buffer) {
  __pthread_unwind_next(OPAQUE((__pthread_unwind_buf_t *)NULL));
}
BAD_CASE(__pthread_unwind_next, unmapped_buffer) { __pthread_unwind_next(unmapped_page()); }

/* ---- pthread_setname_np, pthread_getname_np ---- */

static const char kName15[] = "abcdefghijklmno", kName16[] = "abcdefghijklmnop";

BAD_CASE(pthread_setname_np, self_16_chars) {
  return ERROR_RESULT(pthread_setname_np(pthread_self(), kName16));
}
BAD_CASE(pthread_setname_np, self_15_chars) {
  return ERROR_RESULT(pthread_setname_np(pthread_self(), kName15));
}
BAD_CASE(pthread_setname_np, self_empty) {
  return ERROR_RESULT(pthread_setname_np(pthread_self(), ""));
}
BAD_CASE(pthread_setname_np, null_name) {
  return ERROR_RESULT(pthread_setname_np(pthread_self(), OPAQUE((const char *)NULL)));
}
BAD_CASE(pthread_setname_np, unmapped_name) {
  return ERROR_RESULT(pthread_setname_np(pthread_self(), unmapped_page()));
}
BAD_CASE(pthread_setname_np, other_16_chars) {
  return ERROR_RESULT(pthread_setname_np(blocked_thread(0), kName16));
}
BAD_CASE(pthread_setname_np, other_15_chars) {
  return ERROR_RESULT(pthread_setname_np(blocked_thread(0), kName15));
}
BAD_CASE(pthread_setname_np, other_unmapped_name) {
  pthread_t thread = blocked_thread(0);
  void *page = unmapped_page();
  return ERROR_RESULT(pthread_setname_np(thread, page));
}
/* A thread that has ended and is not joined yet: glibc names it through its tid, which is 0. */
BAD_CASE(pthread_setname_np, finished_thread) {
  return ERROR_RESULT(pthread_setname_np(finished_thread(NULL), kName15));
}

static struct outcome getname(pthread_t thread, char *name, size_t len) {
  return ERROR_RESULT(pthread_getname_np(thread, name, OPAQUE(len)));
}
BAD_CASE(pthread_getname_np, len_0) {
  char name[16];
  return getname(pthread_self(), name, 0);
}
BAD_CASE(pthread_getname_np, len_15) {
  char name[16];
  return getname(pthread_self(), name, 15);
}
BAD_CASE(pthread_getname_np, len_16) {
  char name[16];
  return getname(pthread_self(), name, 16);
}
BAD_CASE(pthread_getname_np, huge_len) {
  char name[16];
  return getname(pthread_self(), name, SIZE_MAX);
}
BAD_CASE(pthread_getname_np, null_buffer) { return getname(pthread_self(), NULL, 16); }
BAD_CASE(pthread_getname_np, null_buffer_len_0) { return getname(pthread_self(), NULL, 0); }
BAD_CASE(pthread_getname_np, unmapped_buffer) {
  return getname(pthread_self(), unmapped_page(), 16);
}
BAD_CASE(pthread_getname_np, readonly_buffer) {
  return getname(pthread_self(), readonly_page(), 16);
}
BAD_CASE(pthread_getname_np, other_len_15) {
  char name[16];
  return getname(blocked_thread(0), name, 15);
}
BAD_CASE(pthread_getname_np, other_unmapped_buffer) {
  pthread_t thread = blocked_thread(0);
  void *page = unmapped_page();
  return getname(thread, page, 16);
}
BAD_CASE(pthread_getname_np, finished_thread) {
  char name[16];
  return getname(finished_thread(NULL), name, 16);
}
/* 1 when the name read back is the one set (on `thread`; kName16 does not fit and changes
 * nothing). */
static struct outcome name_round_trip(pthread_t thread, const char *name) {
  char before[16], after[16];
  int rc = pthread_getname_np(thread, before, sizeof before);
  int set_rc = pthread_setname_np(thread, name);
  rc = rc != 0 ? rc : pthread_getname_np(thread, after, sizeof after);
  if (rc != 0) {
    return ERROR_RESULT(rc);
  }
  return SYSCALL_RESULT(strcmp(after, set_rc == 0 ? name : before) == 0);
}
BAD_CASE(pthread_getname_np, self_after_setname) {
  return name_round_trip(pthread_self(), "bi-renamed");
}
BAD_CASE(pthread_getname_np, self_after_failed_setname) {
  return name_round_trip(pthread_self(), kName16);
}
BAD_CASE(pthread_getname_np, other_after_setname) {
  return name_round_trip(blocked_thread(0), kName15);
}
BAD_CASE(pthread_getname_np, inherited_by_new_thread) {
  char mine[16], its[16];
  pthread_setname_np(pthread_self(), "bi-parent");
  int rc = pthread_getname_np(blocked_thread(0), its, sizeof its);
  rc = rc != 0 ? rc : pthread_getname_np(pthread_self(), mine, sizeof mine);
  return rc != 0 ? ERROR_RESULT(rc) : SYSCALL_RESULT(strcmp(mine, its) == 0);
}

/* ---- dlsym ---- */

BAD_CASE(dlsym, default_null_name) {
  return POINTER_RESULT(dlsym(RTLD_DEFAULT, OPAQUE((const char *)NULL)));
}
BAD_CASE(dlsym, next_null_name) {
  return POINTER_RESULT(dlsym(RTLD_NEXT, OPAQUE((const char *)NULL)));
}
BAD_CASE(dlsym, default_unmapped_name) {
  return POINTER_RESULT(dlsym(RTLD_DEFAULT, unmapped_page()));
}
BAD_CASE(dlsym, next_unmapped_name) { return POINTER_RESULT(dlsym(RTLD_NEXT, unmapped_page())); }
BAD_CASE(dlsym, default_empty_name) { return POINTER_RESULT(dlsym(RTLD_DEFAULT, "")); }
BAD_CASE(dlsym, default_unknown) {
  return POINTER_RESULT(dlsym(RTLD_DEFAULT, "bi_no_such_symbol"));
}
BAD_CASE(dlsym, next_unknown) { return POINTER_RESULT(dlsym(RTLD_NEXT, "bi_no_such_symbol")); }
BAD_CASE(dlsym, next_unknown_dlerror) {
  dlerror();
  if (dlsym(RTLD_NEXT, "bi_no_such_symbol") != NULL) {
    fixture_failed("dlsym found bi_no_such_symbol");
  }
  return POINTER_RESULT(dlerror());
}
BAD_CASE(dlsym, unmapped_handle) { return POINTER_RESULT(dlsym(unmapped_page(), "read")); }
/* A handle pointing at a page of zeros. */
BAD_CASE(dlsym, zeroed_handle) { return POINTER_RESULT(dlsym(readonly_page(), "read")); }
BAD_CASE(dlsym, next_interposed_name) { return POINTER_RESULT(dlsym(RTLD_NEXT, "pthread_create")); }
/* The next "read" after this program is the one its own calls reach. */
BAD_CASE(dlsym, next_read_is_read) {
  return SYSCALL_RESULT(dlsym(RTLD_NEXT, "read") == (void *)OPAQUE(&read));
}
