// program_memory.cpp - checked copies of the program's memory: the green stack directly, the rest
// through process_vm_readv / process_vm_writev.
//
// Why not a fault handler (catch the SIGSEGV of a plain copy and return
// EFAULT, as the kernel's exception tables do): the program may install its
// own SIGSEGV handler at any time, and it would then see faults inside sprig
// that natively never happen. process_vm_readv costs one system call, and
// only for memory off the caller's stack; the struct a program passes
// (fd_set, timeval, timespec) is nearly always a local variable.
#include "program_memory.hpp"

#include "sys.hpp"
#include "worker.hpp"

#include <cstdint>
#include <cstring>
#include <sys/uio.h>

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
  if (on_own_stack(source, length)) {
    memcpy(target, source, length);
    return 0;
  }
  return checked_copy(SYS_process_vm_readv, target, source, length, false);
}

long copy_to_program(void *target, const void *source, size_t length) {
  if (length == 0) {
    return 0;
  }
  if (on_own_stack(target, length)) {
    memcpy(target, source, length);
    return 0;
  }
  return checked_copy(SYS_process_vm_writev, target, source, length, true);
}

} // namespace sprig::shim
