/* sig_handler_context.c - what a handler sees and does in a threaded program: SA_SIGINFO's siginfo (SI_USER and si_pid from a child's kill(), SI_QUEUE, SI_TKILL) and ucontext; SA_ONSTACK on the target thread's own sigaltstack while it is parked in read(); SA_RESETHAND; the handler's mask (sa_mask, the signal, SA_NODEFER) and the thread's mask after; siglongjmp() out of a handler that interrupted a read(); a SIGALRM handler whose sem_post() wakes two threads in sem_wait(). */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int handled;
static atomic_int entering, returned;
static pthread_t main_thread;

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

static int wait_handled(int at_least) {
  for (int i = 0; i < 10000 && atomic_load(&handled) < at_least; i++) {
    nap_ms(1);
  }
  return atomic_load(&handled) >= at_least;
}

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

static sigset_t one(int signal_number) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_number);
  return set;
}

static void install(int signal_number, void (*action)(int, siginfo_t *, void *), int flags, const sigset_t *mask) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = action;
  sa.sa_flags = SA_SIGINFO | flags;
  if (mask) {
    sa.sa_mask = *mask;
  } else {
    sigemptyset(&sa.sa_mask);
  }
  sigaction(signal_number, &sa, NULL);
}

static const char *code_name(int code) {
  static char text[32];
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_TKILL:
      return "SI_TKILL";
    default:
      snprintf(text, sizeof text, "code %d", code);
      return text;
  }
}

/* ---- 1. siginfo and ucontext ---- */

static siginfo_t last_info;
static int last_context_set;
static pthread_t last_ran_on;

static void record_info(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  last_info = *info;
  last_context_set = context != NULL;
  last_ran_on = pthread_self();
  atomic_fetch_add(&handled, 1);
}

static pthread_t bystander;
static sem_t bystander_end;

static void *bystander_body(void *arg) {
  while (sem_wait(&bystander_end) != 0 && errno == EINTR) {
  }
  return arg;
}

static void from_child(int queue) {
  atomic_store(&handled, 0);
  memset(&last_info, 0, sizeof last_info);
  pid_t child = fork();
  if (child == 0) {
    if (queue) {
      union sigval value = {.sival_int = 7};
      sigqueue(getppid(), SIGUSR1, value);
    } else {
      kill(getppid(), SIGUSR1);
    }
    _exit(0);
  }
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  int ran = wait_handled(1);
  printf("SA_SIGINFO, %s from a child process: ran on main: %s, si_signo SIGUSR1: %s, si_code %s, si_pid the child: %s",
         queue ? "sigqueue(value 7)" : "kill()", yes_no(ran && pthread_equal(last_ran_on, main_thread)),
         yes_no(last_info.si_signo == SIGUSR1), code_name(last_info.si_code), yes_no(last_info.si_pid == child));
  if (queue) {
    printf(", si_value %d", last_info.si_value.sival_int);
  }
  printf(", ucontext non-NULL: %s\n", yes_no(last_context_set));
}

static void *send_to_main(void *arg) {
  (void)arg;
  pthread_kill(main_thread, SIGUSR1);
  return NULL;
}

