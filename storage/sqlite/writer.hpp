// The SQLite store's queue and writer thread: callers push events; the thread takes
// them in batches and writes each batch in one transaction. Internal to storage/sqlite.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/database.hpp"
#include "storage/sqlite/events.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "storage/sqlite/statements.hpp"

namespace ferry::storage::sqlite {

class FileLock;

class Writer {
 public:
  /// Opens and checks the database, migrates it, prepares the statements and starts
  /// the thread. Throws StorageError.
  explicit Writer(const SqliteOptions& options);
  /// Writes what is queued, then joins the thread.
  ~Writer();

  /// Any thread: queues `event` (wakes the writer when it was idle).
  void push(Event&& event);
  /// Any thread: queues `events` in one piece; they land in one transaction.
  void push_group(std::vector<Event>&& events);
  /// Any thread: waits for the batch that holds a marker queued now.
  void flush();

  /// Runs `f(Database&, Statements&)` on the caller's thread while the writer is not
  /// inside a batch (restore, test hooks).
  template <class F>
  auto with_database(F&& f) {
    std::lock_guard lock(db_mutex_);
    return f(*db_, *statements_);
  }

  bool healthy() const { return healthy_.load(std::memory_order_acquire); }
  std::uint64_t failed_batches() const { return failed_batches_.load(); }
  std::uint64_t committed_batches() const { return committed_batches_.load(); }
  std::string last_error() const;

 private:
  void run();
  /// Waits for work and moves up to max_batch events into `out` (more rather than split
  /// a group). Returns false once
  /// stopping with nothing left to take.
  bool take(std::vector<Event>& out, bool retrying);
  bool due(std::chrono::steady_clock::time_point now, bool retrying) const;
  /// BEGIN, every event, COMMIT; on a DbError, ROLLBACK and false.
  bool write(const std::vector<Event>& batch);
  /// Runs the batch's callbacks; keeps its other events in `batch` for retry if failed.
  void finish(std::vector<Event>& batch, bool ok);

  const SqliteOptions options_;
  std::unique_ptr<FileLock> lock_;  // first taken, last released: one process per file
  std::unique_ptr<Database> db_;
  std::unique_ptr<Statements> statements_;
  std::mutex db_mutex_;  // the connection: writer batches vs restore / test hooks
  std::int64_t next_seq_ = 0;

  std::mutex mutex_;  // the queue and the fields below it
  std::condition_variable wake_;
  std::vector<Event> queue_;
  std::vector<bool> joined_;  // per queued event: the next one is of the same group
  std::size_t urgent_ = 0;    // flush markers in queue_
  bool stop_ = false;
  std::chrono::steady_clock::time_point next_commit_{};  // periodic mode
  std::chrono::steady_clock::time_point retry_at_{};

  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> failed_batches_{0};
  std::atomic<std::uint64_t> committed_batches_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace ferry::storage::sqlite
