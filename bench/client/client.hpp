// One MQTT client connection of the load generator: connects over TCP or a Unix socket,
// sends CONNECT, reads and frames with ferry_protocol's codec, answers the QoS 1/2
// handshakes a subscriber owes, and batches writes (everything queued while a write is
// in flight goes out in the next one). Used from its io_context's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/mqtt/packet.hpp"

namespace boost::asio {
class io_context;
}

namespace ferry::bench {

class Client;

/// A PUBLISH as received, viewing the read buffer (valid during on_publish only).
struct PublishView {
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  std::string_view topic;
  std::string_view payload;
};

/// Role logic (publisher, subscriber, idle client). Called on the client's thread.
class ClientHandler {
 public:
  virtual ~ClientHandler() = default;
  virtual void on_connected(Client& c) = 0;  // CONNACK accepted
  virtual void on_error(Client& c, const std::string& what) = 0;
  virtual void on_publish(Client& c, const PublishView& p) {}
  /// PUBACK or PUBCOMP for one of our publishes (the packet id is free again).
  virtual void on_publish_done(Client& c, std::uint16_t packet_id) {}
  virtual void on_suback(Client& c, const mqtt::Suback& s) {}
  virtual void on_read_done(Client& c) {}  // after each read's packets
  virtual void on_drained(Client& c) {}    // a write finished
};

struct ClientSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::string unix_path;
  mqtt::Version version = mqtt::Version::v3_1_1;
  std::string client_id;
  std::uint16_t keep_alive = 60;
  bool persistent = false;         // keep a session (3.1.1 clean session 0, v5 expiry 300 s)
  std::size_t read_buffer = 2048;  // grows (x2, up to 256 KiB) while reads fill it
};

class Client {
 public:
  Client(boost::asio::io_context& io, ClientHandler& handler, ClientSettings settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Connects and sends CONNECT; on_connected or on_error follows.
  void start();
  /// Queues `packet`; written when the current write (if any) completes.
  void send(const mqtt::Packet& packet);
  /// Queues a PUBLISH whose head comes from `head` and whose payload is `payload`.
  void send_publish(const mqtt::Publish& head, std::string_view payload);
  /// Starts writing what is queued, unless a write is already in flight (reads flush
  /// by themselves after their handlers ran).
  void flush();
  /// Bytes queued but not yet handed to the socket.
  std::size_t queued() const;
  /// Closes the socket; `reset` sends RST (no TIME_WAIT left behind).
  void close(bool reset);
  bool open() const;

  mqtt::Version version() const { return settings_.version; }
  /// Receive Maximum the broker announced in CONNACK (v5), else 65535.
  std::uint16_t server_receive_maximum() const { return server_receive_max_; }
  boost::asio::io_context& io();
  const ClientSettings& settings() const { return settings_; }

  struct Impl;

 private:
  friend struct Impl;
  std::unique_ptr<Impl> impl_;
  ClientSettings settings_;
  std::uint16_t server_receive_max_ = 65535;
};

}  // namespace ferry::bench
