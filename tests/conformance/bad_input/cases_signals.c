/* cases_signals.c - bad inputs to the signal calls sprig keeps per green thread: dispositions, masks, pending sets, the waits for a signal and the long jumps that restore a mask. */
#include "bad_input.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t g_hits;
static void count_signal(int signal_number) {
  (void)signal_number;
  g_hits++;
}

/* ---- sigaction ---- */

static struct outcome set_handler(int signal_number, const struct sigaction *action,
                                  struct sigaction *previous) {
  return SYSCALL_RESULT(sigaction(signal_number, action, previous));
}
static struct sigaction *counting_action(void) {
  static struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = count_signal;
  return &action;
}
BAD_CASE(sigaction, signal_0) { return set_handler(OPAQUE(0), counting_action(), NULL); }
BAD_CASE(sigaction, signal_65) { return set_handler(OPAQUE(65), counting_action(), NULL); }
BAD_CASE(sigaction, signal_negative) { return set_handler(OPAQUE(-1), counting_action(), NULL); }
BAD_CASE(sigaction, sigkill) { return set_handler(SIGKILL, counting_action(), NULL); }
BAD_CASE(sigaction, sigstop_query) {
  struct sigaction old;
  return set_handler(SIGSTOP, NULL, &old);
}
BAD_CASE(sigaction, sigcancel) { return set_handler(OPAQUE(32), counting_action(), NULL); }
BAD_CASE(sigaction, unmapped_action) { return set_handler(SIGUSR1, unmapped_page(), NULL); }
BAD_CASE(sigaction, unmapped_previous) {
  return set_handler(SIGUSR1, counting_action(), unmapped_page());
}
BAD_CASE(sigaction, readonly_previous) {
  return set_handler(SIGUSR1, NULL, readonly_page());
}
/* What the kernel did with the action when writing the old one failed: it was set. */
BAD_CASE(sigaction, set_despite_bad_previous) {
  sigaction(SIGUSR1, counting_action(), unmapped_page());
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  return bad_result(OUTCOME_SYSCALL, now.sa_handler == count_signal);
}
/* SIGSEGV as the program had it: its default, whatever sprig installed. */
BAD_CASE(sigaction, sigsegv_default_reported) {
  struct sigaction now;
  sigaction(SIGSEGV, NULL, &now);
  return bad_result(OUTCOME_SYSCALL, now.sa_handler == SIG_DFL);
}

/* ---- signal ---- */

BAD_CASE(signal, signal_0) {
  return bad_result(OUTCOME_SYSCALL, (errno = 0, signal(OPAQUE(0), count_signal) == SIG_ERR));
}
BAD_CASE(signal, signal_999) {
  return bad_result(OUTCOME_SYSCALL, (errno = 0, signal(OPAQUE(999), count_signal) == SIG_ERR));
}
BAD_CASE(signal, sigkill) {
  return bad_result(OUTCOME_SYSCALL, (errno = 0, signal(SIGKILL, count_signal) == SIG_ERR));
}
BAD_CASE(signal, sig_err_handler) {
  return bad_result(OUTCOME_SYSCALL, (errno = 0, signal(SIGUSR1, OPAQUE(SIG_ERR)) == SIG_ERR));
}
/* The old handler comes back, and a raise runs the new one. */
BAD_CASE(signal, replaced_then_raised) {
  signal(SIGUSR2, SIG_IGN);
  sighandler_t old = signal(SIGUSR2, count_signal);
  raise(SIGUSR2);
  return bad_result(OUTCOME_SYSCALL, (old == SIG_IGN) * 10 + g_hits);
}

/* ---- the masks ---- */

