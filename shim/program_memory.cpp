// program_memory.cpp - checked copies of the program's memory: the green stack directly, the rest
// through process_vm_readv / process_vm_writev.
//
// Why not a fault handler (catch the SIGSEGV of a plain copy and return
// EFAULT, as the kernel's exception tables do): the program may install its
// own SIGSEGV handler at any time, and it would then see faults inside sprig
// that natively never happen. process_vm_readv costs one system call (about
// 1 us here: it pins the pages), so the memory that is readable and writable
// for certain is copied directly: the calling green thread's stack, where
// most structs passed to a call live, and the brk heap, where malloc puts a
// program's larger fd_set arrays.
#include "program_memory.hpp"

#include "sys.hpp"
#include "worker.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace sprig::shim {

namespace {

// True when [address, address + length) lies in the calling green thread's
// stack, which is mapped read-write from end to end.
bool on_own_stack(const void *address, size_t length) {
  GreenThread *self = Worker::current_thread();
  if (self == nullptr || self->stack.low == nullptr) {
    return false;
  }
  auto low = reinterpret_cast<uintptr_t>(self->stack.low);
  auto start = reinterpret_cast<uintptr_t>(address);
  return start >= low && length <= self->stack.size && start - low <= self->stack.size - length;
}

// The start of the program break (field 47 of /proc/self/stat), read once;
// 0 when it cannot be read.
uintptr_t g_break_start = 0;
bool g_break_start_read = false;

uintptr_t read_break_start() {
  long fd = sys::call(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  char text[1024];
  long length = sys::read(static_cast<int>(fd), text, sizeof text - 1);
  sys::close(static_cast<int>(fd));
  if (length <= 0) {
    return 0;
  }
  text[length] = '\0';
  // Fields follow the command name's closing parenthesis, from field 3 on.
  const char *cursor = strrchr(text, ')');
  for (int field = 2; cursor != nullptr && field < 47; ++field) {
    cursor = strchr(cursor + 1, ' ');
  }
  return cursor == nullptr ? 0 : strtoull(cursor + 1, nullptr, 10);
}

// True when [address, address + length) lies in the heap that glibc's main
// arena grows with brk, between the break's start and the break itself
// (sbrk(0), which glibc keeps without a system call): malloc never maps any
// of it other than read-write. Under sprig every green thread mallocs from
// the worker's one OS thread, so from the main arena, except chunks large
// enough to have mappings of their own.
bool in_break_heap(const void *address, size_t length) {
  if (!g_break_start_read) {
    g_break_start = read_break_start();
    g_break_start_read = true;
  }
  auto start = reinterpret_cast<uintptr_t>(address);
  auto end = reinterpret_cast<uintptr_t>(sbrk(0));
  return g_break_start != 0 && start >= g_break_start && start < end && length <= end - start;
}

// process_vm_readv or process_vm_writev on this process: 0 or -EFAULT.
// Where the kernel refuses the call itself (a seccomp filter, ENOSYS), the
// copy is made directly, as before sprig checked.
long checked_copy(long syscall_number, void *target, const void *source, size_t length,
                  bool program_is_target) {
  iovec local{program_is_target ? const_cast<void *>(source) : target, length};
  iovec remote{program_is_target ? target : const_cast<void *>(source), length};
  long rc = sys::call(syscall_number, sys::call(SYS_getpid), &local, 1, &remote, 1, 0);
  if (rc == static_cast<long>(length)) {
    return 0;
  }
  if (rc == -ENOSYS || rc == -EPERM) {
    memcpy(target, source, length);
    return 0;
  }
  return -EFAULT; // a partial copy, or EFAULT itself
}

} // namespace

long copy_from_program(void *target, const void *source, size_t length) {
  if (length == 0) {
    return 0;
  }
  if (on_own_stack(source, length) || in_break_heap(source, length)) {
    memcpy(target, source, length);
    return 0;
  }
  return checked_copy(SYS_process_vm_readv, target, source, length, false);
}

long copy_to_program(void *target, const void *source, size_t length) {
  if (length == 0) {
    return 0;
  }
  if (on_own_stack(target, length) || in_break_heap(target, length)) {
    memcpy(target, source, length);
    return 0;
  }
  return checked_copy(SYS_process_vm_writev, target, source, length, true);
}

} // namespace sprig::shim
