// parse_host_port: the bind syntax the TCP-like transports share.

#include <string>

#include <catch2/catch.hpp>

#include "config/config.hpp"

using ferry::config::Endpoint;
using ferry::config::parse_host_port;

TEST_CASE("parse_host_port accepts v4, bracketed v6 and hostnames", "[config][host_port]") {
  struct Row {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  const Row rows[] = {
      {"0.0.0.0:1883", "0.0.0.0", 1883},
      {"127.0.0.1:0", "127.0.0.1", 0},
      {"255.255.255.255:65535", "255.255.255.255", 65535},
      {"[::]:1883", "::", 1883},
      {"[::1]:1883", "::1", 1883},
      {"[fe80::1%eth0]:8883", "fe80::1%eth0", 8883},
      {"[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1", 1},
      {"localhost:1883", "localhost", 1883},
      {"broker.example.com:8883", "broker.example.com", 8883},
      {"my_host-1:42", "my_host-1", 42},
  };
  for (const Row& row : rows) {
    INFO(row.text);
    const auto endpoint = parse_host_port(row.text);
    REQUIRE(endpoint.has_value());
    CHECK(*endpoint == Endpoint{row.host, row.port});
  }
}

TEST_CASE("parse_host_port rejects malformed addresses", "[config][host_port]") {
  const char* rows[] = {
      "",                  // empty
      "0.0.0.0",           // missing port
      "0.0.0.0:",          // empty port
      ":1883",             // empty host
      "1.2.3:x",           // bad port, bad v4
      "1.2.3:1883",        // three-part v4
      "256.0.0.1:1883",    // octet out of range
      "0.0.0.0:65536",     // port out of range
      "0.0.0.0:-1",        // negative port
      "0.0.0.0:18 83",     // space
      "0.0.0.0:123456",    // too many digits
      "::1:1883",          // v6 without brackets
      "[::1]1883",         // no colon after bracket
      "[::1:1883",         // unclosed bracket
      "[]:1883",           // empty v6
      "[localhost]:1883",  // not v6 in brackets
      "host..name:1",      // empty label
      "-host:1",           // label starts with '-'
      "ho st:1",           // space in host
  };
  for (const char* text : rows) {
    INFO(text);
    CHECK_FALSE(parse_host_port(text).has_value());
  }
}

TEST_CASE("parse_mqtt_url: the gateway's upstream address", "[config][host_port]") {
  using ferry::config::parse_mqtt_url;
  CHECK(parse_mqtt_url("mqtt://broker.example:1884") == Endpoint{"broker.example", 1884});
  CHECK(parse_mqtt_url("mqtt://10.0.0.2") == Endpoint{"10.0.0.2", 1883});  // default port
  CHECK(parse_mqtt_url("mqtt://[::1]:2883/") == Endpoint{"::1", 2883});
  CHECK(parse_mqtt_url("mqtt://[::1]") == Endpoint{"::1", 1883});
  for (const char* bad :
       {"", "tcp://x:1", "mqtt://", "mqtt://x:0", "mqtt://x:70000", "mqtts://x:8883", "x:1883"}) {
    INFO(bad);
    CHECK_FALSE(parse_mqtt_url(bad));
  }
}
