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
// other: so libuv's lock, trylock and unlock go to glibc's own entry points
// (__pthread_mutex_*, exported by libc as aliases), past any interposer.
#include <cstdio>
#include <netinet/in.h>
#include <pthread.h>
#include <unistd.h>

// NOLINTBEGIN(bugprone-reserved-identifier): glibc's names
__asm__(".symver glibc_mutex_lock, __pthread_mutex_lock@GLIBC_2.2.5");
__asm__(".symver glibc_mutex_trylock, __pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver glibc_mutex_unlock, __pthread_mutex_unlock@GLIBC_2.2.5");
// NOLINTEND(bugprone-reserved-identifier)

extern "C" {
__attribute__((visibility("hidden"))) extern const in6_addr sprig_uv_in6addr_any;
const in6_addr sprig_uv_in6addr_any = IN6ADDR_ANY_INIT;
__attribute__((visibility("hidden"))) FILE *sprig_uv_stderr = nullptr;
__attribute__((visibility("hidden"))) char **sprig_uv_environ = nullptr;

int glibc_mutex_lock(pthread_mutex_t *mutex);
int glibc_mutex_trylock(pthread_mutex_t *mutex);
int glibc_mutex_unlock(pthread_mutex_t *mutex);
__attribute__((visibility("hidden"))) int sprig_uv_mutex_lock(pthread_mutex_t *mutex) {
  return glibc_mutex_lock(mutex);
}
__attribute__((visibility("hidden"))) int sprig_uv_mutex_trylock(pthread_mutex_t *mutex) {
  return glibc_mutex_trylock(mutex);
}
__attribute__((visibility("hidden"))) int sprig_uv_mutex_unlock(pthread_mutex_t *mutex) {
  return glibc_mutex_unlock(mutex);
}
}

namespace sprig {

void libuv_fixups_refresh() {
  sprig_uv_stderr = stderr;
  sprig_uv_environ = environ;
}

} // namespace sprig
