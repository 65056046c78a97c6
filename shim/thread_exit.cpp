// thread_exit.cpp - pthread_exit on a green thread unwinds its stack as glibc does natively:
// pthread_cleanup_push handlers and C++ destructors run, innermost first.
//
// How
//   A forced unwind (_Unwind_ForcedUnwind, from libgcc_s, the unwinder C++
//   programs already use and the one glibc loads for the same job) walks up
//   the green stack from pthread_exit. C++ destructors, the
//   pthread_cleanup_push of C++ and of C built with -fexceptions, and
//   __attribute__((cleanup)) run as landing pads.
//
//   C built without exceptions registers its pthread_cleanup_push handlers
//   as setjmp buffers (__pthread_register_cancel), which glibc links from the
//   OS thread's descriptor. sprig takes those calls over so the chain belongs
//   to the green thread (GreenThread::cleanup_buffers). When the unwind
//   reaches the frame that registered the innermost buffer, the stop function
//   longjmps into it; the macro runs the handler and calls
//   __pthread_unwind_next, which pops the buffer and starts the unwind again
//   from there. The same test as glibc's decides "reached": the frame's CFA
//   is at or above the stack pointer the buffer saved.
//
//   The unwind ends at the entry trampoline, whose CFI marks the end of the
//   stack (context_switch_x86_64.S); the thread then exits as a return from
//   its start function does (key destructors, then join).
//
// Invariants
//   - The _Unwind_Exception lives in the GreenThread record, not on the
//     stack: landing pads reuse the frames below them.
//   - An exiting thread cannot be cancelled again (cancel_disabled).
//
// Rejected
//   - Ending the thread at once (sprig before this file): no handler, no
//     destructor ran. Running the buffered handlers without unwinding: C++
//     destructors still would not run, and handlers would run below frames
//     that are already dead.
//   - glibc's own __pthread_unwind: it unwinds to the jmp_buf start_thread
//     set up for the OS thread, which a green thread does not have.
#include "call_counts.hpp"
#include "cancel.hpp"
#include "real.hpp"
#include "shim.hpp"
#include "sys.hpp"
#include "worker.hpp"

#include <csetjmp>
#include <cstdint>
#include <dlfcn.h>
#include <new>
#include <unistd.h>
#include <unwind.h>

using sprig::GreenThread;
using sprig::Worker;

namespace sprig::shim {

namespace {

using ForcedUnwindFunction = _Unwind_Reason_Code (*)(_Unwind_Exception *, _Unwind_Stop_Fn, void *);
using GetCfaFunction = _Unwind_Word (*)(_Unwind_Context *);

struct Unwinder {
  ForcedUnwindFunction forced_unwind = nullptr;
  GetCfaFunction get_cfa = nullptr;
};

// libgcc_s, loaded on the first exit as glibc loads it; a C++ program has it
// already, and gets the same copy back.
const Unwinder &unwinder() {
  static Unwinder found;
  // 0: not looked, 1: a thread is looking (another worker's waits), 2: done.
  static std::atomic<int> looked{0};
  if (looked.load(std::memory_order_acquire) == 2) {
    return found;
  }
  if (int expected = 0; !looked.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
    while (looked.load(std::memory_order_acquire) != 2) {
      __builtin_ia32_pause();
    }
    return found;
  }
  {
    void *library = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library != nullptr) {
      found.forced_unwind =
          reinterpret_cast<ForcedUnwindFunction>(dlsym(library, "_Unwind_ForcedUnwind"));
      found.get_cfa = reinterpret_cast<GetCfaFunction>(dlsym(library, "_Unwind_GetCFA"));
    }
  }
  looked.store(2, std::memory_order_release);
  return found;
}

// glibc keeps its links in the buffer's padding (nptl/descr.h: prev, cleanup,
// canceltype); sprig uses the same slots for the same things.
constexpr int kPreviousSlot = 0;
constexpr int kCancelTypeSlot = 2;
// x86-64 glibc jmp_buf: rbx, rbp, r12-r15, rsp, pc; rsp is pointer-mangled.
constexpr int kJmpBufStackPointer = 6;

__pthread_unwind_buf_t *previous_of(__pthread_unwind_buf_t *buffer) {
  return static_cast<__pthread_unwind_buf_t *>(buffer->__pad[kPreviousSlot]);
}

// The stack pointer __sigsetjmp saved, demangled: glibc stores it rotated
// and xored with the pointer guard in the thread control block (fs:0x30).
uintptr_t saved_stack_pointer(const __pthread_unwind_buf_t *buffer) {
  auto mangled =
      static_cast<uintptr_t>(buffer->__cancel_jmp_buf[0].__cancel_jmp_buf[kJmpBufStackPointer]);
  uintptr_t guard = 0;
  asm("mov %%fs:0x30, %0" : "=r"(guard));
  return ((mangled >> 17) | (mangled << 47)) ^ guard;
}

// Called for each frame before its landing pads run, and at the end of the stack.
_Unwind_Reason_Code stop_at_cleanup_buffer(int /*version*/, _Unwind_Action actions,
                                           _Unwind_Exception_Class /*exception_class*/,
                                           _Unwind_Exception * /*exception*/,
                                           _Unwind_Context *context, void *argument) {
  auto *self = static_cast<GreenThread *>(argument);
  if ((actions & _UA_END_OF_STACK) != 0) {
    Worker::current()->exit_running(self->exit_value);
  }
  auto *buffer = static_cast<__pthread_unwind_buf_t *>(self->cleanup_buffers);
  GetCfaFunction get_cfa = unwinder().get_cfa; // not null: checked before the unwind began
  if (buffer != nullptr && get_cfa != nullptr && get_cfa(context) >= saved_stack_pointer(buffer)) {
    self->cleanup_buffers = previous_of(buffer);
    // Back into pthread_cleanup_push's __sigsetjmp (saved without the signal
    // mask, so longjmp leaves the mask alone), which runs the handler.
    longjmp(reinterpret_cast<__jmp_buf_tag *>(buffer->__cancel_jmp_buf), 1);
  }
  return _URC_NO_REASON;
}

// A catch (...) that ended without rethrowing the unwind: glibc's words and fate.
void exit_unwind_swallowed(_Unwind_Reason_Code /*reason*/, _Unwind_Exception * /*exception*/) {
  static const char kMessage[] = "FATAL: exception not rethrown\n";
  // The raw system call: libsprig.so's own write export could park.
  if (sys::write(STDERR_FILENO, kMessage, sizeof kMessage - 1) < 0) {
    abort();
  }
  abort();
}

constexpr _Unwind_Exception_Class kExitExceptionClass = 0x5350524745584954; // "SPRGEXIT"

// Unwinds from the caller's frame up to the next cleanup buffer or the end of
// the stack; never returns.
[[noreturn]] void unwind_and_exit(GreenThread *self) {
  static_assert(sizeof(_Unwind_Exception) <= sizeof self->unwind_exception);
  static_assert(alignof(_Unwind_Exception) <= 16);
  const Unwinder &found = unwinder();
  if (found.forced_unwind != nullptr && found.get_cfa != nullptr) {
    auto *exception = new (self->unwind_exception) _Unwind_Exception{};
    exception->exception_class = kExitExceptionClass;
    exception->exception_cleanup = exit_unwind_swallowed;
    found.forced_unwind(exception, stop_at_cleanup_buffer, self);
  }
  // No libgcc_s, or a frame without unwind information stopped the unwind:
  // the thread ends here, without the handlers above this frame.
  Worker::current()->exit_running(self->exit_value);
}

} // namespace

