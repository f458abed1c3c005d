// storage::SqliteStorage: the durable Storage, one SQLite file in WAL mode.
//
// Every Storage call appends an event to an in-memory queue under a mutex and returns
// (no SQLite on the caller's thread). One writer thread drains the queue and applies
// the events in order, one transaction per batch (group commit: all the publishers
// whose events share a batch share one fsync), then runs the commit() callbacks of that
// batch: ok=true after COMMIT returned, ok=false if the batch failed.
//
// Sync policy (SqliteOptions::sync):
// - ack: synchronous=FULL; a COMMIT in WAL mode has fsynced the WAL, so `done(true)`
//   means the events are on disk.
// - periodic: synchronous=NORMAL and a batch is committed at most every
//   sync_interval_ms, so a commit() callback waits up to that interval (the broker does
//   not wait for it in this mode). A power loss can lose the last interval.
// - off: synchronous=OFF; batches commit as fast as ack, without fsync.
//
// A failed batch (disk full, I/O error) is rolled back; its callbacks get false,
// healthy() turns false, and its events are retried ahead of the next batch (and every
// 500 ms when nothing new arrives), so the store recovers by itself when space returns.
// Nothing is logged here: the broker reads failed_batches() and last_error().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/sqlite/storage_error.hpp"
#include "storage/storage.hpp"

namespace ferry::storage {

namespace sqlite {
class Writer;
}

struct SqliteOptions {
  std::filesystem::path file;
  enum class Sync { ack, periodic, off } sync = Sync::ack;
  std::uint32_t sync_interval_ms = 100;  // periodic: longest wait before a commit
  std::size_t max_batch = 4096;          // most queued events taken into one transaction
};

class SqliteStorage final : public Storage {
 public:
  /// Opens or creates `options.file` and starts the writer thread. Throws StorageError,
  /// naming the file or directory, when the directory is missing or read-only, the file
  /// is not a SQLite database or is corrupt (PRAGMA quick_check), belongs to another
  /// application, or has a schema newer than this build. Such a file is never modified.
  explicit SqliteStorage(const SqliteOptions& options);
  /// Writes everything queued (one last attempt for a failing batch), then stops.
  ~SqliteStorage() override;

  /// Storage events: any thread; queued for the writer thread, which applies them in
  /// the order they were queued.
  void put_session(const SessionRecord& session) override;
  void erase_session(const std::string& client_id) override;
  void put_subscription(const SubscriptionRecord& subscription) override;
  void erase_subscription(const std::string& client_id, const std::string& filter) override;
  void put_retained(const mqtt::MessagePtr& message) override;
  void put_message(const MessageRecord& message) override;
  void enqueue(const QueuedRecord& queued) override;
  void dequeue(const std::string& client_id, MessageId message) override;
  void put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) override;
  void erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) override;
  void put_topic(const TopicRecord& topic) override;
  void erase_topic(const std::string& client_id, std::uint16_t topic_id) override;
  /// Events of this thread's group are held back and queued in one piece, which the
  /// writer never splits between transactions.
  void begin_group() override;
  void end_group() override;
  /// `done` runs on the writer thread once the batch holding this call commits (true)
  /// or fails (false).
  void commit(std::function<void(bool ok)> done) override;
  /// Blocks until every event queued before the call has been written in a committed
  /// batch, or its batch failed (then healthy() is false and the events wait for retry).
  /// Does not wait for the periodic interval. Never call it from a commit callback or
  /// a restore visitor: it would wait for the writer, which is waiting for the caller.
  void flush() override;
  bool healthy() const override;
  /// flush(), then reads the tables back on the caller's thread in the contract's order.
  /// Stored wall-clock expiry becomes steady_clock again. Returns the highest MessageId
  /// ever stored in this file (kept even after its row is gone). Throws StorageError on
  /// a corrupt row.
  MessageId restore(const Visitor& visitor) override;

  /// Batches that failed and were rolled back, since start (for the broker to log).
  std::uint64_t failed_batches() const;
  /// Batches committed since start.
  std::uint64_t committed_batches() const;
  /// Text of the last failure ("FILE: database or disk is full"), empty if none.
  std::string last_error() const override;

  /// TEST HOOK ONLY: sets PRAGMA max_page_count on the writer's connection so that a
  /// test can make the "disk" full (SQLITE_FULL) and then give space back. SQLite never
  /// sets it below the current page count. Returns the limit in effect.
  std::uint64_t set_max_page_count_for_test(std::uint64_t pages);

 private:
  std::unique_ptr<sqlite::Writer> writer_;
};

}  // namespace ferry::storage
