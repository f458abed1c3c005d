// Unix-domain stream listener: one acceptor, links spread round-robin over the shards.
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <boost/asio/local/stream_protocol.hpp>

#include "transports/asio_loop.hpp"
#include "transports/stream_link.hpp"
#include "transports/unix/unix_listener.hpp"

namespace ferry::transports {

using boost::asio::local::stream_protocol;

namespace {

void set_buffer_options(int fd, const ListenerOptions& o) {
  if (o.send_buffer) {
    int v = *o.send_buffer;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  }
  if (o.receive_buffer) {
    int v = *o.receive_buffer;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  }
}

/// A stale socket file from a previous run is removed; any other file is left alone.
void remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw std::runtime_error(
          fmt::format("listener unix {}: exists and is not a socket; not replacing it", path));
    }
    ::unlink(path.c_str());
  }
}

class UnixListener final : public Listener {
 public:
  UnixListener(const ListenerOptions& options, std::vector<ShardSink> sinks)
      : acceptor_(io_of(*sinks.front().loop)), options_(options), sinks_(std::move(sinks)) {
    remove_stale_socket(options.bind);
    boost::system::error_code ec;
    acceptor_.open(stream_protocol(), ec);
    if (!ec) {
      acceptor_.bind(stream_protocol::endpoint(options.bind), ec);
    }
    if (!ec) {
      acceptor_.listen(options.backlog, ec);
    }
    if (ec) {
      throw std::runtime_error(
          fmt::format("listener unix {}: cannot listen: {}", options.bind, ec.message()));
    }
    if (!options.unix_mode.empty()) {
      ::chmod(options.bind.c_str(), static_cast<mode_t>(std::stoul(options.unix_mode, nullptr, 8)));
    }
  }

  ~UnixListener() override { ::unlink(options_.bind.c_str()); }

  void start() override { accept_next(); }
  void stop() override {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  std::string local_address() const override { return options_.bind; }

 private:
  void accept_next() {
    const ShardSink& sink = sinks_[next_++ % sinks_.size()];
    acceptor_.async_accept(io_of(*sink.loop), [this, &sink](boost::system::error_code ec,
                                                            stream_protocol::socket socket) {
      if (ec == boost::asio::error::operation_aborted) {
        return;
      }
      if (!ec) {
        set_buffer_options(socket.native_handle(), options_);
        LinkInfo info{LinkInfo::Kind::stream, "unix", options_.bind, -1};
        auto link = std::make_shared<std::unique_ptr<Link>>(
            std::make_unique<StreamLink<stream_protocol::socket>>(std::move(socket),
                                                                  std::move(info)));
        sink.loop->post([&sink, link] { sink.on_accept(std::move(*link)); });
      }
      accept_next();
    });
  }

  stream_protocol::acceptor acceptor_;
  ListenerOptions options_;
  std::vector<ShardSink> sinks_;
  std::size_t next_ = 0;
};

}  // namespace

std::vector<std::unique_ptr<Listener>> open_unix_listeners(const ListenerOptions& options,
                                                           const std::vector<ShardSink>& shards) {
  std::filesystem::path dir = std::filesystem::path(options.bind).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir)) {
    throw std::runtime_error(
        fmt::format("listener unix {}: directory {} does not exist", options.bind, dir.string()));
  }
  std::vector<std::unique_ptr<Listener>> out;
  out.push_back(std::make_unique<UnixListener>(options, shards));
  return out;
}

}  // namespace ferry::transports