static sigset_t *usr1_set(void) {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return &set;
}
BAD_CASE(pthread_sigmask, bad_how) {
  return ERROR_RESULT(pthread_sigmask(OPAQUE(12345), usr1_set(), NULL));
}
BAD_CASE(pthread_sigmask, bad_how_no_set) {
  sigset_t old;
  return ERROR_RESULT(pthread_sigmask(OPAQUE(12345), NULL, &old));
}
BAD_CASE(pthread_sigmask, unmapped_old) {
  return ERROR_RESULT(pthread_sigmask(SIG_BLOCK, usr1_set(), unmapped_page()));
}
BAD_CASE(pthread_sigmask, readonly_old) {
  return ERROR_RESULT(pthread_sigmask(SIG_BLOCK, NULL, readonly_page()));
}
/* glibc reads the new set itself: a bad one faults in the caller. */
BAD_CASE(pthread_sigmask, unmapped_set) {
  return ERROR_RESULT(pthread_sigmask(SIG_BLOCK, unmapped_page(), NULL));
}
/* SIGKILL, SIGSTOP and glibc's own two are never blocked. */
BAD_CASE(pthread_sigmask, block_all_then_query) {
  sigset_t all, now;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  return bad_result(OUTCOME_SYSCALL, sigismember(&now, SIGKILL) * 1000 +
                                         sigismember(&now, SIGSTOP) * 100 +
                                         sigismember(&now, 32) * 10 + sigismember(&now, SIGUSR1));
}
BAD_CASE(sigprocmask, bad_how) { return SYSCALL_RESULT(sigprocmask(OPAQUE(-1), usr1_set(), NULL)); }
BAD_CASE(sigprocmask, unmapped_old) {
  return SYSCALL_RESULT(sigprocmask(SIG_UNBLOCK, usr1_set(), unmapped_page()));
}
/* Unblocking a pending signal delivers it before the call returns. */
BAD_CASE(sigprocmask, unblock_delivers) {
  signal(SIGUSR1, count_signal);
  sigprocmask(SIG_BLOCK, usr1_set(), NULL);
  raise(SIGUSR1);
  int before = g_hits;
  sigprocmask(SIG_UNBLOCK, usr1_set(), NULL);
  return bad_result(OUTCOME_SYSCALL, before * 10 + g_hits);
}

/* ---- raise ---- */

BAD_CASE(raise, signal_0) { return SYSCALL_RESULT(raise(OPAQUE(0))); }
BAD_CASE(raise, signal_999) { return SYSCALL_RESULT(raise(OPAQUE(999))); }
BAD_CASE(raise, signal_negative) { return SYSCALL_RESULT(raise(OPAQUE(-1))); }
BAD_CASE(raise, sigcancel) { return SYSCALL_RESULT(raise(OPAQUE(32))); }
BAD_CASE(raise, ignored) {
  signal(SIGUSR1, SIG_IGN);
  return SYSCALL_RESULT(raise(SIGUSR1));
}
BAD_CASE(raise, default_terminates) { return SYSCALL_RESULT(raise(SIGTERM)); }

/* ---- sigpending ---- */

BAD_CASE(sigpending, null_set) { return SYSCALL_RESULT(sigpending(OPAQUE((sigset_t *)NULL))); }
BAD_CASE(sigpending, readonly_set) { return SYSCALL_RESULT(sigpending(readonly_page())); }
BAD_CASE(sigpending, blocked_raise_pending) {
  sigprocmask(SIG_BLOCK, usr1_set(), NULL);
  raise(SIGUSR1);
  sigset_t pending;
  sigpending(&pending);
  return bad_result(OUTCOME_SYSCALL, sigismember(&pending, SIGUSR1));
}

/* ---- the waits for a signal ---- */

