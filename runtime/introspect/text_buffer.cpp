// text_buffer.cpp - printf-style appends into a growing buffer, and writing it out.
#include "text_buffer.hpp"

#include "sys.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sprig {

TextBuffer::~TextBuffer() { free(data_); }

bool TextBuffer::reserve(size_t more) {
  if (size_ + more + 1 <= capacity_) {
    return true;
  }
  size_t capacity = capacity_ == 0 ? 4096 : capacity_;
  while (capacity < size_ + more + 1) {
    capacity *= 2;
  }
  void *grown = realloc(data_, capacity);
  if (grown == nullptr) {
    truncated_ = true;
    return false;
  }
  data_ = static_cast<char *>(grown);
  capacity_ = capacity;
  return true;
}

void TextBuffer::append(const char *format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is right above
  int length = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (length < 0) {
    return;
  }
  if (static_cast<size_t>(length) < sizeof line) {
    append_bytes(line, static_cast<size_t>(length));
    return;
  }
  if (!reserve(static_cast<size_t>(length))) {
    return;
  }
  va_start(args, format);
  vsnprintf(data_ + size_, static_cast<size_t>(length) + 1, format, args);
  va_end(args);
  size_ += static_cast<size_t>(length);
}

void TextBuffer::append_bytes(const char *bytes, size_t length) {
  if (!reserve(length)) {
    return;
  }
  memcpy(data_ + size_, bytes, length);
  size_ += length;
  data_[size_] = '\0';
}

void TextBuffer::append_json_string(const char *text) {
  for (const char *c = text; *c != '\0'; ++c) {
    auto byte = static_cast<unsigned char>(*c);
    if (byte == '"' || byte == '\\') {
      char escaped[2] = {'\\', static_cast<char>(byte)};
      append_bytes(escaped, 2);
    } else if (byte < 0x20 || byte >= 0x7f) { // keeps the file valid JSON whatever the bytes
      append("\\u%04x", byte);
    } else {
      append_bytes(c, 1);
    }
  }
}

char *TextBuffer::release() {
  char *data = data_;
  data_ = nullptr;
  size_ = capacity_ = 0;
  return data;
}

int TextBuffer::write_to(int fd) const {
  size_t done = 0;
  while (done < size_) {
    long wrote = sys::write(fd, data_ + done, size_ - done);
    if (wrote == -EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return wrote < 0 ? static_cast<int>(wrote) : -EIO;
    }
    done += static_cast<size_t>(wrote);
  }
  return 0;
}

} // namespace sprig
