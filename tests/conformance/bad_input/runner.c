/* runner.c - runs every bad-input case in a child of its own with an alarm, and prints one line
 * per case: what the call returned, or how the child died.
 *
 *   bad_input            every case, sorted by hook and label
 *   bad_input PREFIX...  the cases whose "hook label" starts with a PREFIX
 *   bad_input --list     "hook label" of every case, without running them
 *
 * A line reads "hook label: RESULT", RESULT one of
 *   -1 EFAULT        a failed call and its errno (OUTCOME_SYSCALL, OUTCOME_FD)
 *   3 / fd           a value (any fd as "fd")
 *   error EINVAL     an error number returned (OUTCOME_ERROR; "error 0" is success)
 *   null ENOMEM / non-null
 *   returned         a void call came back
 *   killed SIGSEGV   the child died of a signal (the call crashed the program)
 *   hung             the alarm ended the child: the call never returned
 *   exited 3         the child ended without returning from the call (exit, pthread_exit)
 */
#include "bad_input.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kAlarmSeconds = 2, kMaxCases = 4096 };

extern const struct bad_case __start_bad_cases[];
extern const struct bad_case __stop_bad_cases[];

/* Filled by the child, read by the parent once the child is gone. */
struct shared_result {
  int written;
  struct outcome outcome;
};

static int by_hook_and_label(const void *left, const void *right) {
  const struct bad_case *a = *(const struct bad_case *const *)left;
  const struct bad_case *b = *(const struct bad_case *const *)right;
  int by_hook = strcmp(a->hook, b->hook);
  return by_hook != 0 ? by_hook : strcmp(a->label, b->label);
}

static const char *error_name(int error) {
  const char *name = strerrorname_np(error);
  static char number[32];
  if (name != NULL) {
    return name;
  }
  snprintf(number, sizeof number, "errno%d", error);
  return number;
}

static void print_outcome(const struct outcome *outcome) {
  switch (outcome->kind) {
  case OUTCOME_SYSCALL:
  case OUTCOME_FD:
    if (outcome->value < 0) {
      printf("%ld %s\n", outcome->value, error_name(outcome->error));
    } else if (outcome->kind == OUTCOME_FD) {
      printf("fd\n");
    } else {
      printf("%ld\n", outcome->value);
    }
    break;
  case OUTCOME_ERROR:
    printf("error %s\n", outcome->value == 0 ? "0" : error_name((int)outcome->value));
    break;
  case OUTCOME_POINTER:
    if (outcome->value != 0) {
      printf("non-null\n");
    } else {
      printf("null %s\n", error_name(outcome->error));
    }
    break;
  case OUTCOME_VOID:
    printf("returned\n");
    break;
  }
}

static void run_case(const struct bad_case *one, struct shared_result *result) {
  memset(result, 0, sizeof *result);
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    exit(2);
  }
  if (child == 0) {
    alarm(kAlarmSeconds);
    struct outcome outcome = one->run();
    result->outcome = outcome;
    __atomic_store_n(&result->written, 1, __ATOMIC_RELEASE);
    _exit(0);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      perror("waitpid");
      exit(2);
    }
  }
  printf("%s %s: ", one->hook, one->label);
  if (WIFSIGNALED(status)) {
    int signal_number = WTERMSIG(status);
    if (signal_number == SIGALRM) {
      printf("hung\n");
    } else {
      printf("killed SIG%s\n", sigabbrev_np(signal_number));
    }
  } else if (__atomic_load_n(&result->written, __ATOMIC_ACQUIRE) && WEXITSTATUS(status) == 0) {
    print_outcome(&result->outcome);
  } else {
    printf("exited %d\n", WEXITSTATUS(status));
  }
}

static int selected(const struct bad_case *one, int argc, char **argv) {
  if (argc < 2) {
    return 1;
  }
  char name[256];
  snprintf(name, sizeof name, "%s %s", one->hook, one->label);
  for (int index = 1; index < argc; ++index) {
    if (strncmp(name, argv[index], strlen(argv[index])) == 0) {
      return 1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  static const struct bad_case *cases[kMaxCases];
  size_t count = 0;
  for (const struct bad_case *one = __start_bad_cases; one < __stop_bad_cases; ++one) {
    if (count == kMaxCases) {
      fprintf(stderr, "bad_input: more than %d cases\n", kMaxCases);
      return 2;
    }
    cases[count++] = one;
  }
  qsort(cases, count, sizeof cases[0], by_hook_and_label);
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (size_t index = 0; index < count; ++index) {
      printf("%s %s\n", cases[index]->hook, cases[index]->label);
    }
    return 0;
  }
  struct shared_result *result =
      mmap(NULL, sizeof *result, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (result == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  for (size_t index = 0; index < count; ++index) {
    if (selected(cases[index], argc, argv)) {
      run_case(cases[index], result);
    }
  }
  return 0;
}