static const struct timespec kZero = {0, 0};
BAD_CASE(sigwait, unmapped_set) {
  int taken;
  return ERROR_RESULT(sigwait(unmapped_page(), &taken));
}
BAD_CASE(sigwait, pending_taken) {
  sigprocmask(SIG_BLOCK, usr1_set(), NULL);
  raise(SIGUSR1);
  int taken = 0;
  int rc = sigwait(usr1_set(), &taken);
  return ERROR_RESULT(rc != 0 ? rc : taken);
}
BAD_CASE(sigwaitinfo, unmapped_set) {
  siginfo_t info;
  return SYSCALL_RESULT(sigwaitinfo(unmapped_page(), &info));
}
BAD_CASE(sigwaitinfo, pending_unmapped_info) {
  sigprocmask(SIG_BLOCK, usr1_set(), NULL);
  raise(SIGUSR1);
  return SYSCALL_RESULT(sigwaitinfo(usr1_set(), unmapped_page()));
}
BAD_CASE(sigtimedwait, unmapped_set) {
  return SYSCALL_RESULT(sigtimedwait(unmapped_page(), NULL, &kZero));
}
BAD_CASE(sigtimedwait, unmapped_timeout) {
  return SYSCALL_RESULT(sigtimedwait(usr1_set(), NULL, UNMAPPED_TIME));
}
BAD_CASE(sigtimedwait, negative_sec) {
  return SYSCALL_RESULT(sigtimedwait(usr1_set(), NULL, &kNegativeSec));
}
BAD_CASE(sigtimedwait, nsec_too_big) {
  return SYSCALL_RESULT(sigtimedwait(usr1_set(), NULL, &kNsecTooBig));
}
BAD_CASE(sigtimedwait, zero_nothing_pending) {
  return SYSCALL_RESULT(sigtimedwait(usr1_set(), NULL, &kZero));
}
BAD_CASE(sigtimedwait, short_timeout) {
  static const struct timespec kShort = {0, 20000000};
  return SYSCALL_RESULT(sigtimedwait(usr1_set(), NULL, &kShort));
}
BAD_CASE(sigsuspend, unmapped_mask) { return SYSCALL_RESULT(sigsuspend(unmapped_page())); }
BAD_CASE(sigsuspend, pending_unblocked) {
  signal(SIGUSR1, count_signal);
  sigprocmask(SIG_BLOCK, usr1_set(), NULL);
  raise(SIGUSR1);
  sigset_t none;
  sigemptyset(&none);
  int rc = sigsuspend(&none);
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  return bad_result(OUTCOME_SYSCALL, rc * 100 + g_hits * 10 + sigismember(&now, SIGUSR1));
}
BAD_CASE(pause, timer_signal) {
  signal(SIGALRM, count_signal);
  struct itimerval soon = {{0, 0}, {0, 50000}};
  setitimer(ITIMER_REAL, &soon, NULL);
  return SYSCALL_RESULT(pause());
}

/* ---- long jumps ---- */

static sigjmp_buf g_jump;
BAD_CASE(siglongjmp, restores_saved_mask) {
  sigprocmask(SIG_UNBLOCK, usr1_set(), NULL);
  if (sigsetjmp(g_jump, 1) == 0) {
    sigprocmask(SIG_BLOCK, usr1_set(), NULL);
    siglongjmp(g_jump, 1);
  }
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  return bad_result(OUTCOME_SYSCALL, sigismember(&now, SIGUSR1));
}
BAD_CASE(siglongjmp, value_0_becomes_1) {
  volatile int value = sigsetjmp(g_jump, 0);
  if (value == 0) {
    siglongjmp(g_jump, OPAQUE(0));
  }
  return bad_result(OUTCOME_SYSCALL, value);
}
static jmp_buf g_plain_jump;
BAD_CASE(longjmp, restores_saved_mask) {
  sigprocmask(SIG_UNBLOCK, usr1_set(), NULL);
  if (setjmp(g_plain_jump) == 0) {
    sigprocmask(SIG_BLOCK, usr1_set(), NULL);
    longjmp(g_plain_jump, 1);
  }
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  return bad_result(OUTCOME_SYSCALL, sigismember(&now, SIGUSR1));
}
/* A handler that jumps out: the mask sigsetjmp saved is back, SIGUSR1 with it unblocked. */
static void jump_out(int signal_number) {
  (void)signal_number;
  siglongjmp(g_jump, 2);
}
BAD_CASE(__longjmp_chk, out_of_handler) {
  signal(SIGUSR1, jump_out);
  if (sigsetjmp(g_jump, 1) == 0) {
    raise(SIGUSR1);
    return bad_result(OUTCOME_SYSCALL, -5);
  }
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  return bad_result(OUTCOME_SYSCALL, 10 + sigismember(&now, SIGUSR1));
}