static void siginfo_checks(void) {
  /* The bystander blocks SIGUSR1, so the child's signal goes to main. */
  sem_init(&bystander_end, 0, 0);
  sigset_t usr1 = one(SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  pthread_create(&bystander, NULL, bystander_body, NULL);
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
  install(SIGUSR1, record_info, SA_RESTART, NULL);

  from_child(0);
  from_child(1);

  atomic_store(&handled, 0);
  memset(&last_info, 0, sizeof last_info);
  pthread_t sender;
  pthread_create(&sender, NULL, send_to_main, NULL);
  pthread_join(sender, NULL);
  int ran = wait_handled(1);
  printf("SA_SIGINFO, pthread_kill() from another thread: ran on main: %s, si_code %s, si_pid this process: %s\n",
         yes_no(ran && pthread_equal(last_ran_on, main_thread)), code_name(last_info.si_code),
         yes_no(last_info.si_pid == getpid()));
  sem_post(&bystander_end);
  pthread_join(bystander, NULL);
}

/* ---- 2. SA_ONSTACK ---- */

static char alternate_stack[64 * 1024];
static int on_alternate = -1, flag_on_stack = -1, flag_disabled = -1;

static void check_stack(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  (void)info;
  (void)context;
  char local;
  uintptr_t at = (uintptr_t)&local, low = (uintptr_t)alternate_stack;
  on_alternate = at >= low && at < low + sizeof alternate_stack;
  stack_t current;
  memset(&current, 0, sizeof current);
  sigaltstack(NULL, &current);
  flag_on_stack = (current.ss_flags & SS_ONSTACK) != 0;
  flag_disabled = (current.ss_flags & SS_DISABLE) != 0;
  atomic_fetch_add(&handled, 1);
}

static int pair[2];
static char read_byte;
static ssize_t read_result;
static int stack_kept = -1;

static void *parked_reader(void *arg) {
  int with_stack = arg != NULL;
  if (with_stack) {
    stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack, .ss_flags = 0};
    sigaltstack(&stack, NULL);
  }
  atomic_store(&entering, 1);
  read_result = read(pair[0], &read_byte, 1);
  atomic_store(&returned, 1);
  if (with_stack) {
    stack_t after;
    memset(&after, 0, sizeof after);
    sigaltstack(NULL, &after);
    stack_kept = after.ss_sp == alternate_stack && after.ss_flags == 0;
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
  }
  return NULL;
}

/* Main sends SIGUSR2 to a thread parked in read(), and writes a byte once the handler ran. */
static void signal_parked_reader(void *(*body)(void *), void *arg) {
  atomic_store(&handled, 0);
  atomic_store(&entering, 0);
  atomic_store(&returned, 0);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  pthread_t thread;
  pthread_create(&thread, NULL, body, arg);
  wait_flag(&entering);
  nap_ms(50);
  pthread_kill(thread, SIGUSR2);
  wait_handled(1);
  nap_ms(20);
  send(pair[1], "b", 1, 0);
  pthread_join(thread, NULL);
  close(pair[0]);
  close(pair[1]);
}

static void onstack_checks(void) {
  install(SIGUSR2, check_stack, SA_ONSTACK | SA_RESTART, NULL);
  signal_parked_reader(parked_reader, "with a stack");
  printf("SA_ONSTACK, thread with its own sigaltstack parked in read(): handler on the alternate stack: %s, SS_ONSTACK "
         "inside: %s; read (SA_RESTART): %s; the stack is still set after: %s\n",
         yes_no(on_alternate == 1), yes_no(flag_on_stack == 1), read_result == 1 ? "1 byte" : "no byte",
         yes_no(stack_kept == 1));
  on_alternate = flag_on_stack = flag_disabled = -1;
  signal_parked_reader(parked_reader, NULL);
  printf("SA_ONSTACK, thread without a sigaltstack parked in read(): handler on that alternate stack: %s, SS_DISABLE "
         "inside: %s; read: %s\n",
         yes_no(on_alternate == 1), yes_no(flag_disabled == 1), read_result == 1 ? "1 byte" : "no byte");
}

/* ---- 3. SA_RESETHAND ---- */

static void count_only(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  (void)info;
  (void)context;
  atomic_fetch_add(&handled, 1);
}

static void *raise_in_thread(void *arg) {
  pthread_kill(pthread_self(), SIGUSR1);
  return arg;
}

static void resethand_checks(void) {
  atomic_store(&handled, 0);
  install(SIGUSR1, count_only, SA_RESETHAND, NULL);
  pthread_t thread;
  pthread_create(&thread, NULL, raise_in_thread, NULL);
  pthread_join(thread, NULL);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  printf("SA_RESETHAND, pthread_kill() in a thread: handler ran: %s, disposition seen from main after: %s\n",
         yes_no(atomic_load(&handled) == 1), now.sa_handler == SIG_DFL ? "SIG_DFL" : "still the handler");
}

