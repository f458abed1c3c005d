// Topic names, filters, shared subscriptions, matching and UTF-8 rules.
#include <catch2/catch.hpp>

#include <string>

#include "protocol/mqtt/topic.hpp"

using namespace ferry::mqtt;

TEST_CASE("valid_utf8", "[topic][utf8]") {
  struct Case {
    std::string text;
    bool ok;
  };
  const Case cases[] = {
      {"", true},
      {"plain ascii topic/with/levels", true},
      {"\xC3\xA9", true},               // U+00E9
      {"\xE2\x82\xAC", true},           // U+20AC
      {"\xF0\x9F\x98\x80", true},       // U+1F600
      {"\xEF\xBF\xBF", true},           // U+FFFF (non-character, allowed)
      {"\xF4\x8F\xBF\xBF", true},       // U+10FFFF
      {"\xED\x9F\xBF", true},           // U+D7FF, just below the surrogates
      {std::string("a\0b", 3), false},  // U+0000 [MQTT-1.5.4-2]
      {std::string(9, '\0'), false},    // in the word-at-a-time path
      {"\xC0\x80", false},              // overlong U+0000
      {"\xC1\xBF", false},              // overlong
      {"\xE0\x80\xAF", false},          // overlong '/'
      {"\xF0\x8F\xBF\xBF", false},      // overlong U+FFFF
      {"\xED\xA0\x80", false},          // U+D800 surrogate [MQTT-1.5.4-1]
      {"\xED\xBF\xBF", false},          // U+DFFF surrogate
      {"\xF4\x90\x80\x80", false},      // above U+10FFFF
      {"\xF5\x80\x80\x80", false},      // invalid lead
      {"\x80", false},                  // lone continuation
      {"\xC3", false},                  // truncated
      {"\xE2\x82", false},              // truncated
      {"abcdefgh\xE2\x28\xA1", false},  // bad continuation after an ASCII word
      {"abcdefghijklmnop\xC3\xA9xyz", true},
      {"\xFF", false},
  };
  for (const Case& c : cases) {
    INFO("case of size " << c.text.size());
    CHECK(valid_utf8(c.text) == c.ok);
  }
  CHECK(valid_utf8(std::string(65535, 'a')));
  CHECK_FALSE(valid_utf8(std::string(65536, 'a')));
}

TEST_CASE("valid_topic_name", "[topic]") {
  CHECK(valid_topic_name("a"));
  CHECK(valid_topic_name("/"));
  CHECK(valid_topic_name("a//b/"));
  CHECK(valid_topic_name("$SYS/broker/uptime"));
  CHECK(valid_topic_name("sport/tennis/player1"));
  CHECK(valid_topic_name("\xE2\x82\xAC/x"));
  CHECK(valid_topic_name(" "));
  CHECK_FALSE(valid_topic_name(""));
  CHECK_FALSE(valid_topic_name("a/+"));
  CHECK_FALSE(valid_topic_name("a/#"));
  CHECK_FALSE(valid_topic_name("a+b"));
  CHECK_FALSE(valid_topic_name(std::string("a\0", 2)));
}

TEST_CASE("valid_topic_filter", "[topic]") {
  struct Case {
    const char* filter;
    bool ok;
  };
  const Case cases[] = {
      {"#", true},
      {"+", true},
      {"/", true},
      {"a/b", true},
      {"a/+/c", true},
      {"+/+", true},
      {"/+", true},
      {"a/#", true},
      {"+/tennis/#", true},
      {"$SYS/#", true},
      {"a//b", true},
      {"$share", true},  // not a shared filter: no '/' after the prefix
      {"$share/g/a/+", true},
      {"$share/g/#", true},
      {"$share/group-1/+/x", true},
      {"", false},
      {"a/#/b", false},
      {"a#", false},
      {"a/b#", false},
      {"#/", false},
      {"a+", false},
      {"a/+b", false},
      {"++", false},
      {"$share/", false},
      {"$share/g", false},
      {"$share/g/", false},
      {"$share//a", false},
      {"$share/g+/a", false},
      {"$share/g#/a", false},
      {"$share/g/a/#/b", false},
      {"$share/g/$share/h/a", false},
  };
  for (const Case& c : cases) {
    INFO(c.filter);
    CHECK(valid_topic_filter(c.filter) == c.ok);
  }
  CHECK_FALSE(valid_topic_filter("\xED\xA0\x80/a"));
}

TEST_CASE("parse_shared and is_shared_prefix", "[topic][shared]") {
  auto s = parse_shared("$share/consumers/sensors/+/temp");
  REQUIRE(s);
  CHECK(s->group == "consumers");
  CHECK(s->filter == "sensors/+/temp");
  s = parse_shared("$share/g/#");
  REQUIRE(s);
  CHECK(s->filter == "#");
  CHECK_FALSE(parse_shared("a/b"));
  CHECK_FALSE(parse_shared("$share/g"));
  CHECK_FALSE(parse_shared("$share//x"));
  CHECK_FALSE(parse_shared("$share/g+/x"));
  CHECK_FALSE(parse_shared("$share/g/a#"));
  CHECK(is_shared_prefix("$share/g/x"));
  CHECK(is_shared_prefix("$share/"));
  CHECK_FALSE(is_shared_prefix("$share"));
  CHECK_FALSE(is_shared_prefix("$SHARE/g/x"));
  CHECK_FALSE(is_shared_prefix("a/$share/g"));
}

TEST_CASE("topic_matches", "[topic][match]") {
  struct Case {
    const char* filter;
    const char* topic;
    bool match;
  };
  const Case cases[] = {
      // [MQTT 4.7.1.2] multi-level wildcard
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"#", "a", true},
      {"#", "a/b/c", true},
      {"#", "/", true},
      {"a/#", "a/", true},
      {"a/#", "ab", false},
      {"a/#", "b/a", false},
      // [MQTT 4.7.1.3] single-level wildcard
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player2", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+", "a", true},
      {"+", "a/b", false},
      {"+", "/", false},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      {"a/+/c", "a//c", true},
      {"a/+/c", "a/b/c", true},
      {"a/+/c", "a/b/d", false},
      {"+/b/#", "a/b", true},
      {"+/b/#", "a/b/c/d", true},
      {"a/+/#", "a", false},
      {"a/+/#", "a/b", true},
      // exact
      {"a/b", "a/b", true},
      {"a/b", "a/b/", false},
      {"a/b/", "a/b", false},
      {"a/b", "a", false},
      {"a", "a/b", false},
      {"A", "a", false},
      {"/", "/", true},
      {"//", "//", true},
      // [MQTT-4.7.2-1] '$' topics
      {"#", "$SYS/broker/uptime", false},
      {"+/broker/uptime", "$SYS/broker/uptime", false},
      {"+", "$SYS", false},
      {"$SYS/#", "$SYS/broker/uptime", true},
      {"$SYS/#", "$SYS", true},
      {"$SYS/+/uptime", "$SYS/broker/uptime", true},
      {"$SYS/broker/uptime", "$SYS/broker/uptime", true},
      {"a/#", "a/$b", true},  // only the first level is special
      {"+/$b", "a/$b", true},
  };
  for (const Case& c : cases) {
    INFO(c.filter << " vs " << c.topic);
    CHECK(topic_matches(c.filter, c.topic) == c.match);
  }
}
