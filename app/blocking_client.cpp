#include "app/blocking_client.hpp"

#include <poll.h>

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include "protocol/mqtt/codec.hpp"

namespace ferry::app {

namespace asio = boost::asio;
using generic_socket = asio::generic::stream_protocol::socket;

struct BlockingClient::Impl {
  asio::io_context io;
  generic_socket socket{io};
  std::string rx;
};

namespace {

void connect_url(BlockingClient::Impl& impl, const std::string& url) {
  if (url.rfind("unix://", 0) == 0) {
    asio::local::stream_protocol::endpoint ep(url.substr(7));
    impl.socket = generic_socket(impl.io, asio::generic::stream_protocol(AF_UNIX, 0));
    impl.socket.connect(ep);
    return;
  }
  std::string rest = url.rfind("mqtt://", 0) == 0 ? url.substr(7) : url;
  auto colon = rest.rfind(':');
  std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
  std::string port = colon == std::string::npos ? "1883" : rest.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  asio::ip::tcp::resolver resolver(impl.io);
  asio::ip::tcp::socket tcp(impl.io);
  asio::connect(tcp, resolver.resolve(host, port));
  tcp.set_option(asio::ip::tcp::no_delay(true));
  auto protocol = tcp.local_endpoint().protocol();
  impl.socket = generic_socket(
      impl.io, asio::generic::stream_protocol(protocol.family(), IPPROTO_TCP), tcp.release());
}

}  // namespace

BlockingClient::BlockingClient(const std::string& url, mqtt::Version version)
    : impl_(std::make_unique<Impl>()), version_(version) {
  try {
    connect_url(*impl_, url);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot connect to " + url + ": " + e.what());
  }
}

BlockingClient::~BlockingClient() = default;

void BlockingClient::send(const mqtt::Packet& packet) {
  std::string bytes;
  mqtt::encode(packet, version_, bytes);
  asio::write(impl_->socket, asio::buffer(bytes));
}

std::optional<mqtt::Packet> BlockingClient::receive(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto* data = reinterpret_cast<const std::uint8_t*>(impl_->rx.data());
    mqtt::Frame frame = mqtt::scan_frame({data, impl_->rx.size()}, 0);
    if (frame.status == mqtt::Frame::Status::ok && impl_->rx.size() >= frame.total_size()) {
      auto decoded =
          mqtt::decode(frame, {data + frame.header_size, frame.remaining_length}, version_);
      impl_->rx.erase(0, frame.total_size());
      if (!decoded.ok()) {
        throw std::runtime_error("malformed packet from broker");
      }
      return std::move(decoded.packet);
    }
    if (frame.status == mqtt::Frame::Status::malformed) {
      throw std::runtime_error("malformed packet from broker");
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    pollfd pfd{impl_->socket.native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    char buffer[65536];
    boost::system::error_code ec;
    std::size_t n = impl_->socket.read_some(asio::buffer(buffer), ec);
    if (ec) {
      throw std::runtime_error("connection closed by the broker");
    }
    impl_->rx.append(buffer, n);
  }
}

}  // namespace ferry::app
