// backtrace.cpp - stacks of green threads through libunwind loaded on demand, and sprig_backtrace.
//
// libunwind.so.8 exports the _Unwind_* functions C++ exceptions use. Linked
// normally it could take over exception unwinding for the whole program, so
// it is dlopen'ed with RTLD_LOCAL the first time a backtrace is asked for,
// and its functions are reached only through the pointers below.
#include "backtrace.hpp"

#include "api_common.hpp"
#include "sprig.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>

using sprig::GreenThread;
using sprig::Worker;

namespace sprig {

namespace {

struct Libunwind {
  int (*init_local)(unw_cursor_t *, unw_context_t *);
  int (*init_local2)(unw_cursor_t *, unw_context_t *, int); // may be missing (libunwind < 1.3)
  int (*step)(unw_cursor_t *);
  int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
  int (*get_proc_name)(unw_cursor_t *, char *, size_t, unw_word_t *);
};

Libunwind g_unwind;
// 0 untried, 1 loaded, -1 unavailable. Written before any signal handler
// that reads it can run (the handlers' users load it first).
volatile int g_unwind_state = 0;

template <typename Function> void look_up(void *library, const char *name, Function *function) {
  *function = reinterpret_cast<Function>(dlsym(library, name));
}

} // namespace

// unw_init_local & co. are macros for these architecture-specific names.
bool unwinder_load() {
  if (g_unwind_state == 0) {
    void *library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    g_unwind_state = -1;
    if (library != nullptr) {
      look_up(library, "_ULx86_64_init_local", &g_unwind.init_local);
      look_up(library, "_ULx86_64_init_local2", &g_unwind.init_local2);
      look_up(library, "_ULx86_64_step", &g_unwind.step);
      look_up(library, "_ULx86_64_get_reg", &g_unwind.get_reg);
      look_up(library, "_ULx86_64_get_proc_name", &g_unwind.get_proc_name);
      if (g_unwind.init_local != nullptr && g_unwind.step != nullptr &&
          g_unwind.get_reg != nullptr && g_unwind.get_proc_name != nullptr) {
        g_unwind_state = 1;
      }
    }
  }
  return g_unwind_state == 1;
}

bool unwinder_loaded() { return g_unwind_state == 1; }

int backtrace_ends(const ucontext_t &context, bool signal_frame, uintptr_t *inner, int inner_max,
                   int *inner_count, uintptr_t *outer, int outer_max, long *total) {
  *inner_count = 0;
  *total = 0;
  if (g_unwind_state != 1) {
    return -ENOSYS;
  }
  // A parked context holds exactly what unw_init_local reads: rip, rsp and
  // the callee-saved registers, in glibc's ucontext_t slots. The copy keeps
  // libunwind from writing into the thread's own.
  ucontext_t snapshot = context;
  unw_cursor_t cursor;
  int rc = signal_frame && g_unwind.init_local2 != nullptr
               ? g_unwind.init_local2(&cursor, &snapshot, UNW_INIT_SIGNAL_FRAME)
               : g_unwind.init_local(&cursor, &snapshot);
  if (rc != 0) {
    return -ENOSYS;
  }
  constexpr long kMaxSteps = 1'000'000; // a broken stack must not loop forever
  long outer_seen = 0;                  // ips written to the outer ring
  do {
    unw_word_t ip = 0;
    g_unwind.get_reg(&cursor, UNW_REG_IP, &ip);
    if (ip == 0) {
      break;
    }
    if (*inner_count < inner_max) {
      inner[(*inner_count)++] = ip;
    } else if (outer_max > 0) {
      outer[outer_seen++ % outer_max] = ip;
    } else {
      ++outer_seen;
    }
    ++*total;
  } while (*total < kMaxSteps && (*inner_count < inner_max || outer_max > 0) &&
           g_unwind.step(&cursor) > 0);
  if (outer_max == 0 || outer_seen <= outer_max) {
    return static_cast<int>(outer_max == 0 ? 0 : outer_seen);
  }
  // Rotate the ring so the outer ips are in order, oldest (innermost) first.
  uintptr_t ordered[kMaxBacktraceFrames];
  int kept = outer_max < kMaxBacktraceFrames ? outer_max : kMaxBacktraceFrames;
  for (int index = 0; index < kept; ++index) {
    ordered[index] = outer[(outer_seen + index) % outer_max];
  }
  for (int index = 0; index < kept; ++index) {
    outer[index] = ordered[index];
  }
  return kept;
}

int backtrace_ips(const ucontext_t &context, bool signal_frame, uintptr_t *ips, int max) {
  int count = 0;
  long total = 0;
  int rc = backtrace_ends(context, signal_frame, ips, max, &count, nullptr, 0, &total);
  return rc < 0 ? rc : count;
}

void symbolize(uintptr_t ip, bool exact, char *out, size_t length) {
  uintptr_t lookup = exact ? ip : ip - 1;
  if (g_unwind_state == 1) {
    // A context whose only register is the ip: get_proc_name needs no more.
    ucontext_t probe;
    memset(&probe, 0, sizeof probe);
    probe.uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(lookup);
    probe.uc_mcontext.gregs[REG_RSP] = reinterpret_cast<greg_t>(&probe);
    unw_cursor_t cursor;
    unw_word_t offset = 0;
    char name[256];
    if (g_unwind.init_local(&cursor, &probe) == 0 &&
        g_unwind.get_proc_name(&cursor, name, sizeof name, &offset) == 0) {
      snprintf(out, length, "%s+0x%lx", name, static_cast<unsigned long>(offset + (ip - lookup)));
      return;
    }
  }
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(lookup), &info) != 0 && info.dli_sname != nullptr) {
    snprintf(out, length, "%s+0x%lx", info.dli_sname,
             static_cast<unsigned long>(ip - reinterpret_cast<uintptr_t>(info.dli_saddr)));
    return;
  }
  snprintf(out, length, "??");
}

