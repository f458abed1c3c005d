// A small blocking MQTT-SN 1.2 client over UDP, for `ferry pub` and `ferry sub` with an
// mqttsn://host:port URL. One connected UDP socket; protocol/sn's codec does the bytes.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "protocol/sn/packet.hpp"

namespace ferry::app {

class SnBlockingClient {
 public:
  /// Resend interval and attempts for the client's own QoS 1/2 messages and requests.
  static constexpr std::chrono::milliseconds retry_interval{2000};
  static constexpr int max_attempts = 5;

  /// `url` is mqttsn://host:port (port 1884 when absent). Throws std::runtime_error.
  explicit SnBlockingClient(const std::string& url);
  ~SnBlockingClient();
  SnBlockingClient(const SnBlockingClient&) = delete;
  SnBlockingClient& operator=(const SnBlockingClient&) = delete;

  void send(const sn::Message& message);
  /// The next message (first from the backlog of messages set aside by request()), or
  /// nullopt when `timeout` passes. Datagrams that do not decode are skipped.
  std::optional<sn::Message> receive(std::chrono::milliseconds timeout);
  /// Sends `message` and waits for a reply that `match` accepts, resending it (with DUP set
  /// on a PUBLISH) every retry_interval, max_attempts times in all. Other messages that
  /// arrive meanwhile are kept for receive(). Throws when no reply comes.
  sn::Message request(sn::Message message, const std::function<bool(const sn::Message&)>& match,
                      const char* what);

 private:
  std::optional<sn::Message> read_datagram(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::deque<sn::Message> backlog_;
};

}  // namespace ferry::app
