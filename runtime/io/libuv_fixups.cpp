// libuv_fixups.cpp - hidden stand-ins for the libc data that Debian's PIE-built libuv_a.a reaches
// PC-relatively.
//
// The Makefile renames libuv's references (objcopy --redefine-sym) to these.
// in6addr_any is a constant and is exact. stderr and environ are copied from
// libc when a worker starts; libuv reads them only in code sprig does not
// call (uv_spawn, uv_os_environ, assertion messages).
#include <cstdio>
#include <netinet/in.h>
#include <unistd.h>

extern "C" {
__attribute__((visibility("hidden"))) extern const in6_addr sprig_uv_in6addr_any;
const in6_addr sprig_uv_in6addr_any = IN6ADDR_ANY_INIT;
__attribute__((visibility("hidden"))) FILE *sprig_uv_stderr = nullptr;
__attribute__((visibility("hidden"))) char **sprig_uv_environ = nullptr;
}

namespace sprig {

void libuv_fixups_refresh() {
  sprig_uv_stderr = stderr;
  sprig_uv_environ = environ;
}

} // namespace sprig