/* ---- pthread_sigqueue ---- */

static const union sigval kValue = {.sival_int = 7};
BAD_CASE(pthread_sigqueue, signal_999) {
  return ERROR_RESULT(pthread_sigqueue(pthread_self(), OPAQUE(999), kValue));
}
BAD_CASE(pthread_sigqueue, sigcancel) {
  return ERROR_RESULT(pthread_sigqueue(pthread_self(), OPAQUE(32), kValue));
}
BAD_CASE(pthread_sigqueue, signal_0) {
  return ERROR_RESULT(pthread_sigqueue(pthread_self(), OPAQUE(0), kValue));
}
static volatile sig_atomic_t g_queued_value;
static void note_value(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  (void)context;
  g_queued_value = info->si_code == SI_QUEUE ? info->si_value.sival_int : -1;
}
BAD_CASE(pthread_sigqueue, value_arrives) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = note_value;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &action, NULL);
  int rc = pthread_sigqueue(pthread_self(), SIGUSR1, kValue);
  return ERROR_RESULT(rc != 0 ? rc : 100 + g_queued_value);
}
BAD_CASE(pthread_sigqueue, finished_thread) {
  return ERROR_RESULT(pthread_sigqueue(finished_thread(NULL), SIGUSR1, kValue));
}

/* ---- sigaltstack ---- */

static char g_alternate[65536];
static stack_t *alternate(int flags, size_t size) {
  static stack_t stack;
  stack.ss_sp = g_alternate;
  stack.ss_size = size;
  stack.ss_flags = flags;
  return &stack;
}
BAD_CASE(sigaltstack, unmapped_stack) { return SYSCALL_RESULT(sigaltstack(unmapped_page(), NULL)); }
BAD_CASE(sigaltstack, unmapped_old) {
  return SYSCALL_RESULT(sigaltstack(alternate(0, sizeof g_alternate), unmapped_page()));
}
BAD_CASE(sigaltstack, readonly_old) { return SYSCALL_RESULT(sigaltstack(NULL, readonly_page())); }
BAD_CASE(sigaltstack, bad_flags) {
  return SYSCALL_RESULT(sigaltstack(alternate(OPAQUE(0x77), sizeof g_alternate), NULL));
}
BAD_CASE(sigaltstack, too_small) { return SYSCALL_RESULT(sigaltstack(alternate(0, OPAQUE(100)), NULL)); }
BAD_CASE(sigaltstack, disable_small) {
  return SYSCALL_RESULT(sigaltstack(alternate(SS_DISABLE, OPAQUE(100)), NULL));
}
BAD_CASE(sigaltstack, initial_state) {
  stack_t old;
  int rc = sigaltstack(NULL, &old);
  return bad_result(OUTCOME_SYSCALL, rc * 100 + (old.ss_flags == SS_DISABLE) * 10 + (old.ss_size == 0));
}
BAD_CASE(sigaltstack, set_then_query) {
  sigaltstack(alternate(0, sizeof g_alternate), NULL);
  stack_t old;
  sigaltstack(NULL, &old);
  return bad_result(OUTCOME_SYSCALL,
                    (old.ss_sp == g_alternate) * 100 + (old.ss_size == sizeof g_alternate) * 10 + old.ss_flags);
}
static volatile long g_on_stack_result = -99;
static void change_stack_inside(int signal_number) {
  (void)signal_number;
  stack_t old;
  sigaltstack(NULL, &old);
  errno = 0;
  int rc = sigaltstack(alternate(SS_DISABLE, 0), NULL);
  g_on_stack_result = (old.ss_flags == SS_ONSTACK) * 1000 + (rc == -1 ? errno : 0);
}
/* On the alternate stack, a handler sees SS_ONSTACK and cannot change it (EPERM). */
BAD_CASE(sigaltstack, change_while_on_it) {
  sigaltstack(alternate(0, sizeof g_alternate), NULL);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = change_stack_inside;
  action.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &action, NULL);
  raise(SIGUSR1);
  return bad_result(OUTCOME_SYSCALL, g_on_stack_result);
}
