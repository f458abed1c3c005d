#include "bench/client/sn_socket.hpp"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

namespace ferry::bench {

namespace asio = boost::asio;
using asio::ip::udp;

struct SnSocket::Impl {
  explicit Impl(asio::io_context& io) : socket(io) {}
  udp::socket socket;
};

SnSocket::SnSocket(asio::io_context& io, SnSocketHandler& handler)
    : impl_(std::make_unique<Impl>(io)), handler_(handler) {}

SnSocket::~SnSocket() = default;

asio::io_context& SnSocket::io() {
  return static_cast<asio::io_context&>(impl_->socket.get_executor().context());
}

std::string SnSocket::open(const std::string& ip, std::uint16_t port, int rcvbuf) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(ip, ec);
  if (ec) {
    return "MQTT-SN needs a numeric --host, not " + ip;
  }
  const udp::endpoint gateway(address, port);
  auto& s = impl_->socket;
  s.open(gateway.protocol(), ec);
  if (!ec && rcvbuf > 0) {
    s.set_option(asio::socket_base::receive_buffer_size(rcvbuf), ec);
  }
  if (!ec) {
    s.connect(gateway, ec);  // binds an ephemeral port; only the gateway's datagrams arrive
  }
  if (!ec) {
    s.non_blocking(true, ec);
  }
  if (ec) {
    return "UDP socket to " + ip + ":" + std::to_string(port) + ": " + ec.message();
  }
  wait();
  return "";
}

bool SnSocket::send(std::string_view datagram) {
  boost::system::error_code ec;
  impl_->socket.send(asio::buffer(datagram.data(), datagram.size()), 0, ec);
  if (ec) {
    ++send_failures_;
    return false;
  }
  return true;
}

void SnSocket::close() {
  boost::system::error_code ignored;
  impl_->socket.close(ignored);
}

bool SnSocket::is_open() const {
  return impl_->socket.is_open();
}

void SnSocket::wait() {
  impl_->socket.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) {
      return;  // closed
    }
    read_some();
  });
}

/// Drains, then waits for readiness again; when the drain stopped at its bound the rest
/// is read in a later turn (the edge-triggered reactor would not wake up for it).
void SnSocket::read_some() {
  const bool more = drain();
  if (!impl_->socket.is_open()) {
    return;
  }
  if (more) {
    asio::post(io(), [this] { read_some(); });
  } else {
    wait();
  }
}

/// Reads the datagrams waiting, at most 256 so one busy socket cannot starve the others.
/// Returns true when it stopped at that bound.
bool SnSocket::drain() {
  thread_local std::array<std::uint8_t, 65536> buffer;
  bool more = true;
  for (int i = 0; i < 256; ++i) {
    boost::system::error_code ec;
    const std::size_t n = impl_->socket.receive(asio::buffer(buffer), 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      more = false;
      break;
    }
    if (ec) {
      // A connected UDP socket reports the gateway's ICMP port unreachable here.
      handler_.on_socket_error("receive: " + ec.message());
      close();
      return false;
    }
    handler_.on_datagram({buffer.data(), n});
    if (!impl_->socket.is_open()) {
      return false;
    }
  }
  handler_.on_read_done();
  return more;
}

}  // namespace ferry::bench
