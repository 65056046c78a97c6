// dlsym.cpp - dlsym(RTLD_NEXT, name) for a name sprig interposes answers sprig's export, so threads
// a library starts through its own pointer to pthread_create are green too.
//
// jemalloc (redis-server's allocator) and other wrappers look up the "real"
// pthread_create with dlsym(RTLD_NEXT, ...). From a library loaded after
// libsprig.so that is libc's function: jemalloc's background threads became
// OS threads, which then took jemalloc's mutexes through glibc while the
// green main thread took them through sprig (two layouts in one mutex; a
// background thread was seen blocked for good in glibc's lock). For every
// name in hooks.def, such a lookup now gets libsprig.so's export, which for a
// caller that is not a green thread is libc's function anyway.
//
// Every other lookup goes to libc's dlsym by a jump, not a call: RTLD_NEXT is
// relative to the object of the return address glibc finds on the stack,
// which must stay the caller's. Lookups made by libsprig.so itself (the
// resolution of sprig::real::*) are never changed.
#include "real.hpp"

#include <atomic>
#include <cstring>
#include <dlfcn.h>

namespace {

// Every row of hooks.def: its name, and where sprig's own pointer to the
// next definition (sprig::real::name) lives.
struct Interposed {
  const char *name;
  void *const *next;
};
const Interposed kInterposed[] = {
// NOLINTBEGIN(bugprone-macro-parentheses): X-macros over hooks.def
#define SPRIG_HOOK(ret, name, params, args)                                                        \
  {#name, reinterpret_cast<void *const *>(&sprig::real::name)},
#define SPRIG_HOOK_CUSTOM SPRIG_HOOK
#include "hooks.def"
#undef SPRIG_HOOK
#undef SPRIG_HOOK_CUSTOM
    // NOLINTEND(bugprone-macro-parentheses)
};

const Interposed *interposed(const char *name) {
  for (const Interposed &listed : kInterposed) {
    if (strcmp(listed.name, name) == 0) {
      return &listed;
    }
  }
  return nullptr;
}

// True when sprig's own next definition of the name is libc's, i.e. no other
// preloaded library (libfaketime, a user's wrapper) sits between libsprig.so
// and libc for it. When one does, its own dlsym(RTLD_NEXT) lookups must get
// what they would natively: handing it sprig's export would loop (sprig's
// export calls that library, which would call sprig's export again).
bool next_is_libc(const Interposed &listed, void *libc_dlsym) {
  Dl_info next{};
  Dl_info libc{};
  return *listed.next != nullptr && dladdr(*listed.next, &next) != 0 &&
         dladdr(libc_dlsym, &libc) != 0 && next.dli_fbase == libc.dli_fbase;
}

using DlsymFunction = void *(*)(void *, const char *);

// libsprig.so's own handle (dlopen of itself, without loading anything).
std::atomic<void *> g_own_handle{nullptr};

void *own_base() {
  Dl_info info{};
  return dladdr(reinterpret_cast<void *>(&own_base), &info) != 0 ? info.dli_fbase : nullptr;
}

} // namespace

extern "C" {

// libc's dlsym; set by sprig_dlsym_resolve before the first jump to it.
__attribute__((visibility("hidden"))) std::atomic<DlsymFunction> sprig_libc_dlsym{nullptr};

__attribute__((visibility("hidden"))) void sprig_dlsym_resolve() {
  // dlvsym is not interposed; from libsprig.so, RTLD_NEXT reaches libc.
  void *found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
  if (found == nullptr) {
    found = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
  }
  sprig_libc_dlsym.store(reinterpret_cast<DlsymFunction>(found), std::memory_order_release);
}

// For dlsym(RTLD_NEXT, name) called from `caller`: sprig's export of `name`,
// or nullptr to let libc answer.
__attribute__((visibility("hidden"))) void *sprig_dlsym_next(const char *name, void *caller) {
  const Interposed *listed = name == nullptr ? nullptr : interposed(name);
  if (listed == nullptr) {
    return nullptr;
  }
  Dl_info info{};
  if (dladdr(caller, &info) == 0 || info.dli_fbase == own_base()) {
    return nullptr; // libsprig.so's own lookups mean libc's functions
  }
  void *own = g_own_handle.load(std::memory_order_acquire);
  if (own == nullptr) {
    Dl_info self{};
    if (dladdr(reinterpret_cast<void *>(&own_base), &self) == 0) {
      return nullptr;
    }
    own = dlopen(self.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (own == nullptr) {
      return nullptr;
    }
    g_own_handle.store(own, std::memory_order_release);
  }
  if (sprig_libc_dlsym.load(std::memory_order_acquire) == nullptr) {
    sprig_dlsym_resolve();
  }
  DlsymFunction libc_dlsym = sprig_libc_dlsym.load(std::memory_order_acquire);
  if (!next_is_libc(*listed, reinterpret_cast<void *>(libc_dlsym))) {
    return nullptr;
  }
  // Searches libsprig.so first: its export, while hooks.def lists the name.
  return libc_dlsym(own, name);
}

} // extern "C"

// dlsym itself. RTLD_NEXT is ((void *) -1l). The caller's return address is
// at 24(%rsp) after the two pushes and the alignment slot.
asm(R"(
    .text
    .globl dlsym
    .type dlsym, @function
dlsym:
    .cfi_startproc
    cmpq $-1, %rdi
    jne .Lsprig_dlsym_libc
    pushq %rdi
    .cfi_adjust_cfa_offset 8
    pushq %rsi
    .cfi_adjust_cfa_offset 8
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    movq %rsi, %rdi
    movq 24(%rsp), %rsi
    call sprig_dlsym_next
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq %rsi
    .cfi_adjust_cfa_offset -8
    popq %rdi
    .cfi_adjust_cfa_offset -8
    testq %rax, %rax
    jz .Lsprig_dlsym_libc
    ret
.Lsprig_dlsym_libc:
    movq sprig_libc_dlsym(%rip), %rax
    testq %rax, %rax
    jz .Lsprig_dlsym_resolve
    jmp *%rax
.Lsprig_dlsym_resolve:
    pushq %rdi
    .cfi_adjust_cfa_offset 8
    pushq %rsi
    .cfi_adjust_cfa_offset 8
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    call sprig_dlsym_resolve
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq %rsi
    .cfi_adjust_cfa_offset -8
    popq %rdi
    .cfi_adjust_cfa_offset -8
    jmp *sprig_libc_dlsym(%rip)
    .cfi_endproc
    .size dlsym, .-dlsym
)");