namespace {

int note_first_object(dl_phdr_info *info, size_t, void *base) {
  *static_cast<uintptr_t *>(base) = info->dlpi_addr;
  return 1; // the first object is the program itself
}

} // namespace

bool ip_in_sprig(uintptr_t ip) {
  // 1: not known yet, 0: linked into the program. Workers may ask at once:
  // each finds the same answer, stored whole.
  static std::atomic<uintptr_t> known_base{1};
  uintptr_t own_base = known_base.load(std::memory_order_acquire);
  if (own_base == 1) {
    Dl_info own{};
    uintptr_t program_base = 0;
    dl_iterate_phdr(note_first_object, &program_base);
    own_base = 0;
    if (dladdr(reinterpret_cast<void *>(&ip_in_sprig), &own) != 0 &&
        reinterpret_cast<uintptr_t>(own.dli_fbase) != program_base) {
      own_base = reinterpret_cast<uintptr_t>(own.dli_fbase);
    }
    known_base.store(own_base, std::memory_order_release);
  }
  if (own_base == 0) {
    return false;
  }
  Dl_info info{};
  return dladdr(reinterpret_cast<void *>(ip - 1), &info) != 0 &&
         reinterpret_cast<uintptr_t>(info.dli_fbase) == own_base;
}

void frames_to_show(const uintptr_t *ips, int count, int *first, int *end) {
  int inside = 0;
  while (inside < count && ip_in_sprig(ips[inside])) {
    ++inside;
  }
  if (inside == count) { // all of it is sprig's (a thread that has not started)
    *first = 0;
    *end = count;
    return;
  }
  *first = inside > 0 ? inside - 1 : 0;
  *end = count;
  while (*end > inside && ip_in_sprig(ips[*end - 1])) {
    --*end;
  }
}

} // namespace sprig

int sprig_backtrace(sprig_thread_t thread, char *buf, size_t len) {
  if (buf == nullptr || len == 0) {
    return -EINVAL;
  }
  Worker *worker = Worker::current();
  GreenThread *target = worker == nullptr ? nullptr : Worker::find(thread);
  if (target == nullptr || target->state == sprig::ThreadState::kExited) {
    return -ESRCH;
  }
  if (target == Worker::current_thread()) {
    return -EBUSY;
  }
  if (!sprig::unwinder_load()) {
    return -ENOSYS;
  }
  // What the unwinder reads of a parked context: rip, rsp and the
  // callee-saved registers, in glibc's ucontext_t slots.
  ucontext_t snapshot;
  sprig::context_snapshot(target->context, &snapshot);
  uintptr_t ips[sprig::kMaxBacktraceFrames];
  int count = sprig::backtrace_ips(snapshot, false, ips, sprig::kMaxBacktraceFrames);
  if (count < 0) {
    return count;
  }
  size_t used = 0;
  buf[0] = '\0';
  int frames = 0;
  for (; frames < count; ++frames) {
    char name[256];
    sprig::symbolize(ips[frames], false, name, sizeof name);
    int wrote = snprintf(buf + used, len - used, "#%d 0x%016lx %s\n", frames,
                         static_cast<unsigned long>(ips[frames]), name);
    if (wrote < 0 || static_cast<size_t>(wrote) >= len - used) {
      break;
    }
    used += static_cast<size_t>(wrote);
  }
  return frames;
}
