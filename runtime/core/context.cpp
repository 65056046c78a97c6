// context.cpp - first frames, backtrace snapshots, the ucontext switch, and every sanitizer fiber
// annotation.
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
void sprig_context_start();
void sprig_context_entry_uc();
}

namespace sprig {

namespace {

// What sprig_context_switch leaves at a parked context's sp.
struct SavedFrame {
  uint32_t mxcsr;
  uint16_t x87_control;
  uint16_t unused;
  uint64_t r15;
  uint64_t r14;
  uint64_t r13;
  uint64_t r12;
  uint64_t rbx;
  uint64_t rbp;
  uint64_t rip;
};

// The assembly reads and writes these slots by the numbers in
// context_offsets.h; a mismatch fails to compile here.
static_assert(offsetof(SavedFrame, mxcsr) == SPRIG_FRAME_MXCSR);
static_assert(offsetof(SavedFrame, x87_control) == SPRIG_FRAME_X87_CW);
static_assert(offsetof(SavedFrame, r15) == SPRIG_FRAME_R15);
static_assert(offsetof(SavedFrame, r14) == SPRIG_FRAME_R14);
static_assert(offsetof(SavedFrame, r13) == SPRIG_FRAME_R13);
static_assert(offsetof(SavedFrame, r12) == SPRIG_FRAME_R12);
static_assert(offsetof(SavedFrame, rbx) == SPRIG_FRAME_RBX);
static_assert(offsetof(SavedFrame, rbp) == SPRIG_FRAME_RBP);
static_assert(offsetof(SavedFrame, rip) == SPRIG_FRAME_RIP);
static_assert(sizeof(SavedFrame) == SPRIG_FRAME_SIZE);

// The x87 environment and MXCSR a new context starts with: those of the
// process at the first context_make, as a new OS thread inherits them.
ucontext_t g_initial_fpu;
bool g_initial_fpu_ready = false;

[[gnu::noinline]] void capture_initial_fpu() {
  getcontext(&g_initial_fpu);
  g_initial_fpu_ready = true;
}

char *align_down(char *address, size_t alignment) {
  return reinterpret_cast<char *>(reinterpret_cast<uintptr_t>(address) & ~(alignment - 1));
}

void make_assembly_frame(Context &context, char *stack_top, uintptr_t entry_argument) {
  // After the frame's `ret`, rsp is stack_top: 16-aligned, as a call wants it.
  auto *frame = reinterpret_cast<SavedFrame *>(align_down(stack_top, 16)) - 1;
  // Every field written, none twice: this runs once per spawn.
  frame->mxcsr = g_initial_fpu.__fpregs_mem.mxcsr;
  frame->x87_control = g_initial_fpu.__fpregs_mem.cwd;
  frame->unused = 0;
  frame->r15 = 0;
  frame->r14 = 0;
  frame->r13 = static_cast<uint64_t>(entry_argument) >> 32;
  frame->r12 = entry_argument & 0xffffffffU;
  frame->rbx = 0;
  frame->rbp = 0;
  frame->rip = reinterpret_cast<uintptr_t>(sprig_context_start);
  context.sp = frame;
  context.uc = nullptr;
}

[[gnu::noinline]] void make_ucontext_frame(Context &context, void *stack_low, char *stack_top,
                                           uintptr_t entry_argument) {
  // The ucontext_t sits at the top of the stack it describes; makecontext
  // gets the rest.
  auto *uc = reinterpret_cast<ucontext_t *>(align_down(stack_top - sizeof(ucontext_t), 64));
  // Only the fields makecontext and swapcontext read are set: no getcontext,
  // which would cost a system call per green thread.
  uc->uc_link = nullptr;
  uc->uc_stack.ss_sp = stack_low;
  uc->uc_stack.ss_size =
      static_cast<size_t>(reinterpret_cast<char *>(uc) - static_cast<char *>(stack_low));
  uc->uc_stack.ss_flags = 0;
  uc->uc_mcontext.fpregs = &uc->__fpregs_mem;
  memcpy(&uc->__fpregs_mem, &g_initial_fpu.__fpregs_mem, sizeof uc->__fpregs_mem);
  uc->uc_sigmask = g_initial_fpu.uc_sigmask;
  auto lo = static_cast<unsigned>(entry_argument & 0xffffffffU);
  auto hi = static_cast<unsigned>(static_cast<uint64_t>(entry_argument) >> 32);
  makecontext(uc, sprig_context_entry_uc, 2, lo, hi);
  context.uc = uc;
  context.sp = nullptr;
}

} // namespace

void context_select_switch(SwitchKind kind) { g_switch_kind = kind; }

SwitchKind context_switch_kind() { return g_switch_kind; }

void context_init_os_thread(Context &context, ucontext_t *uc_storage) {
  memset(uc_storage, 0, sizeof *uc_storage);
  uc_storage->uc_mcontext.fpregs = &uc_storage->__fpregs_mem;
  context.sp = nullptr;
  context.uc = uc_storage;
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

void context_make(Context &context, void *stack_low, size_t stack_size, size_t top_gap,
                  uintptr_t entry_argument) {
  if (!g_initial_fpu_ready) [[unlikely]] {
    capture_initial_fpu();
  }
  char *stack_top = static_cast<char *>(stack_low) + stack_size - top_gap;
  if (g_switch_kind == SwitchKind::kAssembly) [[likely]] {
    make_assembly_frame(context, stack_top, entry_argument);
  } else {
    make_ucontext_frame(context, stack_low, stack_top, entry_argument);
  }
  context.stack_low = stack_low;
  context.stack_size = stack_size;
#if defined(__SANITIZE_THREAD__)
  context.tsan_fiber = __tsan_create_fiber(0);
#endif
}

void context_destroy(Context &context) {
  context.sp = nullptr;
  context.uc = nullptr;
#if defined(__SANITIZE_THREAD__)
  if (context.tsan_fiber != nullptr) {
    __tsan_destroy_fiber(context.tsan_fiber);
    context.tsan_fiber = nullptr;
  }
#endif
}

void context_snapshot(const Context &context, ucontext_t *snapshot) {
  if (context.uc != nullptr) {
    *snapshot = *context.uc;
    snapshot->uc_mcontext.fpregs = &snapshot->__fpregs_mem;
    return;
  }
  memset(snapshot, 0, sizeof *snapshot);
  snapshot->uc_mcontext.fpregs = &snapshot->__fpregs_mem;
  if (context.sp == nullptr) {
    return;
  }
  SavedFrame frame;
  memcpy(&frame, context.sp, sizeof frame);
  greg_t *gregs = snapshot->uc_mcontext.gregs;
  gregs[REG_R12] = static_cast<greg_t>(frame.r12);
  gregs[REG_R13] = static_cast<greg_t>(frame.r13);
  gregs[REG_R14] = static_cast<greg_t>(frame.r14);
  gregs[REG_R15] = static_cast<greg_t>(frame.r15);
  gregs[REG_RBX] = static_cast<greg_t>(frame.rbx);
  gregs[REG_RBP] = static_cast<greg_t>(frame.rbp);
  gregs[REG_RIP] = static_cast<greg_t>(frame.rip);
  uintptr_t resumed_rsp = reinterpret_cast<uintptr_t>(context.sp) + sizeof frame;
  gregs[REG_RSP] = static_cast<greg_t>(resumed_rsp);
  snapshot->__fpregs_mem.cwd = frame.x87_control;
  snapshot->__fpregs_mem.mxcsr = frame.mxcsr;
}

void context_switch_annotated(Context &from, Context &to, bool from_is_done) {
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
    sprig_context_switch(&from.sp, to.sp);
  } else {
    swapcontext(from.uc, to.uc);
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
