// real.cpp - defines and resolves sprig::real::*, one pointer per row of hooks.def.
#include "real.hpp"

#include <dlfcn.h>
#include <unistd.h>

namespace sprig::real {

#define SPRIG_HOOK(ret, name, params, args) ret(*name) params = nullptr;
#define SPRIG_HOOK_CUSTOM SPRIG_HOOK
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM

namespace {

void *lookup(const char *name) {
  void *symbol = dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    // No stdio: this runs before the program's constructors.
    static const char prefix[] = "sprig: cannot find the libc symbol ";
    ssize_t ignored = write(STDERR_FILENO, prefix, sizeof prefix - 1);
    size_t length = 0;
    while (name[length] != '\0') {
      ++length;
    }
    ignored = write(STDERR_FILENO, name, length);
    ignored = write(STDERR_FILENO, "\n", 1);
    (void)ignored;
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
__attribute__((constructor(101))) void resolve_at_load() { resolve_all(); }

} // namespace sprig::real
