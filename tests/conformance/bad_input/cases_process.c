/* cases_process.c - bad inputs to exit, fork, vfork, wait, waitpid, wait4, system, and the sleeps (sleep,
 * usleep, nanosleep, clock_nanosleep). */
#include "bad_input.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- fixtures of this file ---- */

/* A child that has exited with `status` and is not reaped yet (a zombie). */
static pid_t exited_child(int status) {
  pid_t child = fork();
  if (child < 0) {
    fixture_failed("fork");
  }
  if (child == 0) {
    _exit(status);
  }
  siginfo_t info;
  if (waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT) != 0) {
    fixture_failed("waitid");
  }
  return child;
}

/* A child blocked in read(2) on a pipe whose write end stays open in the caller. */
static pid_t running_child(void) {
  int fds[2];
  make_pipe(fds);
  pid_t child = fork();
  if (child < 0) {
    fixture_failed("fork");
  }
  if (child == 0) {
    char byte;
    close(fds[1]);
    _exit(read(fds[0], &byte, 1) == 0 ? 0 : 1);
  }
  close(fds[0]);
  return child;
}

/* 1 when `got` is the child's pid, else the failure (-1 and errno, or the value). */
static struct outcome is_child(pid_t got, pid_t child) {
  return SYSCALL_RESULT(got == child ? 1 : got);
}

/* ---- exit ("exited N": the status the parent saw) ---- */

BAD_CASE(exit, status_256) { exit(OPAQUE(256)); }
BAD_CASE(exit, status_300) { exit(OPAQUE(300)); }
BAD_CASE(exit, status_negative) { exit(OPAQUE(-1)); }
BAD_CASE(exit, status_int_min) { exit(OPAQUE(INT_MIN)); }
static void *exit_7(void *arg) {
  (void)arg;
  exit(7);
}
/* The main thread waits in pthread_join while the second thread exits. */
BAD_CASE(exit, from_second_thread) {
  pthread_join(start_thread(exit_7, NULL, 0), NULL);
  return SYSCALL_RESULT(-2);
}
static void exit_9_at_exit(void) { _exit(9); }
BAD_CASE(exit, runs_atexit_handlers) {
  atexit(exit_9_at_exit);
  exit(1);
}

/* ---- fork: the child's exit status, as waitpid reports it ---- */

static struct outcome child_status(pid_t child) {
  int status = 0;
  if (child < 0) {
    return SYSCALL_RESULT(child);
  }
  if (waitpid(child, &status, 0) != child) {
    fixture_failed("waitpid");
  }
  return SYSCALL_RESULT(WIFEXITED(status) ? WEXITSTATUS(status) : -1000 - WTERMSIG(status));
}
BAD_CASE(fork, child_exits_7) {
  pid_t child = fork();
  if (child == 0) {
    _exit(7);
  }
  return child_status(child);
}
BAD_CASE(fork, child_calls_exit_6) {
  pid_t child = fork();
  if (child == 0) {
    exit(6);
  }
  return child_status(child);
}
/* vfork: the child shares the parent's memory; what it changes of its own
 * (mask, dispositions, descriptors) must not reach the parent. */
