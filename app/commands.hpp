// The `ferry` subcommands.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ferry::app {

int run_broker(const std::string& config_path);
int check_config(const std::string& config_path);

struct ClientOptions {
  std::string url;  // mqtt://host:port, unix:///path or mqttsn://host:port
  std::string host = "localhost";
  std::uint16_t port = 1883;
  std::string topic;
  std::string message;
  int qos = 0;  // -1 only for MQTT-SN pub
  bool retain = false;
  std::string version = "5";  // 3.1, 3.1.1 or 5
  std::string client_id;
  std::string username;
  std::string password;
  int count = 0;         // sub: exit after this many messages (0 = forever); pub: repeat
  double timeout_s = 0;  // sub: exit after this long (0 = forever)
  bool clean = true;
  std::uint32_t session_expiry = 0;
  bool verbose = false;  // sub: print topic before payload
  std::uint16_t keep_alive = 60;
  std::vector<std::pair<std::string, std::string>> user_properties;
  // MQTT-SN only:
  std::uint16_t topic_id = 0;  // predefined topic id (0 = use the topic name)
  bool short_topic = false;    // send the 2-character topic as a short topic name
  int sleep_s = 0;             // sub: sleep with this duration, waking up to receive
};

int publish_command(const ClientOptions& options);
int subscribe_command(const ClientOptions& options);
/// The same commands over MQTT-SN 1.2, for mqttsn://host:port URLs.
int sn_publish_command(const ClientOptions& options);
int sn_subscribe_command(const ClientOptions& options);

}  // namespace ferry::app
