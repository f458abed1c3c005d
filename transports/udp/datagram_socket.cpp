#include "transports/udp/datagram_socket.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

#include "transports/asio_loop.hpp"

namespace ferry::transports {

using boost::asio::ip::udp;

namespace {

udp::endpoint resolve(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    throw std::runtime_error(fmt::format("{}: expected host:port", host_port));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  boost::asio::io_context io;
  udp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host.empty() ? "0.0.0.0" : host, host_port.substr(colon + 1),
                                  udp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error(
        fmt::format("{}: cannot resolve: {}", host_port, ec ? ec.message() : "no address"));
  }
  return results.begin()->endpoint();
}

DatagramPeer to_peer(const udp::endpoint& ep) {
  DatagramPeer peer;
  peer.length = static_cast<socklen_t>(std::min<std::size_t>(ep.size(), sizeof peer.address));
  std::memcpy(&peer.address, ep.data(), peer.length);
  return peer;
}

udp::endpoint to_endpoint(const DatagramPeer& peer) {
  udp::endpoint ep;
  std::memcpy(ep.data(), &peer.address, peer.length);
  ep.resize(peer.length);
  return ep;
}

class UdpSocket final : public DatagramSocket {
 public:
  UdpSocket(EventLoop& loop, const std::string& bind, udp::endpoint ep, bool reuse_port)
      : socket_(io_of(loop)) {
    boost::system::error_code ec;
    socket_.open(ep.protocol(), ec);
    if (!ec) {
      socket_.set_option(udp::socket::reuse_address(true), ec);
      socket_.set_option(boost::asio::socket_base::broadcast(true), ec);
      if (reuse_port) {  // the kernel spreads peers over the group by address hash
        int one = 1;
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      }
      socket_.bind(ep, ec);
    }
    if (ec) {
      throw std::runtime_error(
          fmt::format("listener mqttsn {}: cannot bind: {}", bind, ec.message()));
    }
    socket_.non_blocking(true);
  }

  void start(Receiver on_datagram) override {
    receiver_ = std::move(on_datagram);
    wait();
  }

  void send_to(std::string_view datagram, const DatagramPeer& to) override {
    boost::system::error_code ec;
    socket_.send_to(boost::asio::buffer(datagram.data(), datagram.size()), to_endpoint(to), 0, ec);
    if (ec) {
      ++send_failures_;
    }
  }

  void close() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  std::string local_address() const override {
    auto ep = socket_.local_endpoint();
    return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                                : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }
  std::uint64_t send_failures() const override { return send_failures_; }
  unsigned short port() const { return socket_.local_endpoint().port(); }
  /// Receives `group` if it is a multicast group, on the interface the kernel routes it
  /// to. Every socket bound to the port then gets the group's datagrams.
  void join(const DatagramPeer& group, const std::string& bind) {
    udp::endpoint ep = to_endpoint(group);
    if (!ep.address().is_multicast()) {
      return;  // a broadcast address needs no membership
    }
    boost::system::error_code ec;
    socket_.set_option(boost::asio::ip::multicast::join_group(ep.address()), ec);
    if (ec) {  // ADVERTISE still goes out; SEARCHGW to the group is not heard
      spdlog::warn("listener mqttsn {}: cannot join multicast group {}: {}", bind,
                   ep.address().to_string(), ec.message());
    }
  }
  /// The kernel caps each at net.core.rmem_max / wmem_max.
  void set_buffers(const DatagramOptions& options) {
    int fd = socket_.native_handle();
    if (options.receive_buffer > 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof(int));
    }
    if (options.send_buffer > 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options.send_buffer, sizeof(int));
    }
  }

 private:
  void wait() {
    socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
      if (ec) {
        return;  // closed
      }
      drain();
      wait();
    });
  }

  /// Reads every datagram waiting, into the thread's buffer.
  void drain() {
    thread_local std::array<std::uint8_t, 65536> buffer;
    for (int i = 0; i < 256; ++i) {
      udp::endpoint from;
      boost::system::error_code ec;
      std::size_t n = socket_.receive_from(boost::asio::buffer(buffer), from, 0, ec);
      if (ec) {
        return;
      }
      receiver_({buffer.data(), n}, to_peer(from));
    }
  }

  udp::socket socket_;
  Receiver receiver_;
  std::uint64_t send_failures_ = 0;
};

}  // namespace

std::string DatagramPeer::to_string() const {
  udp::endpoint ep = to_endpoint(*this);
  return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                              : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

std::unique_ptr<DatagramSocket> open_udp(EventLoop& loop, const std::string& bind) {
  return std::make_unique<UdpSocket>(loop, bind, resolve(bind), false);
}

std::vector<std::unique_ptr<DatagramSocket>> open_udp_group(const std::vector<EventLoop*>& loops,
                                                            const std::string& bind,
                                                            DatagramOptions options) {
  std::vector<std::unique_ptr<DatagramSocket>> sockets;
  udp::endpoint ep = resolve(bind);
  for (EventLoop* loop : loops) {
    auto socket = std::make_unique<UdpSocket>(*loop, bind, ep, loops.size() > 1);
    socket->set_buffers(options);
    ep.port(socket->port());  // port 0: the others join the port the first one got
    if (sockets.empty() && options.multicast_group) {
      socket->join(*options.multicast_group, bind);
    }
    sockets.push_back(std::move(socket));
  }
  return sockets;
}

DatagramPeer resolve_peer(const std::string& host_port) {
  return to_peer(resolve(host_port));
}

}  // namespace ferry::transports
