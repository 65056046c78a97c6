// identity_layout.cpp - which glibc sprig knows the thread descriptor of, checked against libc's
// own descriptions of it.
//
// libc exports, for libthread_db, a description of most `struct pthread`
// fields (_thread_db_pthread_tid = {bits, count, offset}, ...). The fields a
// green identity needs that are not described (the stack bounds, the robust
// list head, joinid, ...) come from a table per glibc version, and each table
// is accepted only when every described field agrees with it. Another glibc
// gets one line and no per-thread identities, never a guess.
#include "identity.hpp"

#include <cerrno>
#include <cstring>

namespace sprig::identity {

namespace {

struct KnownGlibc {
  const char *version;
  Layout layout;
};

// x86-64. From glibc's nptl/descr.h and tls.h of that release, checked with
// gdb's `ptype /o struct pthread` on its debug symbols (docs/identity/).
constexpr KnownGlibc kKnown[] = {
    {"2.36",
     {.sizeof_pthread = 2368,
      .list = 704,
      .tid = 720,
      .robust_prev = 728,
      .robust_head = 736,
      .flags = 780,
      .specific_1stblock = 784,
      .specific = 1296,
      .joinid = 1568,
      .schedparam = 1584,
      .schedpolicy = 1588,
      .start_routine = 1592,
      .arg = 1600,
      .stackblock = 1680,
      .stackblock_size = 1688,
      .guardsize = 1696,
      .reported_guardsize = 1704,
      .res = 1720,
      .strsignal_buf = 2304,
      .strerror_buf = 2312,
      .libc_errno = 0x10,
      .libc_h_errno = 0x74,
      .libc_resp = 0x08,
      .libc_tcache = 0x48,
      .libc_thread_arena = 0x58}},
};

} // namespace

int layout_for(const Described &described, Layout *layout, const char **why) {
  if (described.version == nullptr) {
    *why = "libc does not say its version";
    return -ENOTSUP;
  }
  for (const KnownGlibc &known : kKnown) {
    if (strcmp(known.version, described.version) != 0) {
      continue;
    }
    const Layout &table = known.layout;
    if (described.sizeof_pthread != table.sizeof_pthread || described.list != table.list ||
        described.tid != table.tid || described.specific != table.specific ||
        described.schedparam != table.schedparam || described.schedpolicy != table.schedpolicy ||
        described.start_routine != table.start_routine) {
      *why = "libc's own description of struct pthread differs from sprig's table for its version";
      return -ENOTSUP;
    }
    *layout = table;
    return 0;
  }
  *why = "sprig does not know the thread descriptor of this glibc version (it knows 2.36)";
  return -ENOTSUP;
}

} // namespace sprig::identity
