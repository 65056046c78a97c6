// real.cpp - defines and resolves sprig::real::*, one pointer per row of hooks.def.
#include "real.hpp"

#include "reactor.hpp"
#include "sys.hpp"

#include <dlfcn.h>
#include <unistd.h>

// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def; the
// arguments are declarators and argument lists, which cannot be parenthesised.
namespace sprig::real {

#define SPRIG_HOOK(ret, name, params, args) ret(*name) params = nullptr;
#define SPRIG_HOOK_CUSTOM SPRIG_HOOK
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM

namespace {

// No stdio: this runs before the program's constructors.
void write_stderr(const char *text) {
  size_t length = 0;
  while (text[length] != '\0') {
    ++length;
  }
  // The raw system call: `write` here would be libsprig.so's own export,
  // whose pointers are what is being resolved.
  if (sys::write(STDERR_FILENO, text, length) < 0) {
    return; // nothing better to do on the way to _exit
  }
}

// Compatibility symbols without a default version (pthread_yield since
// glibc 2.34's headers redirect it) are found only by their version. They are
// asked for by version first: a dlsym that fails mallocs its error message,
// and a program whose malloc takes a pthread mutex (jemalloc: redis-server)
// would reach sprig's pthread_mutex_* export before its pointer is resolved,
// re-enter resolve_all, fail again, and recurse until the stack overflows.
bool is_versioned_only(const char *name) {
  const char *const names[] = {"pthread_yield"};
  for (const char *listed : names) {
    if (__builtin_strcmp(listed, name) == 0) {
      return true;
    }
  }
  return false;
}

void *lookup(const char *name) {
  void *symbol = is_versioned_only(name) ? ::dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5") : nullptr;
  if (symbol == nullptr) {
    symbol = ::dlsym(RTLD_NEXT, name);
  }
  if (symbol == nullptr) {
    symbol = ::dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
  }
  if (symbol == nullptr) {
    write_stderr("sprig: cannot find the libc symbol ");
    write_stderr(name);
    write_stderr("\n");
    _exit(127);
  }
  return symbol;
}

} // namespace

void resolve_all() {
#define SPRIG_HOOK(ret, name, params, args)                                                        \
  if (name == nullptr) {                                                                           \
    name = reinterpret_cast<ret(*) params>(lookup(#name));                                         \
  }
#define SPRIG_HOOK_CUSTOM SPRIG_HOOK
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM
}

// Before any other constructor that could call an interposed function:
// dlsym inside a library constructor that runs under dlopen's loader lock is
// what the brief warns about, so everything is resolved here, once, early.
__attribute__((constructor(101))) void resolve_at_load() {
  resolve_all();
  libuv_use_libc_mutex_calls(real::pthread_mutex_lock, real::pthread_mutex_trylock,
                             real::pthread_mutex_unlock);
}

} // namespace sprig::real
// NOLINTEND(bugprone-macro-parentheses)