/* ---- 4. the mask inside a handler ---- */

static int inside_usr1 = -1, inside_usr2 = -1, inside_hup = -1;

static void look_at_mask(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  (void)info;
  (void)context;
  sigset_t now;
  sigemptyset(&now);
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  inside_usr1 = sigismember(&now, SIGUSR1) == 1;
  inside_usr2 = sigismember(&now, SIGUSR2) == 1;
  inside_hup = sigismember(&now, SIGHUP) == 1;
  atomic_fetch_add(&handled, 1);
}

static int after_usr1 = -1, after_usr2 = -1;

static void *parked_reader_mask(void *arg) {
  (void)arg;
  atomic_store(&entering, 1);
  read_result = read(pair[0], &read_byte, 1);
  atomic_store(&returned, 1);
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  after_usr1 = sigismember(&now, SIGUSR1) == 1;
  after_usr2 = sigismember(&now, SIGUSR2) == 1;
  return NULL;
}

static void *send_usr1_when_parked(void *arg) {
  pthread_t target = *(pthread_t *)arg;
  wait_flag(&entering);
  nap_ms(50);
  pthread_kill(target, SIGUSR1);
  wait_handled(1);
  nap_ms(20);
  send(pair[1], "m", 1, 0);
  return NULL;
}

static void handler_mask_check(int flags, const char *what) {
  sigset_t usr2 = one(SIGUSR2);
  install(SIGUSR1, look_at_mask, SA_RESTART | flags, &usr2);
  atomic_store(&handled, 0);
  atomic_store(&entering, 0);
  atomic_store(&returned, 0);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  pthread_t thread, sender;
  pthread_create(&thread, NULL, parked_reader_mask, NULL);
  pthread_create(&sender, NULL, send_usr1_when_parked, &thread);
  pthread_join(thread, NULL);
  pthread_join(sender, NULL);
  close(pair[0]);
  close(pair[1]);
  printf("%s: inside the handler SIGUSR1 blocked: %s, SIGUSR2 (sa_mask) blocked: %s, SIGHUP blocked: %s; after it "
         "SIGUSR1 blocked: %s, SIGUSR2 blocked: %s; read: %s\n",
         what, yes_no(inside_usr1), yes_no(inside_usr2), yes_no(inside_hup), yes_no(after_usr1), yes_no(after_usr2),
         read_result == 1 ? "1 byte" : "no byte");
}

/* ---- 5. siglongjmp out of a handler that interrupted a read() ---- */

static sigjmp_buf jump_back;
static atomic_int jump_armed;

static void jump_out(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  (void)info;
  (void)context;
  atomic_fetch_add(&handled, 1);
  if (atomic_exchange(&jump_armed, 0)) {
    siglongjmp(jump_back, 1);
  }
}

static int jumped, after_jump_hup, after_jump_usr1, after_jump_usr2;
static ssize_t second_read;

static void *reader_that_jumps(void *arg) {
  int save_mask = arg != NULL;
  sigset_t hup = one(SIGHUP), before;
  pthread_sigmask(SIG_BLOCK, &hup, NULL);
  pthread_sigmask(SIG_BLOCK, NULL, &before);
  jumped = 0;
  if (sigsetjmp(jump_back, save_mask) == 0) {
    atomic_store(&jump_armed, 1);
    atomic_store(&entering, 1);
    char byte;
    read_result = read(pair[0], &byte, 1);
    atomic_store(&jump_armed, 0);
  } else {
    jumped = 1;
  }
  atomic_store(&returned, 1);
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  after_jump_hup = sigismember(&now, SIGHUP) == 1;
  after_jump_usr1 = sigismember(&now, SIGUSR1) == 1;
  after_jump_usr2 = sigismember(&now, SIGUSR2) == 1;
  pthread_sigmask(SIG_SETMASK, &before, NULL);
  /* The thread goes on: another read gets main's byte. */
  char byte = 0;
  second_read = read(pair[0], &byte, 1);
  return NULL;
}

