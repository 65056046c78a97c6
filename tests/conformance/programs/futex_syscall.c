/* futex_syscall.c - futex(2) through syscall(2), as Rust's std and other runtimes wait: FUTEX_WAIT and FUTEX_WAIT_BITSET time out (relative, absolute monotonic, absolute realtime) while a witness thread keeps ticking, a changed word is EAGAIN, 4 waiters are all woken by one FUTEX_WAKE, a bitset wake wakes only its bits, and a condition built on the word passes 2,000 hand-offs between two threads. */
/* sprig: green */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int ticks;
static atomic_int stop_witness;

static long futex(_Atomic uint32_t *word, int op, uint32_t value, const struct timespec *timeout,
                  uint32_t bitset) {
  return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, value, timeout, NULL, bitset);
}

static void *witness(void *unused) {
  (void)unused;
  while (!atomic_load(&stop_witness)) {
    atomic_fetch_add(&ticks, 1);
    usleep(2000);
  }
  return NULL;
}

static const char *outcome(long rc) {
  static char text[64];
  if (rc == 0) {
    return "0";
  }
  snprintf(text, sizeof text, "-1 %s", strerrorname_np(errno));
  return text;
}

static struct timespec in_ms(clockid_t clock, long ms) {
  struct timespec at;
  clock_gettime(clock, &at);
  at.tv_nsec += ms * 1000000L;
  at.tv_sec += at.tv_nsec / 1000000000L;
  at.tv_nsec %= 1000000000L;
  return at;
}

/* A timed wait of 100 ms: what it returns, and whether the witness ticked meanwhile. */
static void timed(const char *label, int op, const struct timespec *timeout) {
  static _Atomic uint32_t word;
  int before = atomic_load(&ticks);
  long rc = futex(&word, op, 0, timeout, FUTEX_BITSET_MATCH_ANY);
  printf("%s: %s, the witness ticked meanwhile: %s\n", label, outcome(rc),
         atomic_load(&ticks) > before + 2 ? "yes" : "no");
}

static _Atomic uint32_t gate;
static atomic_int woken;

static void *gate_waiter(void *unused) {
  (void)unused;
  while (atomic_load(&gate) == 0) {
    futex(&gate, FUTEX_WAIT, 0, NULL, 0);
  }
  atomic_fetch_add(&woken, 1);
  return NULL;
}

/* A binary hand-off: `turn` says whose turn it is; each side waits on it. */
static _Atomic uint32_t turn;
enum { ROUNDS = 1000 };

static void *ping(void *side_pointer) {
  uint32_t side = (uint32_t)(uintptr_t)side_pointer;
  for (int round = 0; round < ROUNDS; round++) {
    uint32_t seen;
    while ((seen = atomic_load(&turn)) != side) {
      futex(&turn, FUTEX_WAIT, seen, NULL, 0);
    }
    atomic_store(&turn, 1 - side);
    futex(&turn, FUTEX_WAKE, 1, NULL, 0);
  }
  return NULL;
}

static _Atomic uint32_t bits_word;
static atomic_int bit_done[2];

static void *bit_waiter(void *index_pointer) {
  int index = (int)(intptr_t)index_pointer;
  struct timespec deadline = in_ms(CLOCK_MONOTONIC, 3000);
  long rc = futex(&bits_word, FUTEX_WAIT_BITSET, 0, &deadline, 1u << index);
  atomic_store(&bit_done[index], rc == 0 ? 1 : 2);
  return NULL;
}

int main(void) {
  alarm(20);
  pthread_t witness_thread;
  pthread_create(&witness_thread, NULL, witness, NULL);
  usleep(5000);

  struct timespec relative = {0, 100000000L};
  timed("FUTEX_WAIT, 100 ms relative", FUTEX_WAIT, &relative);
  struct timespec monotonic = in_ms(CLOCK_MONOTONIC, 100);
  timed("FUTEX_WAIT_BITSET, 100 ms absolute monotonic", FUTEX_WAIT_BITSET, &monotonic);
  struct timespec realtime = in_ms(CLOCK_REALTIME, 100);
  timed("FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 100 ms absolute", FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME,
        &realtime);

  static _Atomic uint32_t changed = 5;
  printf("FUTEX_WAIT on a word that is not the value: %s\n", outcome(futex(&changed, FUTEX_WAIT, 4, NULL, 0)));
  printf("FUTEX_WAKE with nobody waiting: %ld\n", futex(&changed, FUTEX_WAKE, INT_MAX, NULL, 0));

  pthread_t waiters[4];
  for (int i = 0; i < 4; i++) {
    pthread_create(&waiters[i], NULL, gate_waiter, NULL);
  }
  usleep(20000);
  atomic_store(&gate, 1);
  long total = 0;
  for (int tries = 0; atomic_load(&woken) < 4 && tries < 1000; tries++) {
    total += futex(&gate, FUTEX_WAKE, INT_MAX, NULL, 0);
    usleep(1000);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(waiters[i], NULL);
  }
  printf("4 waiters on one word: %d woken, the wakes counted at most 4: %s\n", atomic_load(&woken),
         total <= 4 ? "yes" : "no");

  pthread_t bit_threads[2];
  for (intptr_t i = 0; i < 2; i++) {
    pthread_create(&bit_threads[i], NULL, bit_waiter, (void *)i);
  }
  usleep(20000);
  for (int tries = 0; atomic_load(&bit_done[1]) == 0 && tries < 1000; tries++) {
    futex(&bits_word, FUTEX_WAKE_BITSET, INT_MAX, NULL, 1u << 1);
    usleep(1000);
  }
  usleep(20000);
  printf("a FUTEX_WAKE_BITSET for bit 1: waiter on bit 1 %s, waiter on bit 0 %s\n",
         atomic_load(&bit_done[1]) == 1 ? "woken" : "not woken",
         atomic_load(&bit_done[0]) == 0 ? "still waiting" : "returned");
  futex(&bits_word, FUTEX_WAKE_BITSET, INT_MAX, NULL, 1u << 0);
  for (int i = 0; i < 2; i++) {
    pthread_join(bit_threads[i], NULL);
  }

  pthread_t sides[2];
  for (intptr_t side = 0; side < 2; side++) {
    pthread_create(&sides[side], NULL, ping, (void *)side);
  }
  for (int side = 0; side < 2; side++) {
    pthread_join(sides[side], NULL);
  }
  printf("%d hand-offs through the futex word: done\n", 2 * ROUNDS);

  atomic_store(&stop_witness, 1);
  pthread_join(witness_thread, NULL);
  return 0;
}
