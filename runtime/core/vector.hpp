// vector.hpp - a growable array of trivially copyable values on malloc, for a runtime without
// libstdc++.
#pragma once

#include "fatal.hpp"

#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace sprig {

template <typename T> class Vector {
  static_assert(std::is_trivially_copyable_v<T>, "Vector moves elements with memcpy");

public:
  Vector() = default;
  Vector(const Vector &) = delete;
  Vector &operator=(const Vector &) = delete;
  ~Vector() { free(data_); }

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T &operator[](size_t index) { return data_[index]; }
  const T &operator[](size_t index) const { return data_[index]; }
  T *begin() { return data_; }
  T *end() { return data_ + size_; }
  const T *begin() const { return data_; }
  const T *end() const { return data_ + size_; }

  void push_back(const T &value) {
    if (size_ == capacity_) {
      reserve(capacity_ == 0 ? 16 : capacity_ * 2);
    }
    data_[size_++] = value;
  }
  void pop_back() { --size_; }
  T &back() { return data_[size_ - 1]; }
  void clear() { size_ = 0; }

  // Grows to `count` elements; new ones are zero bytes.
  void resize(size_t count) {
    if (count > capacity_) {
      reserve(count);
    }
    if (count > size_) {
      memset(static_cast<void *>(data_ + size_), 0, (count - size_) * element_size());
    }
    size_ = count;
  }

  void reserve(size_t count) {
    if (count <= capacity_) {
      return;
    }
    void *grown = realloc(static_cast<void *>(data_), count * element_size());
    if (grown == nullptr) {
      fatal("out of memory growing a table to %zu entries", count);
    }
    data_ = static_cast<T *>(grown);
    capacity_ = count;
  }

  void swap(Vector &other) {
    T *data = data_;
    size_t size = size_;
    size_t capacity = capacity_;
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = data;
    other.size_ = size;
    other.capacity_ = capacity;
  }

private:
  // NOLINTNEXTLINE(bugprone-sizeof-expression): T is often a pointer, on purpose
  static constexpr size_t element_size() { return sizeof(T); }

  T *data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

} // namespace sprig
