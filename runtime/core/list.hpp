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
// and unlink. All-zero bytes are a valid empty list (the circular head is
// made on first push), so a list can live inside a statically initialised
// pthread object; 16 bytes, no element count.
template <typename T, typename Tag = ListNode> class IntrusiveList {
public:
  IntrusiveList() = default;
  IntrusiveList(const IntrusiveList &) = delete;
  IntrusiveList &operator=(const IntrusiveList &) = delete;

  bool empty() const { return head_.next == nullptr || head_.next == &head_; }

  // Forgets every element without touching it (after fork, in the child,
  // where the elements belong to threads that no longer exist).
  void abandon_all() { head_.prev = head_.next = nullptr; }

  void push_back(T *item) {
    if (head_.next == nullptr) {
      head_.prev = head_.next = &head_;
    }
    ListNode *node = static_cast<Tag *>(item);
    node->prev = head_.prev;
    node->next = &head_;
    head_.prev->next = node;
    head_.prev = node;
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
  }

  // Calls fn on each element, front to back; fn may unlink the element it got.
  template <typename Fn> void for_each(Fn fn) const {
    if (head_.next == nullptr) {
      return;
    }
    for (ListNode *node = head_.next; node != &head_;) {
      ListNode *next = node->next;
      fn(owner(node));
      node = next;
    }
  }

private:
  static T *owner(ListNode *node) { return static_cast<T *>(static_cast<Tag *>(node)); }

  ListNode head_;
};

} // namespace sprig
