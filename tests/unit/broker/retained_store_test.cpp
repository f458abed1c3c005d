#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/retained_store.hpp"

namespace ferry::broker {
namespace {

MessagePtr retained(std::string topic, std::string payload) {
  auto message = std::make_shared<Message>();
  message->topic = std::move(topic);
  message->payload = std::make_shared<const mqtt::Bytes>(std::move(payload));
  message->retain = true;
  return message;
}

std::vector<std::string> topics(const RetainedStore& store, std::string_view filter) {
  std::vector<MessagePtr> out;
  store.match(filter, out);
  std::vector<std::string> names;
  for (const auto& message : out) {
    names.push_back(message->topic);
  }
  std::sort(names.begin(), names.end());
  return names;
}

using Names = std::vector<std::string>;

RetainedStore sample_store() {
  RetainedStore store;
  for (const char* topic : {"a", "a/b", "a/b/c", "a/c", "a//c", "/a", "b/x/temp", "b/y/temp",
                            "b/y/hum", "$SYS/uptime", "$SYS/broker/load"}) {
    store.set(retained(topic, "v"));
  }
  return store;
}

}  // namespace

TEST_CASE("retained: set replaces and erases, with size and bytes", "[retained]") {
  RetainedStore store;
  CHECK(store.size() == 0);
  CHECK(store.bytes() == 0);
  CHECK(store.set(retained("a/b", "hello")));
  CHECK(store.size() == 1);
  CHECK(store.bytes() == 3 + 5);
  CHECK(store.set(retained("a/b", "hi")));  // replace [MQTT-3.3.1-5]
  CHECK(store.size() == 1);
  CHECK(store.bytes() == 3 + 2);
  REQUIRE(topics(store, "a/b") == Names{"a/b"});
  std::vector<MessagePtr> out;
  store.match("a/b", out);
  CHECK(*out.at(0)->payload == "hi");

  CHECK(store.set(retained("a", "xyz")));
  CHECK(store.bytes() == 5 + 4);
  CHECK(store.set(retained("a/b", "")));  // empty payload erases [MQTT-3.3.1-6]
  CHECK(store.size() == 1);
  CHECK(store.bytes() == 4);
  CHECK(topics(store, "a/b").empty());
  CHECK(topics(store, "a") == Names{"a"});      // the parent stays
  CHECK_FALSE(store.set(retained("a/b", "")));  // nothing to erase: no change
  CHECK_FALSE(store.set(retained("nope/x", "")));
  CHECK_FALSE(store.set(nullptr));
  CHECK(store.set(retained("a", "")));
  CHECK(store.size() == 0);
  CHECK(store.bytes() == 0);
}

TEST_CASE("retained: a message with a null payload is an erase", "[retained]") {
  RetainedStore store;
  store.set(retained("t", "1"));
  auto message = std::make_shared<Message>();
  message->topic.assign(1, 't');
  CHECK(store.set(message));  // [MQTT-3.3.1-7]: not stored
  CHECK(store.size() == 0);
}

TEST_CASE("retained: wildcard matching", "[retained]") {
  const RetainedStore store = sample_store();
  CHECK(store.size() == 11);
  CHECK(topics(store, "a/b") == Names{"a/b"});
  CHECK(topics(store, "a/+") == Names{"a/b", "a/c"});
  CHECK(topics(store, "a/#") == Names{"a", "a//c", "a/b", "a/b/c", "a/c"});
  CHECK(topics(store, "a/+/c") == Names{"a//c", "a/b/c"});
  CHECK(topics(store, "+") == Names{"a"});
  CHECK(topics(store, "+/a") == Names{"/a"});
  CHECK(topics(store, "/#") == Names{"/a"});
  CHECK(topics(store, "b/+/temp") == Names{"b/x/temp", "b/y/temp"});
  CHECK(topics(store, "b/y/+") == Names{"b/y/hum", "b/y/temp"});
  CHECK(topics(store, "+/+/temp") == Names{"b/x/temp", "b/y/temp"});
  CHECK(topics(store, "c/#").empty());
  CHECK(topics(store, "a/b/c/d").empty());
  CHECK(topics(store, "a/b/c/+").empty());
}

TEST_CASE("retained: '$' topics need an explicit first level", "[retained]") {
  const RetainedStore store = sample_store();
  const auto all = topics(store, "#");
  CHECK(all.size() == 9);  // [MQTT-4.7.2-1]
  CHECK(std::none_of(all.begin(), all.end(), [](auto& t) { return t[0] == '$'; }));
  CHECK(topics(store, "+/uptime").empty());
  CHECK(topics(store, "+/broker/+").empty());
  CHECK(topics(store, "$SYS/#") == Names{"$SYS/broker/load", "$SYS/uptime"});
  CHECK(topics(store, "$SYS/+") == Names{"$SYS/uptime"});
  CHECK(topics(store, "$SYS/uptime") == Names{"$SYS/uptime"});
}

TEST_CASE("retained: erase prunes empty branches and keeps siblings", "[retained]") {
  RetainedStore store = sample_store();
  CHECK(store.set(retained("a/b/c", "")));
  CHECK(store.set(retained("a/b", "")));
  CHECK(topics(store, "a/#") == Names{"a", "a//c", "a/c"});
  CHECK(store.set(retained("a/b/c", "again")));
  CHECK(topics(store, "a/+/+") == Names{"a//c", "a/b/c"});
}

TEST_CASE("retained: for_each visits every message once", "[retained]") {
  const RetainedStore store = sample_store();
  std::vector<std::string> seen;
  std::size_t bytes = 0;
  store.for_each([&](const MessagePtr& message) {
    seen.push_back(message->topic);
    bytes += message->topic.size() + message->payload_size();
  });
  CHECK(seen.size() == store.size());
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(bytes == store.bytes());
}

}  // namespace ferry::broker