BAD_CASE(vfork, child_exits_7) {
  pid_t child = vfork();
  if (child == 0) {
    _exit(7);
  }
  return child_status(child);
}
BAD_CASE(vfork, child_closes_a_parent_socket) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) {
    fixture_failed("socketpair");
  }
  pid_t child = vfork();
  if (child == 0) {
    close(pair[0]);
    _exit(0);
  }
  child_status(child);
  struct outcome result = SYSCALL_RESULT(fcntl(pair[0], F_GETFL) & O_NONBLOCK);
  close(pair[0]);
  close(pair[1]);
  return result;
}
BAD_CASE(vfork, child_blocks_sigusr1) {
  pid_t child = vfork();
  if (child == 0) {
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    _exit(0);
  }
  child_status(child);
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, NULL, &now);
  return SYSCALL_RESULT(sigismember(&now, SIGUSR1));
}
BAD_CASE(vfork, child_ignores_sigusr2) {
  pid_t child = vfork();
  if (child == 0) {
    signal(SIGUSR2, SIG_IGN);
    _exit(0);
  }
  child_status(child);
  struct sigaction now;
  sigaction(SIGUSR2, NULL, &now);
  return SYSCALL_RESULT(now.sa_handler == SIG_DFL);
}
extern pid_t __vfork(void);
BAD_CASE(__vfork, child_exits_9) {
  pid_t child = __vfork();
  if (child == 0) {
    _exit(9);
  }
  return child_status(child);
}
static void *return_11(void *arg) { return (char *)arg + 11; }
/* The child starts a thread of its own and exits with the value it joined. */
BAD_CASE(fork, child_creates_thread) {
  pid_t child = fork();
  if (child == 0) {
    void *joined = NULL;
    pthread_join(start_thread(return_11, NULL, 0), &joined);
    _exit((int)(intptr_t)joined);
  }
  return child_status(child);
}
static void *fork_child_5(void *arg) {
  pid_t child = fork();
  if (child == 0) {
    _exit(5);
  }
  *(pid_t *)arg = child;
  return NULL;
}
BAD_CASE(fork, from_second_thread) {
  pid_t child = -1;
  pthread_join(start_thread(fork_child_5, &child, 0), NULL);
  return child_status(child);
}

/* ---- wait ---- */

BAD_CASE(wait, no_children) {
  int status;
  return SYSCALL_RESULT(wait(&status));
}
BAD_CASE(wait, child_status) {
  int status = 0;
  pid_t child = exited_child(7);
  pid_t got = wait(&status);
  return SYSCALL_RESULT(got != child ? got : WEXITSTATUS(status));
}
BAD_CASE(wait, null_status) {
  pid_t child = exited_child(7);
  return is_child(wait(OPAQUE((int *)NULL)), child);
}
BAD_CASE(wait, unmapped_status) {
  exited_child(7);
  return SYSCALL_RESULT(wait(unmapped_page()));
}
BAD_CASE(wait, readonly_status) {
  exited_child(7);
  return SYSCALL_RESULT(wait(readonly_page()));
}

/* ---- waitpid ---- */

