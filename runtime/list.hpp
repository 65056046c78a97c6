// list.hpp - an intrusive doubly linked FIFO list; elements carry their own links.
#pragma once

#include <cstddef>

namespace sprig {

// The links of one list membership. A type that sits on several kinds of list
// derives from one tag type per kind (struct RunLink : ListNode {}), so the
// element is recovered from its links with a static_cast, no offsetof tricks.
struct ListNode {
  ListNode *prev = nullptr;
  ListNode *next = nullptr;

  bool linked() const { return next != nullptr; }
};

// A FIFO of T, linked through T's base `Tag`. No allocation; O(1) push, pop
// and unlink.
template <typename T, typename Tag = ListNode> class IntrusiveList {
public:
  IntrusiveList() { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList &) = delete;
  IntrusiveList &operator=(const IntrusiveList &) = delete;

  bool empty() const { return head_.next == &head_; }
  size_t size() const { return size_; }

  void push_back(T *item) {
    ListNode *node = static_cast<Tag *>(item);
    node->prev = head_.prev;
    node->next = &head_;
    head_.prev->next = node;
    head_.prev = node;
    ++size_;
  }

  T *front() const { return empty() ? nullptr : owner(head_.next); }

  T *pop_front() {
    if (empty()) {
      return nullptr;
    }
    T *item = owner(head_.next);
    unlink(item);
    return item;
  }

  void unlink(T *item) {
    ListNode *node = static_cast<Tag *>(item);
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = nullptr;
    --size_;
  }

  // Calls fn on each element, front to back; fn may unlink the element it got.
  template <typename Fn> void for_each(Fn fn) const {
    for (ListNode *node = head_.next; node != &head_;) {
      ListNode *next = node->next;
      fn(owner(node));
      node = next;
    }
  }

private:
  static T *owner(ListNode *node) { return static_cast<T *>(static_cast<Tag *>(node)); }

  ListNode head_;
  size_t size_ = 0;
};

} // namespace sprig
