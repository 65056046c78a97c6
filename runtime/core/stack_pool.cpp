// stack_pool.cpp - stack regions, guard pages, the warm pool, and stacks of other sizes.
#include "stack_pool.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 // Linux 6.13 uapi; older headers lack it
#endif

namespace sprig {

namespace {

constexpr uint32_t kMaxSlotsPerRegion = 64;       // one bit each in a uint64_t
constexpr size_t kRegionBytes = size_t{32} << 20; // fewer slots when stacks are large

// -1: not tried yet, 0: the kernel refused it, 1: it works.
std::atomic<int> g_madvise_guard_works{-1}; // written by every worker that carves stacks

size_t round_up_to_page(size_t bytes) {
  size_t page = StackPool::page_size();
  return (bytes + page - 1) & ~(page - 1);
}

int install_guard(void *guard_page) {
  size_t page = StackPool::page_size();
  if (g_madvise_guard_works.load(std::memory_order_relaxed) != 0) {
    if (madvise(guard_page, page, MADV_GUARD_INSTALL) == 0) {
      g_madvise_guard_works.store(1, std::memory_order_relaxed);
      return 0;
    }
    if (errno != EINVAL) {
      return -errno;
    }
    g_madvise_guard_works.store(0, std::memory_order_relaxed);
  }
  return mprotect(guard_page, page, PROT_NONE) == 0 ? 0 : -errno;
}

int mapping_error(int error) { return error == ENOMEM ? -EAGAIN : -error; }

} // namespace

// One mapping of slots_per_region_ slots, each a guard page then a stack.
struct StackRegion : ListNode { // linked in with_free_slots_ while it has a free slot
  char *base = nullptr;
  size_t bytes = 0;
  uint64_t free_slots = 0; // never carved, or cold
  uint64_t guarded = 0;    // guard page installed (carved at least once)
  uint32_t in_use = 0;     // slots handed out or warm
  StackRegion *next_region = nullptr;
  StackRegion *prev_region = nullptr;
  unsigned valgrind_ids[kMaxSlotsPerRegion] = {};
};

size_t StackPool::page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

StackPool::~StackPool() {
  Stack warm;
  while (reuse_other_size(other_size_, &warm)) {
    unmap_stack(warm);
  }
  while (all_regions_ != nullptr) {
    unmap_region(all_regions_);
  }
}

void StackPool::configure(size_t default_size, size_t pool_limit) {
  default_size_ = round_up_to_page(default_size);
  pool_limit_ = pool_limit;
  size_t slot_bytes = default_size_ + page_size();
  size_t slots = kRegionBytes / slot_bytes;
  if (slots < 1) {
    slots = 1;
  }
  if (slots > kMaxSlotsPerRegion) {
    slots = kMaxSlotsPerRegion;
  }
  slots_per_region_ = static_cast<uint32_t>(slots);
}

bool StackPool::guard_uses_madvise() const {
  return g_madvise_guard_works.load(std::memory_order_relaxed) == 1;
}

int StackPool::new_region() {
  void *memory = malloc(sizeof(StackRegion));
  if (memory == nullptr) {
    return -ENOMEM;
  }
  size_t bytes = slots_per_region_ * (default_size_ + page_size());
  void *mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) {
    int error = errno;
    free(memory);
    return mapping_error(error);
  }
  auto *region = new (memory) StackRegion();
  region->base = static_cast<char *>(mapping);
  region->bytes = bytes;
  region->free_slots =
      slots_per_region_ == 64 ? ~uint64_t{0} : (uint64_t{1} << slots_per_region_) - 1;
  region->next_region = all_regions_;
  if (all_regions_ != nullptr) {
    all_regions_->prev_region = region;
  }
  all_regions_ = region;
  ++region_count_;
  with_free_slots_.push_back(region);
  ++regions_with_free_slots_;
  return 0;
}

void StackPool::unmap_region(StackRegion *region) {
  for (uint32_t slot = 0; slot < slots_per_region_; ++slot) {
    if ((region->guarded >> slot & 1U) != 0) {
      VALGRIND_STACK_DEREGISTER(region->valgrind_ids[slot]);
    }
  }
  munmap(region->base, region->bytes);
  if (region->free_slots != 0) {
    with_free_slots_.unlink(region);
    --regions_with_free_slots_;
  }
  if (region->prev_region != nullptr) {
    region->prev_region->next_region = region->next_region;
  } else {
    all_regions_ = region->next_region;
  }
  if (region->next_region != nullptr) {
    region->next_region->prev_region = region->prev_region;
  }
  --region_count_;
  region->~StackRegion();
  free(region);
}

int StackPool::carve(Stack *stack) {
  if (with_free_slots_.empty()) {
    if (int rc = new_region(); rc != 0) {
      return rc;
    }
  }
  StackRegion *region = with_free_slots_.front();
  auto slot = static_cast<uint32_t>(__builtin_ctzll(region->free_slots));
  uint64_t bit = uint64_t{1} << slot;
  size_t page = page_size();
  char *guard = region->base + slot * (default_size_ + page);
  stack->low = guard + page;
  stack->size = default_size_;
  stack->region = region;
  stack->slot = slot;
  if ((region->guarded & bit) == 0) {
    if (int rc = install_guard(guard); rc != 0) {
      return rc == -ENOMEM ? -EAGAIN : rc;
    }
    region->guarded |= bit;
    region->valgrind_ids[slot] =
        VALGRIND_STACK_REGISTER(stack->low, static_cast<char *>(stack->low) + default_size_);
  }
  stack->valgrind_id = region->valgrind_ids[slot];
  region->free_slots &= ~bit;
  if (region->free_slots == 0) {
    with_free_slots_.unlink(region);
    --regions_with_free_slots_;
  }
  ++region->in_use;
  note_mapped(default_size_);
  return 0;
}

