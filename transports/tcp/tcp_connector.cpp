#include "transports/tcp/tcp_connector.hpp"

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "transports/asio_loop.hpp"
#include "transports/stream_link.hpp"

namespace ferry::transports {
namespace {

using boost::asio::ip::tcp;

struct Attempt {
  explicit Attempt(EventLoop& loop) : resolver(io_of(loop)), socket(io_of(loop)) {}
  ~Attempt() {
    boost::system::error_code ignored;
    resolver.cancel();
    socket.close(ignored);
  }
  tcp::resolver resolver;
  tcp::socket socket;
  ConnectDone done;
};

void finish(const std::shared_ptr<Attempt>& attempt, boost::system::error_code ec) {
  if (ec) {
    attempt->done(nullptr, ec);
    return;
  }
  boost::system::error_code ignored;
  attempt->socket.set_option(tcp::no_delay(true), ignored);
  auto peer = attempt->socket.remote_endpoint(ignored);
  LinkInfo info{LinkInfo::Kind::stream, "tcp",
                fmt::format("{}:{}", peer.address().to_string(), peer.port()), -1};
  attempt->done(std::make_unique<StreamLink<tcp::socket>>(std::move(attempt->socket), info), {});
}

}  // namespace

std::shared_ptr<void> connect_tcp(EventLoop& loop, const std::string& host, std::uint16_t port,
                                  ConnectDone done) {
  auto attempt = std::make_shared<Attempt>(loop);
  attempt->done = std::move(done);
  std::weak_ptr<Attempt> weak = attempt;
  attempt->resolver.async_resolve(
      host, std::to_string(port),
      [weak](boost::system::error_code ec, tcp::resolver::results_type results) {
        auto a = weak.lock();
        if (!a) {
          return;
        }
        if (ec) {
          a->done(nullptr, ec);
          return;
        }
        boost::asio::async_connect(a->socket, results,
                                   [weak](boost::system::error_code ec, const tcp::endpoint&) {
                                     if (auto a = weak.lock()) {
                                       finish(a, ec);
                                     }
                                   });
      });
  return attempt;
}

}  // namespace ferry::transports
