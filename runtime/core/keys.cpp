// keys.cpp - the key registry (a spinlocked table) and each thread's value table.
#include "keys.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sprig {

// A value is valid only while its generation equals its key's: deleting a
// key bumps the generation, so a re-created key never sees stale values.
struct KeyValues {
  struct Entry {
    uint32_t generation;
    void *value;
  };
  unsigned count;
  Entry entries[];
};

namespace {

struct KeySlot {
  std::atomic<uint32_t> generation{0}; // odd: in use
  std::atomic<void (*)(void *)> destructor{nullptr};
};

KeySlot g_keys[kMaxKeys];
std::atomic_flag g_registry_lock = ATOMIC_FLAG_INIT;

class RegistryLock {
public:
  RegistryLock() {
    while (g_registry_lock.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~RegistryLock() { g_registry_lock.clear(std::memory_order_release); }
  RegistryLock(const RegistryLock &) = delete;
  RegistryLock &operator=(const RegistryLock &) = delete;
};

bool in_use(uint32_t generation) { return (generation & 1U) != 0; }

} // namespace

int key_create(unsigned *key, void (*destructor)(void *)) {
  RegistryLock lock;
  for (unsigned index = 0; index < kMaxKeys; ++index) {
    uint32_t generation = g_keys[index].generation.load(std::memory_order_relaxed);
    if (!in_use(generation)) {
      g_keys[index].destructor.store(destructor, std::memory_order_relaxed);
      g_keys[index].generation.store(generation + 1, std::memory_order_release);
      *key = index;
      return 0;
    }
  }
  return -EAGAIN;
}

int key_delete(unsigned key) {
  if (key >= kMaxKeys) {
    return -EINVAL;
  }
  RegistryLock lock;
  uint32_t generation = g_keys[key].generation.load(std::memory_order_relaxed);
  if (!in_use(generation)) {
    return -EINVAL;
  }
  g_keys[key].generation.store(generation + 1, std::memory_order_release);
  return 0;
}

void *key_get(GreenThread *thread, unsigned key) {
  if (key >= kMaxKeys || thread->keys == nullptr || key >= thread->keys->count) {
    return nullptr;
  }
  const KeyValues::Entry &entry = thread->keys->entries[key];
  if (entry.generation != g_keys[key].generation.load(std::memory_order_acquire)) {
    return nullptr;
  }
  return entry.value;
}

int key_set(GreenThread *thread, unsigned key, const void *value) {
  if (key >= kMaxKeys) {
    return -EINVAL;
  }
  uint32_t generation = g_keys[key].generation.load(std::memory_order_acquire);
  if (!in_use(generation)) {
    return -EINVAL;
  }
  KeyValues *values = thread->keys;
  if (values == nullptr || key >= values->count) {
    unsigned old_count = values == nullptr ? 0 : values->count;
    unsigned new_count = (key + 8) & ~7U;
    auto *grown = static_cast<KeyValues *>(
        realloc(values, sizeof(KeyValues) + new_count * sizeof(KeyValues::Entry)));
    if (grown == nullptr) {
      return -ENOMEM;
    }
    memset(&grown->entries[old_count], 0, (new_count - old_count) * sizeof(KeyValues::Entry));
    grown->count = new_count;
    thread->keys = values = grown;
  }
  values->entries[key].generation = generation;
  values->entries[key].value = const_cast<void *>(value);
  return 0;
}

void keys_run_destructors(GreenThread *thread) {
  KeyValues *values = thread->keys;
  if (values == nullptr) {
    return;
  }
  for (int round = 0; round < kDestructorIterations; ++round) {
    bool called = false;
    for (unsigned key = 0; key < thread->keys->count; ++key) {
      KeyValues::Entry &entry = thread->keys->entries[key];
      uint32_t generation = g_keys[key].generation.load(std::memory_order_acquire);
      auto destructor = g_keys[key].destructor.load(std::memory_order_relaxed);
      if (entry.value == nullptr || entry.generation != generation || destructor == nullptr) {
        continue;
      }
      void *value = entry.value;
      entry.value = nullptr;
      destructor(value); // may set values again, even grow the table
      called = true;
    }
    if (!called) {
      break;
    }
  }
}

void keys_release(GreenThread *thread) {
  free(thread->keys);
  thread->keys = nullptr;
}

} // namespace sprig
