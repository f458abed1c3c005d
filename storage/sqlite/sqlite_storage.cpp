#include "storage/sqlite/sqlite_storage.hpp"

#include "storage/sqlite/restore.hpp"
#include "storage/sqlite/writer.hpp"

namespace ferry::storage {

using namespace sqlite;

namespace {

/// The open group of this thread: its events wait here until end_group().
struct OpenGroup {
  const SqliteStorage* owner = nullptr;
  std::vector<Event> events;
};
thread_local OpenGroup t_group;

void submit(const SqliteStorage* self, Writer& writer, Event&& event) {
  if (t_group.owner == self) {
    t_group.events.push_back(std::move(event));
  } else {
    writer.push(std::move(event));
  }
}

}  // namespace

SqliteStorage::SqliteStorage(const SqliteOptions& options)
    : writer_(std::make_unique<Writer>(options)) {}

SqliteStorage::~SqliteStorage() = default;

void SqliteStorage::put_session(const SessionRecord& session) {
  submit(this, *writer_, PutSession{session});
}

void SqliteStorage::erase_session(const std::string& client_id) {
  submit(this, *writer_, EraseSession{client_id});
}

void SqliteStorage::put_subscription(const SubscriptionRecord& subscription) {
  submit(this, *writer_, PutSubscription{subscription});
}

void SqliteStorage::erase_subscription(const std::string& client_id, const std::string& filter) {
  submit(this, *writer_, EraseSubscription{client_id, filter});
}

void SqliteStorage::put_retained(const mqtt::MessagePtr& message) {
  submit(this, *writer_, PutRetained{message});
}

void SqliteStorage::put_message(const MessageRecord& message) {
  submit(this, *writer_, PutMessage{message});
}

void SqliteStorage::enqueue(const QueuedRecord& queued) {
  submit(this, *writer_, Enqueue{queued});
}

void SqliteStorage::dequeue(const std::string& client_id, MessageId message) {
  submit(this, *writer_, Dequeue{client_id, message});
}

void SqliteStorage::put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  submit(this, *writer_, PutInbound{client_id, packet_id});
}

void SqliteStorage::erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  submit(this, *writer_, EraseInbound{client_id, packet_id});
}

void SqliteStorage::put_topic(const TopicRecord& topic) {
  submit(this, *writer_, PutTopic{topic});
}

void SqliteStorage::erase_topic(const std::string& client_id, std::uint16_t topic_id) {
  submit(this, *writer_, EraseTopic{client_id, topic_id});
}

void SqliteStorage::commit(std::function<void(bool ok)> done) {
  submit(this, *writer_, Commit{std::move(done), false});
}

void SqliteStorage::begin_group() {
  t_group.owner = this;
}

void SqliteStorage::end_group() {
  if (t_group.owner != this) {
    return;
  }
  t_group.owner = nullptr;
  if (!t_group.events.empty()) {
    writer_->push_group(std::move(t_group.events));
    t_group.events.clear();
  }
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
