// stack_pool.hpp - green-thread stacks: mmap'ed, lazily committed, guarded, pooled.
#pragma once

#include <cstddef>

namespace sprig {

struct Stack {
  void *low = nullptr; // lowest usable byte, just above the guard page
  size_t size = 0;     // usable bytes
  unsigned valgrind_id = 0;
};

// Stacks of the default size are kept for reuse, up to `pool_limit` of them;
// beyond that they are unmapped. Each stack has one guard page below it:
// MADV_GUARD_INSTALL where the kernel has it (Linux 6.13+; no extra memory
// map, so no vm.max_map_count cost), mprotect(PROT_NONE) otherwise.
// Memory is committed only where the thread touches it (MAP_NORESERVE).
class StackPool {
public:
  StackPool() = default;
  StackPool(const StackPool &) = delete;
  StackPool &operator=(const StackPool &) = delete;
  ~StackPool();

  void configure(size_t default_size, size_t pool_limit);
  size_t default_size() const { return default_size_; }

  // size 0 asks for the default size. Returns -ENOMEM (or -EAGAIN when the
  // kernel refuses the mapping) on failure.
  int acquire(size_t size, Stack *stack);
  void release(const Stack &stack);

  size_t pooled() const { return pooled_count_; }
  size_t mapped() const { return mapped_count_; }
  // Address space of the mapped stacks (usable bytes), now and at its peak.
  size_t mapped_bytes() const { return mapped_bytes_; }
  size_t peak_mapped_bytes() const { return peak_mapped_bytes_; }
  size_t peak_mapped() const { return peak_mapped_count_; }
  bool guard_uses_madvise() const;

  // True when `address` lies in the guard page below `stack`.
  static bool in_guard(const Stack &stack, const void *address);
  static size_t page_size();

private:
  struct FreeStack {
    FreeStack *next;
    unsigned valgrind_id;
  };
  int map_stack(size_t size, Stack *stack);
  void unmap_stack(const Stack &stack);

  size_t default_size_ = size_t{256} * 1024;
  size_t pool_limit_ = 1024;
  FreeStack *free_list_ = nullptr; // kept in the top bytes of each pooled stack
  size_t pooled_count_ = 0;
  size_t mapped_count_ = 0;
  size_t mapped_bytes_ = 0;
  size_t peak_mapped_bytes_ = 0;
  size_t peak_mapped_count_ = 0;
};

} // namespace sprig
