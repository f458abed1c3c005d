// Helpers shared by the storage tests: a temporary database path, message builders and
// a visitor that collects everything restore() replays.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "storage/storage.hpp"

namespace ferry::storage::test {

/// A unique database path under the system temp directory; the file and its -wal/-shm
/// companions are removed on destruction.
class TempDb {
 public:
  TempDb() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("ferry-storage-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
             "-" + std::to_string(rd()) + ".db");
  }
  ~TempDb() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal", "-lock"}) {
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline mqtt::MessagePtr message(const std::string& topic, const std::string& payload,
                                std::uint8_t qos = 1, bool retain = false) {
  auto m = std::make_shared<mqtt::Message>();
  m->topic = topic;
  m->payload = std::make_shared<const mqtt::Bytes>(payload);
  m->qos = qos;
  m->retain = retain;
  return m;
}

inline mqtt::MessagePtr retained(const std::string& topic, const std::string& payload) {
  return message(topic, payload, 0, true);
}

/// Every Properties field set, including ones a PUBLISH never carries: the stores keep
/// whatever they are given.
inline mqtt::Properties all_properties() {
  mqtt::Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 3600;
  p.content_type = "application/json";
  p.response_topic = "reply/here";
  p.correlation_data = std::string("\x00\x01\xFF corr", 8);
  p.subscription_identifiers = {1, 127, 128, 16384, 268435455};
  p.session_expiry_interval = 0xFFFFFFFF;
  p.assigned_client_identifier = "assigned";
  p.server_keep_alive = 65535;
  p.authentication_method = "SCRAM-SHA-1";
  p.authentication_data = std::string("\x00auth", 5);
  p.request_problem_information = 0;
  p.will_delay_interval = 30;
  p.request_response_information = 1;
  p.response_information = "info";
  p.server_reference = "other.example:1883";
  p.reason_string = "because";
  p.receive_maximum = 20;
  p.topic_alias_maximum = 10;
  p.topic_alias = 3;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.user_properties = {{"k", "v"}, {"k", "v2"}, {"", ""}, {"\xC3\xA9", "\xE2\x82\xAC"}};
  p.maximum_packet_size = 1048576;
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;
  return p;
}

struct Restored {
  std::vector<SessionRecord> sessions;
  std::vector<SubscriptionRecord> subscriptions;
  std::vector<mqtt::MessagePtr> retained;
  std::vector<MessageRecord> messages;
  std::vector<QueuedRecord> queued;
  std::vector<std::pair<std::string, std::uint16_t>> inbound;
  std::vector<TopicRecord> topics;
  MessageId highest = 0;
};

using Topics = std::vector<std::string>;

/// The restored topic rows as "client id topic" strings: one CHECK compares them all and
/// prints them readably when it fails.
inline Topics topics_of(const Restored& r) {
  Topics out;
  for (const auto& t : r.topics) {
    out.push_back(t.client_id + " " + std::to_string(t.topic_id) + " " + t.topic);
  }
  return out;
}

inline Restored restore_all(Storage& s) {
  Restored r;
  Storage::Visitor v;
  v.session = [&](SessionRecord&& x) { r.sessions.push_back(std::move(x)); };
  v.subscription = [&](SubscriptionRecord&& x) { r.subscriptions.push_back(std::move(x)); };
  v.retained = [&](mqtt::MessagePtr&& x) { r.retained.push_back(std::move(x)); };
  v.message = [&](MessageRecord&& x) { r.messages.push_back(std::move(x)); };
  v.queued = [&](QueuedRecord&& x) { r.queued.push_back(std::move(x)); };
  v.inbound_qos2 = [&](const std::string& c, std::uint16_t id) { r.inbound.emplace_back(c, id); };
  v.topic = [&](TopicRecord&& x) { r.topics.push_back(std::move(x)); };
  r.highest = s.restore(v);
  return r;
}

}  // namespace ferry::storage::test
