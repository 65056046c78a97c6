// fatal.hpp - the runtime's one way to die on a broken invariant.
#pragma once

namespace sprig {

// Prints "sprig: fatal: <message>" to stderr and aborts.
[[noreturn]] void fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));

} // namespace sprig
