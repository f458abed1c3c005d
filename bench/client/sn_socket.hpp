// One MQTT-SN client's UDP socket in the load generator: its own ephemeral source port
// (the gateway keys clients by address), connected to the gateway, read on readiness
// with non-blocking receives (every waiting datagram per wake-up, no thread per
// client). Used from its io_context's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace ferry::bench {

class SnSocketHandler {
 public:
  virtual ~SnSocketHandler() = default;
  virtual void on_datagram(std::span<const std::uint8_t> datagram) = 0;
  virtual void on_read_done() {}  // after each wake-up's datagrams
  virtual void on_socket_error(const std::string& what) = 0;
};

class SnSocket {
 public:
  SnSocket(boost::asio::io_context& io, SnSocketHandler& handler);
  ~SnSocket();
  SnSocket(const SnSocket&) = delete;
  SnSocket& operator=(const SnSocket&) = delete;

  /// Opens a socket connected to `ip`:`port` (`rcvbuf` > 0 sets SO_RCVBUF) and starts
  /// reading. Returns an error message, empty on success.
  std::string open(const std::string& ip, std::uint16_t port, int rcvbuf);
  /// Sends one datagram now; false (and counted) when the kernel refused it.
  bool send(std::string_view datagram);
  void close();
  bool is_open() const;
  std::uint64_t send_failures() const { return send_failures_; }
  boost::asio::io_context& io();

 private:
  struct Impl;
  void wait();
  void read_some();
  bool drain();
  std::unique_ptr<Impl> impl_;
  SnSocketHandler& handler_;
  std::uint64_t send_failures_ = 0;
};

}  // namespace ferry::bench