void StackPool::return_to_region(const Stack &stack) {
  StackRegion *region = stack.region;
  // The guard page is below stack.low: MADV_DONTNEED leaves it in place.
  madvise(stack.low, stack.size, MADV_DONTNEED);
  if (region->free_slots == 0) {
    with_free_slots_.push_back(region);
    ++regions_with_free_slots_;
  }
  region->free_slots |= uint64_t{1} << stack.slot;
  --region->in_use;
  note_unmapped(stack.size);
  if (region->in_use == 0 && regions_with_free_slots_ > 1) {
    unmap_region(region); // another region has room: keep one spare, not all
  }
}

int StackPool::map_stack(size_t size, Stack *stack) {
  size_t page = page_size();
  void *mapping = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) {
    return mapping_error(errno);
  }
  int rc = install_guard(mapping);
  if (rc != 0) {
    munmap(mapping, size + page);
    return rc == -ENOMEM ? -EAGAIN : rc;
  }
  stack->low = static_cast<char *>(mapping) + page;
  stack->size = size;
  stack->region = nullptr;
  stack->slot = 0;
  stack->valgrind_id = VALGRIND_STACK_REGISTER(stack->low, static_cast<char *>(stack->low) + size);
  note_mapped(size);
  return 0;
}

void StackPool::unmap_stack(const Stack &stack) {
  size_t page = page_size();
  VALGRIND_STACK_DEREGISTER(stack.valgrind_id);
  munmap(static_cast<char *>(stack.low) - page, stack.size + page);
  note_unmapped(stack.size);
}

// The counts SPRIG_STATS reports: stacks holding memory (in use or warm).
void StackPool::note_mapped(size_t size) {
  ++mapped_count_;
  mapped_bytes_ += size;
  peak_mapped_bytes_ = mapped_bytes_ > peak_mapped_bytes_ ? mapped_bytes_ : peak_mapped_bytes_;
  peak_mapped_count_ = mapped_count_ > peak_mapped_count_ ? mapped_count_ : peak_mapped_count_;
}

void StackPool::note_unmapped(size_t size) {
  --mapped_count_;
  mapped_bytes_ -= size;
}

// A warm stack waits on a list through a FreeStack in its top bytes.
void StackPool::push_warm(FreeStack **list, const Stack &stack) {
  auto *entry = reinterpret_cast<FreeStack *>(static_cast<char *>(stack.low) + stack.size) - 1;
  entry->next = *list;
  entry->region = stack.region;
  entry->slot = stack.slot;
  entry->valgrind_id = stack.valgrind_id;
  *list = entry;
}

void StackPool::pop_warm(FreeStack **list, size_t size, Stack *stack) {
  FreeStack *entry = *list;
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(entry, sizeof *entry);
#endif
  *list = entry->next;
  stack->size = size;
  stack->low = reinterpret_cast<char *>(entry + 1) - size;
  stack->region = entry->region;
  stack->slot = entry->slot;
  stack->valgrind_id = entry->valgrind_id;
}

bool StackPool::keep_other_size(const Stack &stack) {
  if (other_size_count_ == 0) {
    other_size_ = stack.size;
  }
  if (stack.size != other_size_ || other_size_count_ >= kOtherSizeLimit ||
      other_size_count_ >= pool_limit_) {
    return false;
  }
  push_warm(&other_size_free_, stack);
  ++other_size_count_;
  return true;
}

bool StackPool::reuse_other_size(size_t size, Stack *stack) {
  if (size != other_size_ || other_size_free_ == nullptr) {
    return false;
  }
  pop_warm(&other_size_free_, size, stack);
  --other_size_count_;
  return true;
}

int StackPool::acquire(size_t size, Stack *stack) {
  size = size == 0 ? default_size_ : round_up_to_page(size);
  if (size != default_size_) {
    return reuse_other_size(size, stack) ? 0 : map_stack(size, stack);
  }
  if (free_list_ == nullptr) {
    return carve(stack);
  }
  pop_warm(&free_list_, size, stack);
  --pooled_count_;
  return 0;
}

void StackPool::release(const Stack &stack) {
  if (stack.given) {
    return;
  }
#if defined(__SANITIZE_ADDRESS__)
  // A finished thread's frames may still be poisoned; the next owner starts clean.
  ASAN_UNPOISON_MEMORY_REGION(stack.low, stack.size);
#endif
  if (stack.region == nullptr) {
    if (!keep_other_size(stack)) {
      unmap_stack(stack);
    }
    return;
  }
  if (pooled_count_ >= pool_limit_) {
    return_to_region(stack);
    return;
  }
  push_warm(&free_list_, stack);
  ++pooled_count_;
}

bool StackPool::in_guard(const Stack &stack, const void *address) {
  auto *guard_low = static_cast<const char *>(stack.low) - page_size();
  auto *probe = static_cast<const char *>(address);
  return probe >= guard_low && probe < static_cast<const char *>(stack.low);
}

} // namespace sprig
