// A Link over any Asio stream socket (TCP, Unix-domain). Included by transport .cpp files.
#pragma once

#include <array>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "transports/link.hpp"

namespace ferry::transports {

template <class Socket>
class StreamLink final : public Link {
 public:
  StreamLink(Socket socket, LinkInfo info) : socket_(std::move(socket)), info_(std::move(info)) {
    info_.native_handle = socket_.native_handle();
    socket_.non_blocking(true);
  }

  void start(LinkHandler& handler) override {
    handler_ = &handler;
    read_more();
  }

  void write(ByteChain& chain) override {
    writing_.swap(chain);
    chain.clear();
    buffers_.clear();
    writing_.for_each_slice(
        [&](const char* data, std::size_t n) { buffers_.emplace_back(data, n); });
    boost::asio::async_write(socket_, buffers_,
                             [this, alive = alive_](boost::system::error_code ec, std::size_t) {
                               if (!*alive) {
                                 return;
                               }
                               writing_.release();
                               if (ec) {
                                 fail(ec);
                                 return;
                               }
                               handler_->on_drained();
                             });
  }

  void close() override {
    if (closed_) {
      return;
    }
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.cancel(ignored);
    if (!reading_) {
      boost::asio::post(socket_.get_executor(), [this, alive = alive_] {
        if (*alive) {
          fail(boost::asio::error::operation_aborted);
        }
      });
    }
  }

  void pause_reading() override { paused_ = true; }
  void resume_reading() override {
    if (paused_) {
      paused_ = false;
      if (!reading_) {
        read_more();
      }
    }
  }

  const LinkInfo& info() const override { return info_; }

  ~StreamLink() override { *alive_ = false; }

 private:
  // Reactor-style reads: wait until readable, then read into the thread's shared buffer,
  // so an idle connection holds no read buffer of its own.
  void read_more() {
    if (paused_ || closed_) {
      return;
    }
    reading_ = true;
    socket_.async_wait(Socket::wait_read, [this, alive = alive_](boost::system::error_code ec) {
      if (!*alive) {
        return;
      }
      reading_ = false;
      if (ec) {
        fail(ec);
        return;
      }
      drain_socket();
    });
  }

  void drain_socket() {
    thread_local std::array<std::uint8_t, 65536> buffer;
    boost::system::error_code ec;
    std::size_t n = socket_.read_some(boost::asio::buffer(buffer), ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
      read_more();
      return;
    }
    if (ec) {
      fail(ec);
      return;
    }
    auto alive = alive_;
    handler_->on_data({buffer.data(), n});
    if (*alive) {
      read_more();
    }
  }

  void fail(boost::system::error_code ec) {
    if (closed_) {
      return;
    }
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (handler_) {
      handler_->on_closed(std::error_code(ec.value(), std::generic_category()));
    }
  }

  Socket socket_;
  LinkInfo info_;
  LinkHandler* handler_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  ByteChain writing_;
  std::vector<boost::asio::const_buffer> buffers_;
  bool paused_ = false;
  bool reading_ = false;
  bool closed_ = false;
};

}  // namespace ferry::transports
