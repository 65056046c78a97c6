// context.cpp - makecontext frames, the switch dispatch, and every sanitizer fiber annotation.
#include "context.hpp"

#include "context_offsets.h"

#include <cstddef>
#include <cstring>
#include <pthread.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

extern "C" {
void sprig_context_switch(ucontext_t *from, const ucontext_t *to);
void sprig_context_entry();
}

namespace sprig {

// The assembly reads and writes these slots by the numbers in
// context_offsets.h; a glibc with another layout fails to compile here.
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_R12]) == SPRIG_UC_R12);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_R13]) == SPRIG_UC_R13);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_R14]) == SPRIG_UC_R14);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_R15]) == SPRIG_UC_R15);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RDI]) == SPRIG_UC_RDI);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RSI]) == SPRIG_UC_RSI);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RBP]) == SPRIG_UC_RBP);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RBX]) == SPRIG_UC_RBX);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP]) == SPRIG_UC_RSP);
static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]) == SPRIG_UC_RIP);
static_assert(offsetof(ucontext_t, __fpregs_mem.cwd) == SPRIG_UC_FPU_CW);
static_assert(offsetof(ucontext_t, __fpregs_mem.mxcsr) == SPRIG_UC_MXCSR);

namespace {

SwitchKind g_switch_kind = SwitchKind::kAssembly;

// The x87 environment and MXCSR a new context starts with: those of the
// process at the first context_make, as a new OS thread inherits them.
ucontext_t g_initial_fpu;
bool g_initial_fpu_ready = false;

void capture_initial_fpu() {
  if (!g_initial_fpu_ready) {
    getcontext(&g_initial_fpu);
    g_initial_fpu_ready = true;
  }
}

} // namespace

void context_select_switch(SwitchKind kind) { g_switch_kind = kind; }

SwitchKind context_switch_kind() { return g_switch_kind; }

void context_init_os_thread(Context &context) {
  memset(&context.uc, 0, sizeof context.uc);
  context.uc.uc_mcontext.fpregs = &context.uc.__fpregs_mem;
  context.stack_low = nullptr;
  context.stack_size = 0;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &context.stack_low, &context.stack_size);
    pthread_attr_destroy(&attr);
  }
#if defined(__SANITIZE_THREAD__)
  context.tsan_fiber = __tsan_get_current_fiber();
#endif
}

void context_make(Context &context, void *stack_low, size_t stack_size, uintptr_t entry_argument) {
  capture_initial_fpu();
  // Only the fields makecontext and the switches read are set: no getcontext,
  // which would cost a system call per green thread.
  context.uc.uc_link = nullptr;
  context.uc.uc_stack.ss_sp = stack_low;
  context.uc.uc_stack.ss_size = stack_size;
  context.uc.uc_stack.ss_flags = 0;
  context.uc.uc_mcontext.fpregs = &context.uc.__fpregs_mem;
  memcpy(&context.uc.__fpregs_mem, &g_initial_fpu.__fpregs_mem, sizeof context.uc.__fpregs_mem);
  context.uc.uc_sigmask = g_initial_fpu.uc_sigmask;
  auto lo = static_cast<unsigned>(entry_argument & 0xffffffffU);
  auto hi = static_cast<unsigned>(static_cast<uint64_t>(entry_argument) >> 32);
  makecontext(&context.uc, sprig_context_entry, 2, lo, hi);
  context.stack_low = stack_low;
  context.stack_size = stack_size;
#if defined(__SANITIZE_THREAD__)
  context.tsan_fiber = __tsan_create_fiber(0);
#endif
}

void context_destroy(Context &context) {
#if defined(__SANITIZE_THREAD__)
  if (context.tsan_fiber != nullptr) {
    __tsan_destroy_fiber(context.tsan_fiber);
    context.tsan_fiber = nullptr;
  }
#else
  (void)context;
#endif
}

void context_switch(Context &from, Context &to, bool from_is_done) {
#if defined(__SANITIZE_ADDRESS__)
  void *fake_stack = nullptr;
  __sanitizer_start_switch_fiber(from_is_done ? nullptr : &fake_stack, to.stack_low, to.stack_size);
#else
  (void)from_is_done;
#endif
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
  if (g_switch_kind == SwitchKind::kAssembly) {
    sprig_context_switch(&from.uc, &to.uc);
  } else {
    swapcontext(&from.uc, &to.uc);
  }
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

void context_on_entry() {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
}

} // namespace sprig
