// context.hpp - a green thread's saved registers and the one switch primitive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ucontext.h>

namespace sprig {

enum class SwitchKind : uint8_t {
  kAssembly, // sprig_context_switch: no system call (the default)
  kUcontext, // glibc swapcontext: a reference path, one rt_sigprocmask per switch
};

// One execution context. `uc` holds the registers while the context is not
// running; the stack bounds and sanitizer fiber exist for the annotations.
struct Context {
  ucontext_t uc;
  void *stack_low = nullptr; // lowest usable byte of the stack (nullptr: OS stack)
  size_t stack_size = 0;
  void *tsan_fiber = nullptr;
};

// Chooses the switch for the whole process; call before any switch.
void context_select_switch(SwitchKind kind);
SwitchKind context_switch_kind();

// Describes the calling OS thread's own stack as a context to switch back to.
void context_init_os_thread(Context &context);

// Builds the first frame of a context on [stack_low, stack_low + size): when
// first resumed it calls sprig_green_thread_main(lo, hi) where (hi << 32 | lo)
// is `entry_argument`.
void context_make(Context &context, void *stack_low, size_t stack_size, uintptr_t entry_argument);

// Releases sanitizer state of a context that will not run again. Must not be
// called on the running context.
void context_destroy(Context &context);

// Saves the running context into `from` and resumes `to`. With `from_is_done`
// the running context will never be resumed (its thread has exited).
// This is the only place that switches stacks, and with context_on_entry it is
// the only place that tells sanitizers about it.
void context_switch(Context &from, Context &to, bool from_is_done = false);

// Called first thing on a new context's stack, to finish the sanitizer switch.
void context_on_entry();

} // namespace sprig

extern "C" {
// Defined by the scheduler; the first C++ frame of every green thread.
[[noreturn]] void sprig_green_thread_main(uint32_t lo, uint32_t hi);
}
