// A small blocking MQTT client over TCP or a Unix socket, for `ferry pub` and `ferry sub`.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "protocol/mqtt/packet.hpp"

namespace ferry::app {

class BlockingClient {
 public:
  /// `url` is mqtt://host:port or unix:///path. Throws std::runtime_error on failure.
  BlockingClient(const std::string& url, mqtt::Version version);
  ~BlockingClient();

  void send(const mqtt::Packet& packet);
  /// Next packet, or nullopt when `timeout` passes first. Throws when the connection ends.
  std::optional<mqtt::Packet> receive(std::chrono::milliseconds timeout);
  /// Waits for a packet of type T, answering PINGREQ/PUBREL bookkeeping is the caller's.
  template <class T>
  T expect(std::chrono::milliseconds timeout);
  mqtt::Version version() const { return version_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  mqtt::Version version_;
};

template <class T>
T BlockingClient::expect(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error("timed out waiting for the broker");
    }
    auto packet = receive(left);
    if (packet && std::holds_alternative<T>(*packet)) {
      return std::get<T>(std::move(*packet));
    }
    if (packet && std::holds_alternative<mqtt::Disconnect>(*packet)) {
      throw std::runtime_error(
          "broker sent DISCONNECT, reason 0x" +
          std::to_string(static_cast<int>(std::get<mqtt::Disconnect>(*packet).reason)));
    }
  }
}

}  // namespace ferry::app
