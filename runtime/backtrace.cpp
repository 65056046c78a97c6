// backtrace.cpp - symbolised backtraces of parked green threads, through libunwind loaded on
// demand.
//
// libunwind.so.8 exports the _Unwind_* functions C++ exceptions use. Linked
// normally it could take over exception unwinding for the whole program, so
// it is dlopen'ed with RTLD_LOCAL the first time a backtrace is asked for,
// and its functions are reached only through the pointers below.
#include "api_common.hpp"
#include "sprig.h"

#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <libunwind.h>

using sprig::GreenThread;
using sprig::Worker;

namespace {

struct Libunwind {
  int (*init_local)(unw_cursor_t *, unw_context_t *);
  int (*step)(unw_cursor_t *);
  int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
  int (*get_proc_name)(unw_cursor_t *, char *, size_t, unw_word_t *);
};

// unw_init_local & co. are macros for these architecture-specific names.
const Libunwind *load_libunwind() {
  static Libunwind functions;
  static int state = 0; // 0 untried, 1 loaded, -1 unavailable
  if (state == 0) {
    void *library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    state = -1;
    if (library != nullptr) {
      functions.init_local =
          reinterpret_cast<decltype(functions.init_local)>(dlsym(library, "_ULx86_64_init_local"));
      functions.step = reinterpret_cast<decltype(functions.step)>(dlsym(library, "_ULx86_64_step"));
      functions.get_reg =
          reinterpret_cast<decltype(functions.get_reg)>(dlsym(library, "_ULx86_64_get_reg"));
      functions.get_proc_name = reinterpret_cast<decltype(functions.get_proc_name)>(
          dlsym(library, "_ULx86_64_get_proc_name"));
      if (functions.init_local != nullptr && functions.step != nullptr &&
          functions.get_reg != nullptr && functions.get_proc_name != nullptr) {
        state = 1;
      }
    }
  }
  return state == 1 ? &functions : nullptr;
}

constexpr int kMaxFrames = 64;

} // namespace

int sprig_backtrace(sprig_thread_t thread, char *buf, size_t len) {
  if (buf == nullptr || len == 0) {
    return -EINVAL;
  }
  Worker *worker = Worker::current();
  GreenThread *target = worker == nullptr ? nullptr : worker->find(thread);
  if (target == nullptr || target->state == sprig::ThreadState::kExited) {
    return -ESRCH;
  }
  if (target == Worker::current_thread()) {
    return -EBUSY;
  }
  const Libunwind *unwind = load_libunwind();
  if (unwind == nullptr) {
    return -ENOSYS;
  }
  // What unw_init_local reads of a parked context: rip, rsp and the
  // callee-saved registers, in glibc's ucontext_t slots.
  ucontext_t snapshot;
  sprig::context_snapshot(target->context, &snapshot);
  unw_cursor_t cursor;
  if (unwind->init_local(&cursor, &snapshot) != 0) {
    return -ENOSYS;
  }
  size_t used = 0;
  buf[0] = '\0';
  int frames = 0;
  do {
    unw_word_t ip = 0;
    unw_word_t offset = 0;
    char name[256];
    unwind->get_reg(&cursor, UNW_REG_IP, &ip);
    if (ip == 0) {
      break;
    }
    if (unwind->get_proc_name(&cursor, name, sizeof name, &offset) != 0) {
      strcpy(name, "??");
    }
    int wrote = snprintf(buf + used, len - used, "#%d 0x%016lx %s+0x%lx\n", frames,
                         static_cast<unsigned long>(ip), name, static_cast<unsigned long>(offset));
    if (wrote < 0 || static_cast<size_t>(wrote) >= len - used) {
      break;
    }
    used += static_cast<size_t>(wrote);
    ++frames;
  } while (frames < kMaxFrames && unwind->step(&cursor) > 0);
  return frames;
}
