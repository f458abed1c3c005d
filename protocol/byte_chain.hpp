// An ordered chain of bytes to write: small pieces are copied into one arena, large shared
// payloads are referenced, so one encoded payload serves every subscriber without a copy
// and many packets leave in one gather write.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

class ByteChain {
 public:
  /// Payloads at least this long are referenced instead of copied.
  static constexpr std::size_t share_threshold = 256;

  void append(std::string_view bytes) {
    if (bytes.empty()) {
      return;
    }
    if (pieces_.empty() || pieces_.back().owner || pieces_.back().end() != arena_.size()) {
      pieces_.push_back(Piece{nullptr, arena_.size(), 0});
    }
    arena_.append(bytes);
    pieces_.back().length += bytes.size();
    size_ += bytes.size();
  }

  void append_shared(const std::shared_ptr<const std::string>& payload) {
    if (!payload || payload->empty()) {
      return;
    }
    if (payload->size() < share_threshold) {
      append(*payload);
      return;
    }
    pieces_.push_back(Piece{payload, 0, payload->size()});
    size_ += payload->size();
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t piece_count() const { return pieces_.size(); }

  /// Calls f(const char* data, size_t length) for each contiguous slice, in order.
  template <class F>
  void for_each_slice(F&& f) const {
    for (const auto& p : pieces_) {
      const char* base = p.owner ? p.owner->data() : arena_.data();
      f(base + p.offset, p.length);
    }
  }

  /// All bytes as one string (tests, small writes).
  std::string flatten() const {
    std::string out;
    out.reserve(size_);
    for_each_slice([&](const char* d, std::size_t n) { out.append(d, n); });
    return out;
  }

  void clear() {
    arena_.clear();
    pieces_.clear();
    size_ = 0;
  }

  /// Empties the chain and gives its memory back (after a burst, so an idle connection
  /// keeps no large buffer).
  void release() {
    std::string().swap(arena_);
    std::vector<Piece>().swap(pieces_);
    size_ = 0;
  }

  void swap(ByteChain& other) noexcept {
    arena_.swap(other.arena_);
    pieces_.swap(other.pieces_);
    std::swap(size_, other.size_);
  }

 private:
  struct Piece {
    std::shared_ptr<const std::string> owner;  // null: bytes live in arena_
    std::size_t offset = 0;
    std::size_t length = 0;
    std::size_t end() const { return offset + length; }
  };
  std::string arena_;
  std::vector<Piece> pieces_;
  std::size_t size_ = 0;
};

}  // namespace ferry