void exit_green_thread(GreenThread *self, void *value) {
  self->exiting = true;
  self->cancel_disabled = true;
  self->exit_value = value;
  unwind_and_exit(self);
}

void __pthread_register_cancel(__pthread_unwind_buf_t *buffer) {
  GreenThread *self = Worker::current_thread();
  buffer->__pad[kPreviousSlot] = self->cleanup_buffers;
  self->cleanup_buffers = buffer;
}

void __pthread_unregister_cancel(__pthread_unwind_buf_t *buffer) {
  Worker::current_thread()->cleanup_buffers = previous_of(buffer);
}

// pthread_cleanup_push_defer_np: also switches to deferred cancellation
// until the matching pop restores the old type.
void __pthread_register_cancel_defer(__pthread_unwind_buf_t *buffer) {
  GreenThread *self = Worker::current_thread();
  sprig::shim::__pthread_register_cancel(buffer);
  buffer->__pad[kCancelTypeSlot] =
      reinterpret_cast<void *>(static_cast<intptr_t>(self->cancel_asynchronous));
  self->cancel_asynchronous = false;
}

void __pthread_unregister_cancel_restore(__pthread_unwind_buf_t *buffer) {
  GreenThread *self = Worker::current_thread();
  sprig::shim::__pthread_unregister_cancel(buffer);
  self->cancel_asynchronous = buffer->__pad[kCancelTypeSlot] != nullptr;
  if (self->cancel_asynchronous) {
    act_on_pending_cancel(self);
  }
}

} // namespace sprig::shim

// These never return, so they are written out instead of generated.
extern "C" __attribute__((visibility("default"))) void pthread_exit(void *retval) {
  sprig::shim::count_green_call(sprig::shim::kCall_pthread_exit);
  if (GreenThread *self = Worker::current_thread(); self != nullptr) {
    sprig::shim::exit_green_thread(self, retval);
  }
  sprig::real::resolved(sprig::real::pthread_exit)(retval);
  __builtin_unreachable();
}

// The end of a pthread_cleanup_push handler that an unwind longjmped into:
// go on unwinding with the next buffer out.
// The parameter keeps glibc's name, as its declaration in pthread.h.
extern "C" __attribute__((visibility("default"))) void
__pthread_unwind_next(__pthread_unwind_buf_t *__buf) {
  if (GreenThread *self = Worker::current_thread(); self != nullptr) {
    self->cleanup_buffers = sprig::shim::previous_of(__buf);
    sprig::shim::unwind_and_exit(self);
  }
  sprig::real::resolved(sprig::real::__pthread_unwind_next)(__buf);
  __builtin_unreachable();
}