static void longjmp_check(int save_mask) {
  sigset_t usr2 = one(SIGUSR2);
  install(SIGUSR1, jump_out, 0, &usr2);
  atomic_store(&handled, 0);
  atomic_store(&entering, 0);
  atomic_store(&returned, 0);
  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  pthread_t thread;
  pthread_create(&thread, NULL, reader_that_jumps, save_mask ? "save" : NULL);
  wait_flag(&entering);
  int sent = 0;
  for (int round = 0; round < 100 && !atomic_load(&returned); round++) {
    nap_ms(50);
    if (atomic_load(&returned)) {
      break;
    }
    pthread_kill(thread, SIGUSR1);
    sent++;
    for (int i = 0; i < 50 && !atomic_load(&returned) && atomic_load(&handled) < sent; i++) {
      nap_ms(1);
    }
    nap_ms(50);
  }
  wait_handled(sent);
  send(pair[1], "j", 1, 0);
  pthread_join(thread, NULL);
  close(pair[0]);
  close(pair[1]);
  printf("siglongjmp out of a handler (sa_mask SIGUSR2) that interrupted read(), sigsetjmp savemask %d: jumped: %s; after "
         "the jump SIGHUP blocked: %s, SIGUSR1 blocked: %s, SIGUSR2 blocked: %s; the next read got the byte: %s\n",
         save_mask, yes_no(jumped), yes_no(after_jump_hup), yes_no(after_jump_usr1), yes_no(after_jump_usr2),
         yes_no(second_read == 1));
}

/* ---- 6. a SIGALRM handler posts a semaphore two threads wait on ---- */

static sem_t alarm_semaphore;

static void post_twice(int signal_number, siginfo_t *info, void *context) {
  (void)signal_number;
  (void)info;
  (void)context;
  atomic_fetch_add(&handled, 1);
  sem_post(&alarm_semaphore);
  sem_post(&alarm_semaphore);
}

static int thread_sem_result = -2;

static void *sem_waiter(void *arg) {
  atomic_store(&entering, 1);
  thread_sem_result = sem_wait(&alarm_semaphore);
  return arg;
}

static void alarm_check(void) {
  /* setitimer() replaces alarm(20): until it is set again, a POSIX timer sending SIGKILL is the backstop. */
  timer_t backstop;
  struct sigevent event;
  memset(&event, 0, sizeof event);
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGKILL;
  timer_create(CLOCK_MONOTONIC, &event, &backstop);
  struct itimerspec in_15_s = {{0, 0}, {15, 0}};
  timer_settime(backstop, 0, &in_15_s, NULL);

  sem_init(&alarm_semaphore, 0, 0);
  install(SIGALRM, post_twice, SA_RESTART, NULL);
  atomic_store(&handled, 0);
  atomic_store(&entering, 0);
  pthread_t thread;
  pthread_create(&thread, NULL, sem_waiter, NULL);
  wait_flag(&entering);
  struct itimerval in_100_ms = {{0, 0}, {0, 100000}};
  setitimer(ITIMER_REAL, &in_100_ms, NULL);
  int main_result = sem_wait(&alarm_semaphore);
  pthread_join(thread, NULL);
  printf("SIGALRM from setitimer(), handler does sem_post() twice: handler ran once: %s, main's sem_wait: %d, the "
         "thread's sem_wait: %d\n",
         yes_no(atomic_load(&handled) == 1), main_result, thread_sem_result);

  signal(SIGALRM, SIG_DFL);
  alarm(20);
  timer_delete(backstop);
}

int main(void) {
  alarm(20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_thread = pthread_self();

  siginfo_checks();
  onstack_checks();
  resethand_checks();
  handler_mask_check(0, "handler with sa_mask SIGUSR2, thread parked in read()");
  handler_mask_check(SA_NODEFER, "handler with SA_NODEFER and sa_mask SIGUSR2, thread parked in read()");
  longjmp_check(1);
  longjmp_check(0);
  alarm_check();
  return 0;
}
