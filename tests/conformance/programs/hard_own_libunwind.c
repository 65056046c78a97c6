/* hard_own_libunwind.c - a program linked with its own libunwind walks its stack from pthreads and main (unw_step with unw_get_proc_name, and unw_backtrace): the frames of its own functions, up to the thread's start routine or main, and a clean end of the walk, as natively. */
/* sprig: green -lunwind */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kMaxFrames = 64 };

struct walk {
  char names[kMaxFrames][64];
  unw_word_t ips[kMaxFrames];
  int count;     /* frames up to and including the start routine */
  int total;     /* every frame the walk found */
  int end;       /* unw_step's last result: 0 at the end of the stack */
  int traced;    /* unw_backtrace's frame count */
  int traced_ok; /* unw_backtrace's addresses name the same functions */
};

static const char *const kStartRoutines[] = {"walker_thread", "sleepy_walker_thread", "main"};

static int is_start_routine(const char *name) {
  for (size_t i = 0; i < sizeof kStartRoutines / sizeof kStartRoutines[0]; i++) {
    if (strcmp(name, kStartRoutines[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

__attribute__((noinline)) static void take_walk(struct walk *walk) {
  unw_context_t context;
  unw_cursor_t cursor;
  unw_getcontext(&context);
  unw_init_local(&cursor, &context);
  int in_program = 1;
  walk->count = walk->total = 0;
  do {
    char name[64] = "?";
    unw_word_t offset = 0;
    if (unw_get_proc_name(&cursor, name, sizeof name, &offset) != 0) {
      snprintf(name, sizeof name, "?");
    }
    if (in_program && walk->count < kMaxFrames) {
      unw_get_reg(&cursor, UNW_REG_IP, &walk->ips[walk->count]);
      snprintf(walk->names[walk->count++], sizeof walk->names[0], "%s", name);
      in_program = !is_start_routine(name);
    }
    walk->total++;
    walk->end = unw_step(&cursor);
  } while (walk->end > 0 && walk->total < kMaxFrames);

  void *addresses[kMaxFrames];
  walk->traced = unw_backtrace(addresses, kMaxFrames);
  /* unw_backtrace starts in itself or in take_walk; from take_walk's caller on, its addresses are the walk's. */
  int first = -1;
  for (int i = 0; i < walk->traced && first < 0; i++) {
    if ((unw_word_t)addresses[i] == walk->ips[1]) {
      first = i;
    }
  }
  walk->traced_ok = first >= 0;
  for (int i = 1; first >= 0 && i < walk->count; i++) {
    if (first + i - 1 >= walk->traced || (unw_word_t)addresses[first + i - 1] != walk->ips[i]) {
      walk->traced_ok = 0;
    }
  }
}

__attribute__((noinline)) static void walk_level_three(struct walk *walk) {
  take_walk(walk);
  __asm__ volatile("" ::: "memory"); /* not a tail call */
}

__attribute__((noinline)) static void walk_level_two(struct walk *walk) {
  walk_level_three(walk);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void walk_level_one(struct walk *walk) {
  walk_level_two(walk);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void *walker_thread(void *arg) {
  walk_level_one(arg);
  __asm__ volatile("" ::: "memory");
  return NULL;
}

/* Parks first (a sleep), so the walk runs on a thread that was switched out and back. */
__attribute__((noinline)) static void *sleepy_walker_thread(void *arg) {
  usleep(20000);
  walk_level_two(arg);
  __asm__ volatile("" ::: "memory");
  return NULL;
}

static void print_walk(const char *who, const struct walk *walk) {
  printf("%s:", who);
  for (int i = 0; i < walk->count; i++) {
    printf(" %s", walk->names[i]);
  }
  printf("\n%s: the walk went past the start routine and ended cleanly: %s\n", who,
         walk->total > walk->count && walk->end == 0 ? "yes" : "no");
  printf("%s: unw_backtrace found the same frames: %s\n", who, walk->traced_ok ? "yes" : "no");
  printf("#nocompare %s: %d frames in all, unw_step ended with %d, unw_backtrace %d frames\n", who, walk->total,
         walk->end, walk->traced);
}

int main(void) {
  alarm(20);
  static struct walk walks[4];
  pthread_t threads[3];
  pthread_create(&threads[0], NULL, walker_thread, &walks[0]);
  pthread_create(&threads[1], NULL, sleepy_walker_thread, &walks[1]);
  pthread_create(&threads[2], NULL, sleepy_walker_thread, &walks[2]);
  for (int i = 0; i < 3; i++) {
    pthread_join(threads[i], NULL);
  }
  print_walk("thread", &walks[0]);
  print_walk("sleepy thread 1", &walks[1]);
  print_walk("sleepy thread 2", &walks[2]);
  walk_level_one(&walks[3]);
  print_walk("main", &walks[3]);
  return 0;
}
