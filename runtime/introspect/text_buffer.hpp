// text_buffer.hpp - a growable text buffer for reports (thread dumps, statistics, the trace file).
#pragma once

#include <cstddef>

namespace sprig {

// Text built with printf-style appends into malloc'ed memory. An append that
// cannot grow the buffer marks it truncated and is dropped: a report is
// never worth failing for.
class TextBuffer {
public:
  TextBuffer() = default;
  TextBuffer(const TextBuffer &) = delete;
  TextBuffer &operator=(const TextBuffer &) = delete;
  ~TextBuffer();

  void append(const char *format, ...) __attribute__((format(printf, 2, 3)));
  void append_bytes(const char *bytes, size_t length);
  // Appends `text` as the inside of a JSON string (quotes and controls escaped).
  void append_json_string(const char *text);

  const char *data() const { return data_ != nullptr ? data_ : ""; }
  size_t size() const { return size_; }
  bool truncated() const { return truncated_; }
  void clear() { size_ = 0; }
  // Hands the memory to the caller (free() it); the buffer is empty after.
  char *release();

  // Writes everything to fd with raw write(2) calls. Returns 0 or -errno.
  int write_to(int fd) const;

private:
  bool reserve(size_t more);

  char *data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool truncated_ = false;
};

} // namespace sprig