BAD_CASE(waitpid, no_children) {
  int status;
  return SYSCALL_RESULT(waitpid(-1, &status, 0));
}
BAD_CASE(waitpid, wnohang_no_children) {
  int status;
  return SYSCALL_RESULT(waitpid(-1, &status, WNOHANG));
}
/* The runner that forked this case: a process, but not a child. */
BAD_CASE(waitpid, not_a_child) {
  int status;
  return SYSCALL_RESULT(waitpid(getppid(), &status, 0));
}
BAD_CASE(waitpid, pid_1) {
  int status;
  return SYSCALL_RESULT(waitpid(OPAQUE(1), &status, 0));
}
BAD_CASE(waitpid, pid_int_min) {
  int status;
  return SYSCALL_RESULT(waitpid(OPAQUE(INT_MIN), &status, 0));
}
BAD_CASE(waitpid, pid_0) {
  int status;
  pid_t child = exited_child(7);
  return is_child(waitpid(0, &status, 0), child);
}
BAD_CASE(waitpid, own_group) {
  int status;
  pid_t child = exited_child(7);
  return is_child(waitpid(-getpgrp(), &status, 0), child);
}
/* A process group with no child in it (the runner's pid is no group of this case's children). */
BAD_CASE(waitpid, foreign_group) {
  int status;
  exited_child(7);
  return SYSCALL_RESULT(waitpid(-getppid(), &status, 0));
}
BAD_CASE(waitpid, bad_options) {
  int status;
  pid_t child = exited_child(7);
  return SYSCALL_RESULT(waitpid(child, &status, OPAQUE(0x12340000)));
}
BAD_CASE(waitpid, bad_options_any_child) {
  int status;
  exited_child(7);
  return SYSCALL_RESULT(waitpid(-1, &status, OPAQUE(0x12340000)));
}
BAD_CASE(waitpid, bad_options_no_children) {
  int status;
  return SYSCALL_RESULT(waitpid(-1, &status, OPAQUE(-1)));
}
BAD_CASE(waitpid, wnohang_running) {
  int status;
  return SYSCALL_RESULT(waitpid(running_child(), &status, WNOHANG));
}
BAD_CASE(waitpid, wnohang_running_unmapped_status) {
  pid_t child = running_child();
  void *page = unmapped_page();
  return SYSCALL_RESULT(waitpid(child, page, WNOHANG));
}
BAD_CASE(waitpid, null_status) {
  pid_t child = exited_child(7);
  return is_child(waitpid(child, OPAQUE((int *)NULL), 0), child);
}
BAD_CASE(waitpid, unmapped_status) {
  pid_t child = exited_child(7);
  void *page = unmapped_page();
  return SYSCALL_RESULT(waitpid(child, page, 0));
}
BAD_CASE(waitpid, readonly_status) {
  pid_t child = exited_child(7);
  void *page = readonly_page();
  return SYSCALL_RESULT(waitpid(child, page, 0));
}
BAD_CASE(waitpid, any_child_unmapped_status) {
  exited_child(7);
  return SYSCALL_RESULT(waitpid(-1, unmapped_page(), 0));
}
/* A child reaped already (here by a first waitpid): not a child any more. */
BAD_CASE(waitpid, reaped_child) {
  int status;
  pid_t child = exited_child(7);
  if (waitpid(child, &status, 0) != child) {
    fixture_failed("first waitpid");
  }
  return SYSCALL_RESULT(waitpid(child, &status, 0));
}
/* WUNTRACED reports a child that stopped itself: its stop signal. */
BAD_CASE(waitpid, wuntraced_stopped_child) {
  int status = 0;
  pid_t child = fork();
  if (child == 0) {
    raise(SIGSTOP);
    _exit(0);
  }
  pid_t got = waitpid(child, &status, WUNTRACED);
  kill(child, SIGKILL);
  return SYSCALL_RESULT(got != child ? got : WIFSTOPPED(status) ? WSTOPSIG(status) : -2);
}

/* ---- wait4 ---- */

BAD_CASE(wait4, no_children) {
  int status;
  struct rusage usage;
  return SYSCALL_RESULT(wait4(-1, &status, 0, &usage));
}
BAD_CASE(wait4, null_rusage) {
  int status;
  pid_t child = exited_child(7);
  return is_child(wait4(child, &status, 0, OPAQUE((struct rusage *)NULL)), child);
}
BAD_CASE(wait4, unmapped_rusage) {
  int status;
  pid_t child = exited_child(7);
  void *page = unmapped_page();
  return SYSCALL_RESULT(wait4(child, &status, 0, page));
}
BAD_CASE(wait4, readonly_rusage) {
  int status;
  pid_t child = exited_child(7);
  void *page = readonly_page();
  return SYSCALL_RESULT(wait4(child, &status, 0, page));
}
BAD_CASE(wait4, any_child_unmapped_rusage) {
  int status;
  exited_child(7);
  return SYSCALL_RESULT(wait4(-1, &status, 0, unmapped_page()));
}
BAD_CASE(wait4, unmapped_status) {
  struct rusage usage;
  pid_t child = exited_child(7);
  void *page = unmapped_page();
  return SYSCALL_RESULT(wait4(child, page, 0, &usage));
}
BAD_CASE(wait4, bad_options) {
  int status;
  struct rusage usage;
  return SYSCALL_RESULT(wait4(exited_child(7), &status, OPAQUE(0x12340000), &usage));
}
BAD_CASE(wait4, wnohang_running_unmapped_rusage) {
  int status;
  pid_t child = running_child();
  void *page = unmapped_page();
  return SYSCALL_RESULT(wait4(child, &status, WNOHANG, page));
}

/* ---- system: the wait status of the shell ---- */

