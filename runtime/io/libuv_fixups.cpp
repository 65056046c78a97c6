// libuv_fixups.cpp - hidden stand-ins for the libc data that Debian's PIE-built libuv_a.a reaches
// PC-relatively, and for the mutex calls libuv must make to glibc itself.
//
// The Makefile renames libuv's references (objcopy --redefine-sym) to these.
// in6addr_any is a constant and is exact. stderr and environ are copied from
// libc when a worker starts; libuv reads them only in code sprig does not
// call (uv_spawn, uv_os_environ, assertion messages).
//
// libuv's mutexes are locked by its pool threads and the scheduler, and
// waited on with glibc's condition variables, which unlock and relock them
// by glibc's protocol. Through the preload's exports, a caller that is not
// a green thread takes a mutex by sprig's protocol while several workers run
// (shim/hooks.def, SPRIG_HOOK_FOREIGN), and the two would not exclude each
// other: so libuv's lock, trylock and unlock go through pointers that the
// preload sets to libc's own functions as it resolves them (shim/real.cpp).
// Elsewhere (libsprig-rt, the unit tests) nothing interposes, and the
// pointers keep pthread's functions (a sanitizer's interceptors included).
//
// libuv's write() is the system call itself (sys::write): uv_async_send
// writes its eventfd from a green thread that wakes one of another worker,
// while that thread holds the guard of the object it wakes from. Through the
// preload's write() the fd table could calloc an entry for that eventfd,
// the program's malloc could take its mutex, and that mutex's guard could be
// the very stripe already held: the waker spun for ever on its own stripe
// (malloc_own_locking.c hung in about one run in 25 with two workers).
#include "sys.hpp"

#include <cerrno>
#include <cstdio>
#include <netinet/in.h>
#include <pthread.h>
#include <unistd.h>

namespace {

using MutexCall = int (*)(pthread_mutex_t *);
MutexCall g_mutex_lock = pthread_mutex_lock;
MutexCall g_mutex_trylock = pthread_mutex_trylock;
MutexCall g_mutex_unlock = pthread_mutex_unlock;

} // namespace

extern "C" {
__attribute__((visibility("hidden"))) extern const in6_addr sprig_uv_in6addr_any;
const in6_addr sprig_uv_in6addr_any = IN6ADDR_ANY_INIT;
__attribute__((visibility("hidden"))) FILE *sprig_uv_stderr = nullptr;
__attribute__((visibility("hidden"))) char **sprig_uv_environ = nullptr;

__attribute__((visibility("hidden"))) int sprig_uv_mutex_lock(pthread_mutex_t *mutex) {
  return g_mutex_lock(mutex);
}
__attribute__((visibility("hidden"))) int sprig_uv_mutex_trylock(pthread_mutex_t *mutex) {
  return g_mutex_trylock(mutex);
}
__attribute__((visibility("hidden"))) int sprig_uv_mutex_unlock(pthread_mutex_t *mutex) {
  return g_mutex_unlock(mutex);
}
__attribute__((visibility("hidden"))) ssize_t sprig_uv_write(int fd, const void *buffer,
                                                             size_t length) {
  long rc = sprig::sys::write(fd, buffer, length);
  if (rc < 0) {
    errno = static_cast<int>(-rc);
    return -1;
  }
  return rc;
}
}

namespace sprig {

void libuv_use_libc_mutex_calls(MutexCall lock, MutexCall trylock, MutexCall unlock) {
  g_mutex_lock = lock;
  g_mutex_trylock = trylock;
  g_mutex_unlock = unlock;
}

void libuv_fixups_refresh() {
  sprig_uv_stderr = stderr;
  sprig_uv_environ = environ;
}

} // namespace sprig
