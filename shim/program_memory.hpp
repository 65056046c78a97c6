// program_memory.hpp - copies to and from memory the program passed to a call, with EFAULT where
// the kernel would give it, never a crash inside sprig.
#pragma once

#include <cstddef>

namespace sprig::shim {

// Copies `length` bytes of the program's `source` to sprig's `target`: 0, or
// -EFAULT when a byte of `source` cannot be read, as the kernel's own copy
// would fail. Memory on the calling green thread's stack (where most structs
// passed to a call live) is copied directly; anything else goes through
// process_vm_readv(2), which checks the program's mappings as the kernel does
// for a system call's arguments.
//
// Use it only where sprig must read an argument before the kernel has seen it
// (a timeout, select's fd sets). Where the kernel can go first, let it: its
// error then comes in its own order (EBADF before EFAULT).
long copy_from_program(void *target, const void *source, size_t length);

// The other way: sprig's `source` to the program's `target`, or -EFAULT.
long copy_to_program(void *target, const void *source, size_t length);

} // namespace sprig::shim
