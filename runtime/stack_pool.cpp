// stack_pool.cpp - mapping, guarding, pooling and unmapping green-thread stacks.
#include "stack_pool.hpp"

#include <cerrno>
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

// -1: not tried yet, 0: the kernel refused it, 1: it works.
int g_madvise_guard_works = -1;

size_t round_up_to_page(size_t bytes) {
  size_t page = StackPool::page_size();
  return (bytes + page - 1) & ~(page - 1);
}

int install_guard(void *guard_page) {
  size_t page = StackPool::page_size();
  if (g_madvise_guard_works != 0) {
    if (madvise(guard_page, page, MADV_GUARD_INSTALL) == 0) {
      g_madvise_guard_works = 1;
      return 0;
    }
    if (errno != EINVAL) {
      return -errno;
    }
    g_madvise_guard_works = 0;
  }
  return mprotect(guard_page, page, PROT_NONE) == 0 ? 0 : -errno;
}

} // namespace

size_t StackPool::page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

StackPool::~StackPool() {
  while (free_list_ != nullptr) {
    FreeStack *entry = free_list_;
    free_list_ = entry->next;
    Stack stack{};
    stack.size = default_size_;
    stack.low = reinterpret_cast<char *>(entry + 1) - default_size_;
    stack.valgrind_id = entry->valgrind_id;
    unmap_stack(stack);
  }
}

void StackPool::configure(size_t default_size, size_t pool_limit) {
  default_size_ = round_up_to_page(default_size);
  pool_limit_ = pool_limit;
}

bool StackPool::guard_uses_madvise() const { return g_madvise_guard_works == 1; }

int StackPool::map_stack(size_t size, Stack *stack) {
  size_t page = page_size();
  void *mapping = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) {
    return errno == ENOMEM ? -EAGAIN : -errno;
  }
  int rc = install_guard(mapping);
  if (rc != 0) {
    munmap(mapping, size + page);
    return rc == -ENOMEM ? -EAGAIN : rc;
  }
  stack->low = static_cast<char *>(mapping) + page;
  stack->size = size;
  stack->valgrind_id = VALGRIND_STACK_REGISTER(stack->low, static_cast<char *>(stack->low) + size);
  ++mapped_count_;
  mapped_bytes_ += size;
  peak_mapped_bytes_ = mapped_bytes_ > peak_mapped_bytes_ ? mapped_bytes_ : peak_mapped_bytes_;
  peak_mapped_count_ = mapped_count_ > peak_mapped_count_ ? mapped_count_ : peak_mapped_count_;
  return 0;
}

void StackPool::unmap_stack(const Stack &stack) {
  size_t page = page_size();
  VALGRIND_STACK_DEREGISTER(stack.valgrind_id);
  munmap(static_cast<char *>(stack.low) - page, stack.size + page);
  --mapped_count_;
  mapped_bytes_ -= stack.size;
}

int StackPool::acquire(size_t size, Stack *stack) {
  size = size == 0 ? default_size_ : round_up_to_page(size);
  if (size == default_size_ && free_list_ != nullptr) {
    FreeStack *entry = free_list_;
#if defined(__SANITIZE_ADDRESS__)
    ASAN_UNPOISON_MEMORY_REGION(entry, sizeof *entry);
#endif
    free_list_ = entry->next;
    --pooled_count_;
    stack->size = size;
    stack->low = reinterpret_cast<char *>(entry + 1) - size;
    stack->valgrind_id = entry->valgrind_id;
    return 0;
  }
  return map_stack(size, stack);
}

void StackPool::release(const Stack &stack) {
  if (stack.size != default_size_ || pooled_count_ >= pool_limit_) {
    unmap_stack(stack);
    return;
  }
#if defined(__SANITIZE_ADDRESS__)
  // A finished thread's frames may still be poisoned; the next owner starts clean.
  ASAN_UNPOISON_MEMORY_REGION(stack.low, stack.size);
#endif
  auto *entry = reinterpret_cast<FreeStack *>(static_cast<char *>(stack.low) + stack.size) - 1;
  entry->next = free_list_;
  entry->valgrind_id = stack.valgrind_id;
  free_list_ = entry;
  ++pooled_count_;
}

bool StackPool::in_guard(const Stack &stack, const void *address) {
  auto *guard_low = static_cast<const char *>(stack.low) - page_size();
  auto *probe = static_cast<const char *>(address);
  return probe >= guard_low && probe < static_cast<const char *>(stack.low);
}

} // namespace sprig
