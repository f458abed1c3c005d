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
  std::string url;  // mqtt://host:port or unix:///path
  std::string host = "localhost";
  std::uint16_t port = 1883;
  std::string topic;
  std::string message;
  int qos = 0;
  bool retain = false;
  std::string version = "5";  // 3.1, 3.1.1 or 5
  std::string client_id;
  std::string username;
  std::string password;
  int count = 0;            // sub: exit after this many messages (0 = forever); pub: repeat
  double timeout_s = 0;     // sub: exit after this long (0 = forever)
  bool clean = true;
  std::uint32_t session_expiry = 0;
  bool verbose = false;     // sub: print topic before payload
  std::uint16_t keep_alive = 60;
  std::vector<std::pair<std::string, std::string>> user_properties;
};

int publish_command(const ClientOptions& options);
int subscribe_command(const ClientOptions& options);

}  // namespace ferry::app
