// config.hpp - the SPRIG_* environment variables the runtime reads, parsed and validated.
#pragma once

#include "context.hpp"

#include <cstddef>

namespace sprig {

struct Config {
  size_t stack_size = size_t{256} * 1024;         // SPRIG_STACK_SIZE: bytes, or with K/M/G
  size_t stack_pool_limit = 1024;                 // SPRIG_STACK_POOL: pooled stacks kept for reuse
  SwitchKind switch_kind = SwitchKind::kAssembly; // SPRIG_SWITCH: asm | ucontext
  bool children_inherit_preload = true;           // SPRIG_INHERIT: 1 | 0 (the preload only)
};

inline constexpr size_t kMinStackSize = size_t{16} * 1024;
inline constexpr size_t kMaxStackSize = size_t{1} << 30;

// Reads the environment into *config. On a malformed value prints one line,
// "sprig: SPRIG_X: ...", to stderr and returns -EINVAL.
int config_load(Config *config);

// Parses "262144", "256K", "1M", "1G" (case-insensitive). Returns false on
// anything else, or on overflow.
bool parse_size(const char *text, size_t *bytes);

} // namespace sprig
