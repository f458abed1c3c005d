// TCP (IPv4 and IPv6) listeners with per-listener socket options.
#include <atomic>
#include <stdexcept>

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include "transports/asio_loop.hpp"
#include "transports/listeners.hpp"
#include "transports/stream_link.hpp"
#include "transports/tcp/tcp_listener.hpp"

namespace ferry::transports {

using boost::asio::ip::tcp;

namespace {

tcp::endpoint resolve_bind(const std::string& bind) {
  auto colon = bind.rfind(':');
  if (colon == std::string::npos) {
    throw std::runtime_error(fmt::format("listener {}: expected host:port", bind));
  }
  std::string host = bind.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto port = static_cast<unsigned short>(std::stoul(bind.substr(colon + 1)));
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host.empty() ? "0.0.0.0" : host, std::to_string(port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error(fmt::format("listener {}: cannot resolve '{}': {}", bind, host,
                                         ec ? ec.message() : "no address"));
  }
  return results.begin()->endpoint();
}

void set_int_option(int fd, int level, int name, int value) {
  ::setsockopt(fd, level, name, &value, sizeof value);
}

void apply_socket_options(tcp::socket& socket, const ListenerOptions& o) {
  int fd = socket.native_handle();
  if (o.nodelay) {
    set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  }
  if (o.keepalive) {
    set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
  }
  if (o.send_buffer) {
    set_int_option(fd, SOL_SOCKET, SO_SNDBUF, *o.send_buffer);
  }
  if (o.receive_buffer) {
    set_int_option(fd, SOL_SOCKET, SO_RCVBUF, *o.receive_buffer);
  }
}

class TcpListener final : public Listener {
 public:
  TcpListener(EventLoop& loop, const ListenerOptions& options, const tcp::endpoint& endpoint,
              std::vector<ShardSink> sinks)
      : acceptor_(io_of(loop)), options_(options), sinks_(std::move(sinks)) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
      if (endpoint.address().is_v6()) {
        acceptor_.set_option(boost::asio::ip::v6_only(true), ec);
      }
      if (options.reuseport) {
        set_int_option(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, 1);
      }
      if (options.receive_buffer) {  // inherited by accepted sockets, must precede listen
        set_int_option(acceptor_.native_handle(), SOL_SOCKET, SO_RCVBUF, *options.receive_buffer);
      }
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(options.backlog, ec);
    }
    if (ec) {
      throw std::runtime_error(
          fmt::format("listener tcp {}: cannot listen: {}", options.bind, ec.message()));
    }
  }

  void start() override { accept_next(); }
  void stop() override {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  std::string local_address() const override {
    auto ep = acceptor_.local_endpoint();
    return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                                : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept_next() {
    const ShardSink& sink = sinks_[next_++ % sinks_.size()];
    acceptor_.async_accept(io_of(*sink.loop),
                           [this, &sink](boost::system::error_code ec, tcp::socket socket) {
                             if (ec == boost::asio::error::operation_aborted) {
                               return;
                             }
                             if (!ec) {
                               hand_over(sink, std::move(socket));
                             }
                             accept_next();
                           });
  }

  void hand_over(const ShardSink& sink, tcp::socket socket) {
    apply_socket_options(socket, options_);
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    LinkInfo info{LinkInfo::Kind::stream, "tcp",
                  ec ? "?" : fmt::format("{}:{}", peer.address().to_string(), peer.port()), -1};
    auto link = std::make_shared<std::unique_ptr<Link>>(
        std::make_unique<StreamLink<tcp::socket>>(std::move(socket), std::move(info)));
    sink.loop->post([&sink, link] { sink.on_accept(std::move(*link)); });
  }

  tcp::acceptor acceptor_;
  ListenerOptions options_;
  std::vector<ShardSink> sinks_;
  std::size_t next_ = 0;
};

}  // namespace

std::vector<std::unique_ptr<Listener>> open_tcp_listeners(const ListenerOptions& options,
                                                          const std::vector<ShardSink>& shards) {
  tcp::endpoint endpoint = resolve_bind(options.bind);
  std::vector<std::unique_ptr<Listener>> out;
  if (!options.reuseport || shards.size() == 1) {
    out.push_back(std::make_unique<TcpListener>(*shards[0].loop, options, endpoint, shards));
    return out;
  }
  for (const ShardSink& sink : shards) {  // one acceptor per shard, like RSS queues
    auto listener =
        std::make_unique<TcpListener>(*sink.loop, options, endpoint, std::vector<ShardSink>{sink});
    endpoint.port(listener->port());  // an ephemeral port is shared by the rest
    out.push_back(std::move(listener));
  }
  return out;
}

}  // namespace ferry::transports