BAD_CASE(system, null_command) { return SYSCALL_RESULT(system(OPAQUE((const char *)NULL))); }
BAD_CASE(system, exit_3) { return SYSCALL_RESULT(system("exit 3")); }
BAD_CASE(system, empty_command) { return SYSCALL_RESULT(system("")); }
BAD_CASE(system, shell_killed) { return SYSCALL_RESULT(system("kill -9 $$")); }
/* execve of the shell fails (EFAULT) in the child: status 127 << 8. */
BAD_CASE(system, unmapped_command) { return SYSCALL_RESULT(system(unmapped_page())); }

/* ---- sleep, usleep ---- */

BAD_CASE(sleep, zero) { return SYSCALL_RESULT(sleep(OPAQUE(0U))); }
BAD_CASE(sleep, one_second) { return SYSCALL_RESULT(sleep(OPAQUE(1U))); }
BAD_CASE(usleep, zero) { return SYSCALL_RESULT(usleep(OPAQUE(0U))); }
/* Once EINVAL (POSIX allowed refusing 1000000 and more); glibc sleeps the second. */
BAD_CASE(usleep, one_second) { return SYSCALL_RESULT(usleep(OPAQUE(1000000U))); }

/* ---- nanosleep ---- */

static struct outcome nanosleep_for(time_t sec, long nsec, struct timespec *rem) {
  struct timespec req = {sec, nsec};
  return SYSCALL_RESULT(nanosleep(&req, rem));
}
BAD_CASE(nanosleep, null_req) {
  struct timespec rem;
  return SYSCALL_RESULT(nanosleep(OPAQUE((struct timespec *)NULL), &rem));
}
BAD_CASE(nanosleep, unmapped_req) {
  struct timespec rem;
  return SYSCALL_RESULT(nanosleep(unmapped_page(), &rem));
}
BAD_CASE(nanosleep, zero) { return nanosleep_for(0, 0, NULL); }
BAD_CASE(nanosleep, nsec_1e9) { return nanosleep_for(0, 1000000000, NULL); }
BAD_CASE(nanosleep, nsec_huge) { return nanosleep_for(0, LONG_MAX, NULL); }
BAD_CASE(nanosleep, negative_nsec) { return nanosleep_for(0, -1, NULL); }
BAD_CASE(nanosleep, negative_sec) { return nanosleep_for(-1, 0, NULL); }
/* rem is written only when a signal ends the sleep early. */
BAD_CASE(nanosleep, unmapped_rem) { return nanosleep_for(0, 1000, unmapped_page()); }
BAD_CASE(nanosleep, readonly_rem) { return nanosleep_for(0, 1000, readonly_page()); }
BAD_CASE(nanosleep, negative_sec_unmapped_rem) { return nanosleep_for(-1, 0, unmapped_page()); }

/* ---- clock_nanosleep (returns the error number) ---- */

