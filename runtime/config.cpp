// config.cpp - parsing and validating SPRIG_STACK_SIZE, SPRIG_STACK_POOL, SPRIG_SWITCH and
// SPRIG_INHERIT.
#include "config.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sprig {

namespace {

int reject(const char *name, const char *value, const char *want) {
  fprintf(stderr, "sprig: %s: bad value '%s' (want %s)\n", name, value, want);
  return -EINVAL;
}

} // namespace

bool parse_size(const char *text, size_t *bytes) {
  if (text == nullptr || *text < '0' || *text > '9') {
    return false;
  }
  errno = 0;
  char *end = nullptr;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0) {
    return false;
  }
  unsigned shift = 0;
  switch (*end) {
  case '\0':
    break;
  case 'k':
  case 'K':
    shift = 10;
    ++end;
    break;
  case 'm':
  case 'M':
    shift = 20;
    ++end;
    break;
  case 'g':
  case 'G':
    shift = 30;
    ++end;
    break;
  default:
    return false;
  }
  if (*end != '\0' || value > (~0ULL >> shift)) {
    return false;
  }
  *bytes = static_cast<size_t>(value << shift);
  return true;
}

int config_load(Config *config) {
  *config = Config{};
  if (const char *value = getenv("SPRIG_STACK_SIZE"); value != nullptr) {
    size_t bytes = 0;
    if (!parse_size(value, &bytes) || bytes < kMinStackSize || bytes > kMaxStackSize) {
      return reject("SPRIG_STACK_SIZE", value, "a size from 16K to 1G, such as 256K");
    }
    config->stack_size = bytes;
  }
  if (const char *value = getenv("SPRIG_STACK_POOL"); value != nullptr) {
    size_t count = 0;
    char *end = nullptr;
    errno = 0;
    count = strtoull(value, &end, 10);
    if (*value < '0' || *value > '9' || *end != '\0' || errno != 0 || count > 1000000) {
      return reject("SPRIG_STACK_POOL", value, "a count of stacks from 0 to 1000000");
    }
    config->stack_pool_limit = count;
  }
  if (const char *value = getenv("SPRIG_SWITCH"); value != nullptr) {
    if (strcmp(value, "asm") == 0) {
      config->switch_kind = SwitchKind::kAssembly;
    } else if (strcmp(value, "ucontext") == 0) {
      config->switch_kind = SwitchKind::kUcontext;
    } else {
      return reject("SPRIG_SWITCH", value, "asm or ucontext");
    }
  }
  if (const char *value = getenv("SPRIG_INHERIT"); value != nullptr) {
    if (strcmp(value, "1") == 0) {
      config->children_inherit_preload = true;
    } else if (strcmp(value, "0") == 0) {
      config->children_inherit_preload = false;
    } else {
      return reject("SPRIG_INHERIT", value, "1 or 0");
    }
  }
  return 0;
}

} // namespace sprig
