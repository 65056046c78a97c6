// context.hpp - a green thread's saved registers and the one switch primitive.
//
// Two switches exist, chosen once per process (SPRIG_SWITCH):
//   kAssembly  sprig_context_switch (context_switch_x86_64.S). The callee-saved
//              registers, MXCSR and the x87 control word are pushed on the
//              stack being left; the Context keeps only that stack pointer.
//   kUcontext  glibc swapcontext, a reference path (one rt_sigprocmask per
//              switch). Its ucontext_t lives at the top of the thread's own
//              stack (the scheduler's: in the Worker), not in the record.
// The record therefore carries 40 bytes of context instead of a 936-byte
// ucontext_t, and a switch touches one word of it (`sp`), next to the other
// hot fields of GreenThread, and the top lines of the resumed stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ucontext.h>

namespace sprig {

enum class SwitchKind : uint8_t {
  kAssembly, // sprig_context_switch: no system call (the default)
  kUcontext, // glibc swapcontext: a reference path, one rt_sigprocmask per switch
};

// One execution context. `sp` (kAssembly) or `uc` (kUcontext) holds the
// registers while the context is not running; the stack bounds and the
// sanitizer fiber exist for the annotations.
struct Context {
  void *sp = nullptr;        // the saved frame, see context_switch_x86_64.S
  void *stack_low = nullptr; // lowest usable byte of the stack (nullptr: OS stack)
  size_t stack_size = 0;
  ucontext_t *uc = nullptr; // kUcontext only
  void *tsan_fiber = nullptr;
};

// The process's switch; set by context_select_switch before any switch.
// Hidden and inline: the switch tests it with one PC-relative load.
inline SwitchKind g_switch_kind = SwitchKind::kAssembly;

// Chooses the switch for the whole process; call before any switch.
void context_select_switch(SwitchKind kind);
SwitchKind context_switch_kind();

// Describes the calling OS thread's own stack as a context to switch back to.
// `uc_storage` holds its registers under the ucontext switch.
void context_init_os_thread(Context &context, ucontext_t *uc_storage);

// Builds the first frame of a context on [stack_low, stack_low + size): when
// first resumed it calls sprig_green_thread_main(lo, hi) where (hi << 32 | lo)
// is `entry_argument`.
void context_make(Context &context, void *stack_low, size_t stack_size, size_t top_gap,
                  uintptr_t entry_argument);

// Releases sanitizer state of a context that will not run again. Must not be
// called on the running context.
void context_destroy(Context &context);

// The registers of a context that is not running, as glibc's ucontext_t
// (what libunwind's unw_init_local reads): rip, rsp and the callee-saved ones.
void context_snapshot(const Context &context, ucontext_t *snapshot);

// The switch with sanitizer annotations, or through swapcontext (context.cpp).
void context_switch_annotated(Context &from, Context &to, bool from_is_done);

} // namespace sprig

extern "C" {
// Saves the running context's callee-saved registers and FPU control words on
// its stack, stores that stack pointer in *from_sp, and resumes the frame at
// to_sp (context_switch_x86_64.S).
void sprig_context_switch(void **from_sp, void *to_sp);
// Defined by the scheduler; the first C++ frame of every green thread.
[[noreturn]] void sprig_green_thread_main(uint32_t lo, uint32_t hi);
}

namespace sprig {

// Saves the running context into `from` and resumes `to`. With `from_is_done`
// the running context will never be resumed (its thread has exited).
// This and context_on_entry are the only places that switch stacks, and the
// sanitizer annotations they need all live in context.cpp. Inline: without
// sanitizers the default switch is one call of the assembly.
inline void context_switch(Context &from, Context &to, bool from_is_done = false) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  context_switch_annotated(from, to, from_is_done);
#else
  if (g_switch_kind == SwitchKind::kAssembly) [[likely]] {
    sprig_context_switch(&from.sp, to.sp);
  } else {
    context_switch_annotated(from, to, from_is_done);
  }
#endif
}

// Called first thing on a new context's stack, to finish the sanitizer switch.
void context_on_entry();

} // namespace sprig
