#include "storage/sqlite/sqlite_storage.hpp"

#include "storage/sqlite/restore.hpp"
#include "storage/sqlite/writer.hpp"

namespace ferry::storage {

using namespace sqlite;

SqliteStorage::SqliteStorage(const SqliteOptions& options)
    : writer_(std::make_unique<Writer>(options)) {}

SqliteStorage::~SqliteStorage() = default;

void SqliteStorage::put_session(const SessionRecord& session) {
  writer_->push(PutSession{session});
}

void SqliteStorage::erase_session(const std::string& client_id) {
  writer_->push(EraseSession{client_id});
}

void SqliteStorage::put_subscription(const SubscriptionRecord& subscription) {
  writer_->push(PutSubscription{subscription});
}

void SqliteStorage::erase_subscription(const std::string& client_id, const std::string& filter) {
  writer_->push(EraseSubscription{client_id, filter});
}

void SqliteStorage::put_retained(const mqtt::MessagePtr& message) {
  writer_->push(PutRetained{message});
}

void SqliteStorage::put_message(const MessageRecord& message) {
  writer_->push(PutMessage{message});
}

void SqliteStorage::enqueue(const QueuedRecord& queued) {
  writer_->push(Enqueue{queued});
}

void SqliteStorage::dequeue(const std::string& client_id, MessageId message) {
  writer_->push(Dequeue{client_id, message});
}

void SqliteStorage::put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  writer_->push(PutInbound{client_id, packet_id});
}

void SqliteStorage::erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  writer_->push(EraseInbound{client_id, packet_id});
}

void SqliteStorage::commit(std::function<void(bool ok)> done) {
  writer_->push(Commit{std::move(done), false});
}

void SqliteStorage::flush() {
  writer_->flush();
}

bool SqliteStorage::healthy() const {
  return writer_->healthy();
}

std::uint64_t SqliteStorage::failed_batches() const {
  return writer_->failed_batches();
}

std::uint64_t SqliteStorage::committed_batches() const {
  return writer_->committed_batches();
}

std::string SqliteStorage::last_error() const {
  return writer_->last_error();
}

std::uint64_t SqliteStorage::set_max_page_count_for_test(std::uint64_t pages) {
  return writer_->with_database([&](Database& db, Statements&) {
    return static_cast<std::uint64_t>(
        db.query_int("PRAGMA max_page_count = " + std::to_string(pages)));
  });
}

MessageId SqliteStorage::restore(const Visitor& visitor) {
  writer_->flush();
  return writer_->with_database([&](Database&, Statements& st) { return read_all(st, visitor); });
}

}  // namespace ferry::storage