static struct outcome clock_sleep(clockid_t clock, int flags, time_t sec, long nsec,
                                  struct timespec *rem) {
  struct timespec req = {sec, nsec};
  return ERROR_RESULT(clock_nanosleep(OPAQUE(clock), OPAQUE(flags), &req, rem));
}
BAD_CASE(clock_nanosleep, bad_clock_999) { return clock_sleep(999, 0, 0, 1000, NULL); }
BAD_CASE(clock_nanosleep, negative_clock) { return clock_sleep(-1, 0, 0, 1000, NULL); }
BAD_CASE(clock_nanosleep, thread_cputime) {
  return clock_sleep(CLOCK_THREAD_CPUTIME_ID, 0, 0, 1000, NULL);
}
/* A relative process-CPU-time sleep could last for ever in an idle process: absolute, past. */
BAD_CASE(clock_nanosleep, process_cputime_abstime_past) {
  return clock_sleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, 0, 1, NULL);
}
BAD_CASE(clock_nanosleep, monotonic_raw) {
  return clock_sleep(CLOCK_MONOTONIC_RAW, 0, 0, 1000, NULL);
}
BAD_CASE(clock_nanosleep, realtime_coarse) {
  return clock_sleep(CLOCK_REALTIME_COARSE, 0, 0, 1000, NULL);
}
BAD_CASE(clock_nanosleep, realtime_alarm) {
  return clock_sleep(CLOCK_REALTIME_ALARM, 0, 0, 1000, NULL);
}
BAD_CASE(clock_nanosleep, boottime) { return clock_sleep(CLOCK_BOOTTIME, 0, 0, 1000, NULL); }
BAD_CASE(clock_nanosleep, tai) { return clock_sleep(CLOCK_TAI, 0, 0, 1000, NULL); }
BAD_CASE(clock_nanosleep, null_req) {
  return ERROR_RESULT(clock_nanosleep(CLOCK_MONOTONIC, 0, OPAQUE((struct timespec *)NULL), NULL));
}
BAD_CASE(clock_nanosleep, null_req_bad_clock) {
  return ERROR_RESULT(clock_nanosleep(OPAQUE(999), 0, OPAQUE((struct timespec *)NULL), NULL));
}
BAD_CASE(clock_nanosleep, unmapped_req) {
  return ERROR_RESULT(clock_nanosleep(CLOCK_MONOTONIC, 0, unmapped_page(), NULL));
}
BAD_CASE(clock_nanosleep, realtime_unmapped_req) {
  return ERROR_RESULT(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, unmapped_page(), NULL));
}
BAD_CASE(clock_nanosleep, boottime_unmapped_req) {
  return ERROR_RESULT(clock_nanosleep(CLOCK_BOOTTIME, 0, unmapped_page(), NULL));
}
BAD_CASE(clock_nanosleep, nsec_1e9) { return clock_sleep(CLOCK_MONOTONIC, 0, 0, 1000000000, NULL); }
BAD_CASE(clock_nanosleep, negative_nsec) { return clock_sleep(CLOCK_MONOTONIC, 0, 0, -1, NULL); }
BAD_CASE(clock_nanosleep, negative_sec) { return clock_sleep(CLOCK_MONOTONIC, 0, -1, 0, NULL); }
BAD_CASE(clock_nanosleep, realtime_negative_sec) {
  return clock_sleep(CLOCK_REALTIME, 0, -1, 0, NULL);
}
BAD_CASE(clock_nanosleep, abstime_past) {
  return clock_sleep(CLOCK_MONOTONIC, TIMER_ABSTIME, 1, 0, NULL);
}
BAD_CASE(clock_nanosleep, realtime_abstime_past) {
  return clock_sleep(CLOCK_REALTIME, TIMER_ABSTIME, 1, 0, NULL);
}
BAD_CASE(clock_nanosleep, abstime_negative_sec) {
  return clock_sleep(CLOCK_MONOTONIC, TIMER_ABSTIME, -1, 0, NULL);
}
BAD_CASE(clock_nanosleep, abstime_bad_nsec) {
  return clock_sleep(CLOCK_MONOTONIC, TIMER_ABSTIME, 1, 1000000000, NULL);
}
/* Flags other than TIMER_ABSTIME are ignored; -1 includes TIMER_ABSTIME. */
BAD_CASE(clock_nanosleep, unknown_flags) {
  return clock_sleep(CLOCK_MONOTONIC, 0x100, 0, 1000, NULL);
}
BAD_CASE(clock_nanosleep, all_flags) { return clock_sleep(CLOCK_MONOTONIC, -1, 1, 0, NULL); }
/* rem is written only when a signal ends a relative sleep early. */
BAD_CASE(clock_nanosleep, unmapped_rem) {
  return clock_sleep(CLOCK_MONOTONIC, 0, 0, 1000, unmapped_page());
}
BAD_CASE(clock_nanosleep, readonly_rem) {
  return clock_sleep(CLOCK_REALTIME, 0, 0, 1000, readonly_page());
}
BAD_CASE(clock_nanosleep, abstime_unmapped_rem) {
  return clock_sleep(CLOCK_MONOTONIC, TIMER_ABSTIME, 1, 0, unmapped_page());
}
BAD_CASE(clock_nanosleep, boottime_unmapped_rem) {
  return clock_sleep(CLOCK_BOOTTIME, 0, 0, 1000, unmapped_page());
}
