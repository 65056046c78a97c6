// fatal.cpp - print one line and abort.
#include "fatal.hpp"

#include "sys.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace sprig {

void fatal(const char *format, ...) {
  char line[512];
  int used = snprintf(line, sizeof line, "sprig: fatal: ");
  va_list args;
  va_start(args, format);
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is right above
  vsnprintf(line + used, sizeof line - static_cast<size_t>(used) - 1, format, args);
  va_end(args);
  size_t length = 0;
  while (line[length] != '\0') {
    ++length;
  }
  line[length++] = '\n';
  // A raw write(2), not stdio (this may run with stdio locks held) and not
  // an interposed write (this may run on a green thread).
  sys::write(STDERR_FILENO, line, length);
  abort();
}

} // namespace sprig
