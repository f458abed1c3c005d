// A list of outgoing messages that costs one pointer while it is empty.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <list>
#include <memory>
#include <utility>

#include "protocol/mqtt/outgoing.hpp"

namespace ferry::mqtt {

/// The std::list subset a session's in-flight window and queue use, behind one pointer:
/// the list is allocated by the first insert and freed when the last element leaves
/// (pop_front, erase, clear). Most sessions have nothing in flight or queued almost all
/// the time, and an idle session's memory is a benchmark target: 8 bytes instead of 24.
///
/// Unlike std::list, iterators (end() included) do not survive the list becoming
/// non-empty or empty: the first insert and the last removal invalidate them all. An
/// unallocated list's begin() and end() are those of one shared, never modified, empty
/// std::list (value-initialized iterators would do by the standard, but libstdc++'s debug
/// mode rejects them as a range).
class OutgoingList {
 public:
  using List = std::list<Outgoing>;
  using iterator = List::iterator;
  using const_iterator = List::const_iterator;
  using value_type = Outgoing;

  OutgoingList() = default;
  OutgoingList(std::initializer_list<Outgoing> items) {
    if (items.size() != 0) {
      list_ = std::make_unique<List>(items);
    }
  }
  OutgoingList& operator=(std::initializer_list<Outgoing> items) {
    OutgoingList(items).swap(*this);
    return *this;
  }

  /// Not just !allocated(): an insert that threw std::bad_alloc may leave an empty list.
  bool empty() const { return !list_ || list_->empty(); }
  std::size_t size() const { return list_ ? list_->size() : 0; }
  /// True while the list holds memory of its own; false again once pop_front, erase or
  /// clear have emptied it.
  bool allocated() const { return list_ != nullptr; }

  // Not empty:
  Outgoing& front() { return list_->front(); }
  const Outgoing& front() const { return list_->front(); }
  Outgoing& back() { return list_->back(); }
  const Outgoing& back() const { return list_->back(); }

  void push_back(const Outgoing& item) { list().push_back(item); }
  void push_back(Outgoing&& item) { list().push_back(std::move(item)); }
  void push_front(const Outgoing& item) { list().push_front(item); }
  void push_front(Outgoing&& item) { list().push_front(std::move(item)); }

  /// Not empty.
  void pop_front() {
    list_->pop_front();
    free_if_empty();
  }
  /// `it` points at an element. Returns the element after it, or end(); the list is freed
  /// if `it` was its only element.
  iterator erase(const_iterator it) {
    iterator next = list_->erase(it);
    return free_if_empty() ? no_elements().end() : next;
  }
  void clear() { list_.reset(); }
  void swap(OutgoingList& other) noexcept { list_.swap(other.list_); }

  iterator begin() { return (list_ ? *list_ : no_elements()).begin(); }
  iterator end() { return (list_ ? *list_ : no_elements()).end(); }
  const_iterator begin() const { return (list_ ? *list_ : no_elements()).cbegin(); }
  const_iterator end() const { return (list_ ? *list_ : no_elements()).cend(); }

 private:
  /// What an unallocated list's iterators point into. Shared by all threads: begin() and
  /// end() do not modify a std::list, nor does anything else done with an empty range.
  static List& no_elements() {
    static List empty;
    return empty;
  }
  List& list() {
    if (!list_) {
      list_ = std::make_unique<List>();
    }
    return *list_;
  }
  /// True if the list was empty and is freed.
  bool free_if_empty() {
    if (!list_->empty()) {
      return false;
    }
    list_.reset();
    return true;
  }

  std::unique_ptr<List> list_;  // null while empty
};

}  // namespace ferry::mqtt
