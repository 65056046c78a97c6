// vfork.cpp - vfork(2) for a green thread: the child shares the parent's memory, worker included,
// so it runs as no green thread until it execs or exits.
//
// A vfork child may call more than execve and _exit: CPython's subprocess
// resets handlers with sigaction, sets its mask with pthread_sigmask and
// closes descriptors in it. Through sprig's green paths those calls would
// change the parent's dispositions table, the parent thread's mask and
// sprig's record of the parent's descriptors; so the child marks the worker
// (Worker::enter_vfork_child) and every interposer then goes to libc, which
// acts on the child alone, as natively. The parent, which the kernel
// resumes only after the child's exec or exit, undoes the mark.
//
// Why a stub in assembly: the child returns from vfork on the parent's
// stack, and the parent returns from the same frame after it, so the
// function may keep nothing on the stack across the system call (a C
// wrapper around libc's vfork would find its return address overwritten by
// the child's calls). As glibc's own vfork does, the return address waits
// in a register, which the kernel restores for each side.
#include "worker.hpp"

#include <cerrno>
#include <sys/syscall.h>

extern "C" {

// Called by the stub with vfork's result: 0 in the child, the child's pid
// in the parent.
__attribute__((visibility("hidden"))) void sprig_vfork_returned(long pid) {
  sprig::Worker *worker = sprig::Worker::current();
  if (worker == nullptr) {
    return; // an OS thread sprig did not make: nothing of a worker to keep apart
  }
  if (pid == 0) {
    worker->enter_vfork_child();
  } else {
    worker->resume_vfork_parent();
  }
}

// The failed system call's -errno: vfork's -1 and errno.
__attribute__((visibility("hidden"))) long sprig_vfork_failed(long negative_errno) {
  errno = static_cast<int>(-negative_errno);
  return -1;
}

} // extern "C"

// vfork and __vfork (glibc exports both). At entry the stack holds only
// the return address; it is popped into %rdi for the system call and pushed
// back after it, by the child and again by the parent.
asm(R"(
  .text
  .globl vfork
  .type vfork, @function
  .globl __vfork
  .type __vfork, @function
  .p2align 4
vfork:
__vfork:
  pop %rdi
  mov $58, %eax
  syscall
  push %rdi
  cmp $-4095, %rax
  jae 1f
  push %rax
  mov %rax, %rdi
  call sprig_vfork_returned
  pop %rax
  ret
1:
  mov %rax, %rdi
  jmp sprig_vfork_failed
  .size vfork, . - vfork
  .size __vfork, . - __vfork
)");
static_assert(SYS_vfork == 58, "the stub's system call number");
