/* cases_syscall.c - bad inputs to syscall(2)'s futex operations, which sprig parks green threads for, and a number it passes on. */
#include "bad_input.h"

#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A futex word holding 0, 4-aligned. */
static uint32_t *futex_word(void) {
  static uint32_t word;
  word = 0;
  return &word;
}

#define FUTEX(word, op, value, timeout, bitset)                                                    \
  syscall(SYS_futex, (word), (op), (value), (timeout), NULL, (bitset))
#define WAIT_BITSET (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define WAIT (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define WAKE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define WAKE_BITSET (FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)
#define ANY FUTEX_BITSET_MATCH_ANY

SYSCALL_CASE(syscall, futex_wait_null_word, FUTEX(OPAQUE((uint32_t *)NULL), WAIT, 0, NO_TIME, ANY))
SYSCALL_CASE(syscall, futex_wait_unmapped_word, FUTEX((uint32_t *)unmapped_page(), WAIT, 0, NO_TIME, ANY))
SYSCALL_CASE(syscall, futex_wait_unaligned_word,
             FUTEX((uint32_t *)((char *)futex_word() + 1), WAIT, 0, NO_TIME, ANY))
SYSCALL_CASE(syscall, futex_wait_value_differs, FUTEX(futex_word(), WAIT, 7, NO_TIME, ANY))
SYSCALL_CASE(syscall, futex_wait_unmapped_timeout, FUTEX(futex_word(), WAIT, 0, UNMAPPED_TIME, ANY))
SYSCALL_CASE(syscall, futex_wait_negative_sec, FUTEX(futex_word(), WAIT, 0, &kNegativeSec, ANY))
SYSCALL_CASE(syscall, futex_wait_nsec_too_big, FUTEX(futex_word(), WAIT, 0, &kNsecTooBig, ANY))
SYSCALL_CASE(syscall, futex_wait_bitset_passed_deadline,
             FUTEX(futex_word(), WAIT_BITSET, 0, &kPassed, ANY))
SYSCALL_CASE(syscall, futex_wait_bitset_realtime_passed,
             FUTEX(futex_word(), WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &kPassed, ANY))
SYSCALL_CASE(syscall, futex_wait_bitset_zero, FUTEX(futex_word(), WAIT_BITSET, 0, &kPassed, 0))
SYSCALL_CASE(syscall, futex_wait_bitset_nsec_negative,
             FUTEX(futex_word(), WAIT_BITSET, 0, &kNsecNegative, ANY))
SYSCALL_CASE(syscall, futex_wake_nobody, FUTEX(futex_word(), WAKE, 1, NO_TIME, ANY))
SYSCALL_CASE(syscall, futex_wake_negative_count, FUTEX(futex_word(), WAKE, -1, NO_TIME, ANY))
SYSCALL_CASE(syscall, futex_wake_null_word, FUTEX(OPAQUE((uint32_t *)NULL), WAKE, 1, NO_TIME, ANY))
SYSCALL_CASE(syscall, futex_wake_bitset_zero, FUTEX(futex_word(), WAKE_BITSET, 1, NO_TIME, 0))
SYSCALL_CASE(syscall, futex_bad_operation, FUTEX(futex_word(), OPAQUE(99), 0, NO_TIME, ANY))
SYSCALL_CASE(syscall, bad_number, syscall(OPAQUE(100000L)))
SYSCALL_CASE(syscall, getpid_passes_on, syscall(SYS_getppid) > 0)
