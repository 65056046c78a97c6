// stack_pool.hpp - green-thread stacks: carved from large regions, lazily committed, guarded,
// pooled.
#pragma once

#include "list.hpp"

#include <cstddef>
#include <cstdint>

namespace sprig {

struct StackRegion;

struct Stack {
  void *low = nullptr;           // lowest usable byte, just above the guard page
  size_t size = 0;               // usable bytes
  StackRegion *region = nullptr; // carved from this region; nullptr: a mapping of its own
  uint32_t slot = 0;             // the slot in `region`
  unsigned valgrind_id : 31 = 0;
  unsigned given : 1 = 0; // the program's own (pthread_attr_setstack): never mapped or freed here
};

// Stacks of the default size are carved from regions: one mmap
// (MAP_NORESERVE) of up to 64 slots, each a guard page and a stack. The
// guard is madvise(MADV_GUARD_INSTALL) where the kernel has it (Linux 6.13+),
// which adds no memory map; mprotect(PROT_NONE) otherwise. Memory is
// committed only where a thread touches it.
//
// A released default-size stack is kept as it is (warm) for reuse, up to
// `pool_limit` of them; beyond that its memory goes back to the kernel with
// MADV_DONTNEED (cold) and its slot, guard included, waits in its region. A
// region none of whose slots is in use is unmapped, unless it is the only
// one with a free slot.
//
// Why regions: each stack its own mmap makes one memory map per stack until
// the kernel merges neighbours, and every munmap between two live stacks
// splits a merged map again. A million threads that end in any order other
// than the one they started in then pass vm.max_map_count (65530 by
// default), and munmap itself fails with ENOMEM. Regions keep the count at
// one map per region at most, whatever the order (guards by madvise do not
// split maps, MADV_DONTNEED does not either). Rejected: raising
// vm.max_map_count (a system setting a library must not need).
//
// Stacks of other sizes are one mapping each. Released ones of one such size,
// the size of the first kept, are kept warm too, up to kOtherSizeLimit:
// programs that pass an attribute usually pass the same one to every
// thread, and glibc's default (RLIMIT_STACK, often 8 MiB), which
// pthread_attr_getstacksize reports for an attribute that sets no size, is
// not sprig's. CPython's threads are such: without this cache each of them
// cost an mmap, a guard, first-touch faults and an munmap (18% of the CPU of
// 10,000 short-lived Python threads, issue 16's corun tasks).
// Rejected: a cache per size (a program rarely uses two non-default sizes at
// once, and each would hold memory).
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

  size_t pooled() const { return pooled_count_ + other_size_count_; } // warm, waiting for reuse
  size_t mapped() const { return mapped_count_; }  // in use or warm: holding memory
  size_t regions() const { return region_count_; } // mappings of default-size stacks
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
    StackRegion *region;
    uint32_t slot;
    unsigned valgrind_id;
  };
  int carve(Stack *stack);
  int new_region();
  void return_to_region(const Stack &stack);
  void unmap_region(StackRegion *region);
  int map_stack(size_t size, Stack *stack);
  void unmap_stack(const Stack &stack);

  static constexpr size_t kOtherSizeLimit = 256;
  // The warm stacks of the one other size kept: a FreeStack at the top of each.
  size_t other_size_ = 0;
  size_t other_size_count_ = 0;
  FreeStack *other_size_free_ = nullptr;
  static void push_warm(FreeStack **list, const Stack &stack);
  static void pop_warm(FreeStack **list, size_t size, Stack *stack);
  bool keep_other_size(const Stack &stack);
  bool reuse_other_size(size_t size, Stack *stack);

  size_t default_size_ = size_t{256} * 1024;
  size_t pool_limit_ = 1024;
  uint32_t slots_per_region_ = 64;
  FreeStack *free_list_ = nullptr; // kept in the top bytes of each warm stack
  IntrusiveList<StackRegion> with_free_slots_;
  size_t regions_with_free_slots_ = 0;
  size_t region_count_ = 0;
  StackRegion *all_regions_ = nullptr; // for the destructor
  void note_mapped(size_t size);
  void note_unmapped(size_t size);

  size_t pooled_count_ = 0;
  size_t mapped_count_ = 0;
  size_t mapped_bytes_ = 0;
  size_t peak_mapped_bytes_ = 0;
  size_t peak_mapped_count_ = 0;
};

} // namespace sprig
