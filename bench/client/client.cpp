#include "bench/client/client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <vector>

#include "protocol/mqtt/codec.hpp"

namespace ferry::bench {

namespace asio = boost::asio;
using generic_stream = asio::generic::stream_protocol;

namespace {

constexpr std::size_t max_read_buffer = 256 * 1024;

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

/// Reads a PUBLISH without allocating: the hot path of every subscriber. Everything else
/// goes through mqtt::decode. Returns false when the packet is malformed.
bool view_publish(std::uint8_t flags, std::span<const std::uint8_t> body, mqtt::Version v,
                  PublishView& out) {
  out.qos = (flags >> 1) & 3;
  out.retain = flags & 1;
  out.dup = flags & 8;
  std::size_t pos = 2;
  if (body.size() < pos) {
    return false;
  }
  const std::size_t topic_len = be16(body.data());
  if (body.size() < pos + topic_len + (out.qos > 0 ? 2 : 0)) {
    return false;
  }
  out.topic = {reinterpret_cast<const char*>(body.data()) + pos, topic_len};
  pos += topic_len;
  if (out.qos > 0) {
    out.packet_id = be16(body.data() + pos);
    pos += 2;
  }
  if (v == mqtt::Version::v5) {
    std::uint32_t len = 0;
    for (int i = 0;; ++i) {
      if (pos >= body.size() || i == 4) {
        return false;
      }
      const std::uint8_t b = body[pos++];
      len |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (body.size() < pos + len) {
      return false;
    }
    pos += len;
  }
  out.payload = {reinterpret_cast<const char*>(body.data()) + pos, body.size() - pos};
  return true;
}

}  // namespace

struct Client::Impl {
  Impl(Client& owner, asio::io_context& io, ClientHandler& handler)
      : owner(owner), io(io), handler(handler), socket(io) {}

  void connect();
  void on_connect(const boost::system::error_code& ec);
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  std::size_t process();
  bool dispatch(const mqtt::Frame& frame, std::span<const std::uint8_t> body);
  void dispatch_decoded(mqtt::Packet& packet);
  void flush();
  void fail(const std::string& what);

  Client& owner;
  asio::io_context& io;
  ClientHandler& handler;
  generic_stream::socket socket;
  std::vector<std::uint8_t> rbuf;
  std::size_t have = 0;
  std::string out;
  std::string writing;
  bool write_active = false;
  bool connected = false;  // CONNACK seen
  bool closed = false;
  mqtt::Ack ack;  // reused for the acks a subscriber sends
};

Client::Client(asio::io_context& io, ClientHandler& handler, ClientSettings settings)
    : impl_(std::make_unique<Impl>(*this, io, handler)), settings_(std::move(settings)) {
  impl_->rbuf.resize(settings_.read_buffer);
}

Client::~Client() = default;

void Client::start() {
  impl_->connect();
}

void Client::Impl::connect() {
  const auto& s = owner.settings_;
  auto done = [this](const boost::system::error_code& ec) { on_connect(ec); };
  if (!s.unix_path.empty()) {
    socket.async_connect(
        generic_stream::endpoint(asio::local::stream_protocol::endpoint(s.unix_path)), done);
    return;
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(s.host, ec);
  if (ec) {
    fail("bad host " + s.host + ": " + ec.message());
    return;
  }
  socket.async_connect(generic_stream::endpoint(asio::ip::tcp::endpoint(address, s.port)), done);
}

void Client::Impl::on_connect(const boost::system::error_code& ec) {
  if (ec) {
    fail("connect: " + ec.message());
    return;
  }
  if (owner.settings_.unix_path.empty()) {
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  mqtt::Connect c;
  c.version = owner.settings_.version;
  c.clean_start = !owner.settings_.persistent;
  c.keep_alive = owner.settings_.keep_alive;
  c.client_id = owner.settings_.client_id;
  if (c.version == mqtt::Version::v5) {
    c.properties.receive_maximum = 65535;
    if (owner.settings_.persistent) {
      c.clean_start = true;  // a fresh session that outlives the connection
      c.properties.session_expiry_interval = 300;
    }
  }
  owner.send(c);
  flush();
  read();
}

void Client::Impl::read() {
  if (rbuf.size() - have < 512) {
    rbuf.resize(rbuf.size() * 2);
  }
  socket.async_read_some(
      asio::buffer(rbuf.data() + have, rbuf.size() - have),
      [this](const boost::system::error_code& ec, std::size_t n) { on_read(ec, n); });
}

void Client::Impl::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (closed) {
    return;
  }
  if (ec) {
    fail(ec == asio::error::eof ? "broker closed the connection" : "read: " + ec.message());
    return;
  }
  const bool filled = have + n == rbuf.size();
  have += n;
  const std::size_t used = process();
  if (closed) {
    return;
  }
  std::memmove(rbuf.data(), rbuf.data() + used, have - used);
  have -= used;
  if (filled && rbuf.size() < max_read_buffer) {
    rbuf.resize(rbuf.size() * 2);  // the broker sends faster than one buffer per read
  }
  handler.on_read_done(owner);
  flush();
  read();
}

std::size_t Client::Impl::process() {
  std::size_t pos = 0;
  while (!closed) {
    std::span<const std::uint8_t> rest(rbuf.data() + pos, have - pos);
    const mqtt::Frame f = mqtt::scan_frame(rest, 0);
    if (f.status == mqtt::Frame::Status::need_more) {
      if (f.header_size != 0 && f.total_size() > rbuf.size()) {
        rbuf.resize(f.total_size() + 512);  // one packet larger than the buffer
      }
      break;
    }
    if (f.status != mqtt::Frame::Status::ok) {
      fail("malformed frame from broker");
      break;
    }
    if (!dispatch(f, rest.subspan(f.header_size, f.remaining_length))) {
      break;
    }
    pos += f.total_size();
  }
  return pos;
}

bool Client::Impl::dispatch(const mqtt::Frame& f, std::span<const std::uint8_t> body) {
  const auto type = static_cast<mqtt::PacketType>(f.first_byte >> 4);
  if (type == mqtt::PacketType::publish && connected) {
    PublishView view;
    if (!view_publish(f.first_byte & 0x0F, body, owner.settings_.version, view)) {
      fail("malformed PUBLISH from broker");
      return false;
    }
    if (view.qos == 1) {
      ack.packet_id = view.packet_id;
      owner.send(mqtt::Puback{ack});
    } else if (view.qos == 2) {
      ack.packet_id = view.packet_id;
      owner.send(mqtt::Pubrec{ack});
    }
    handler.on_publish(owner, view);
    return !closed;
  }
  mqtt::Decoded d = mqtt::decode(f, body, owner.settings_.version);
  if (!d.ok()) {
    fail("undecodable packet from broker, reason 0x" + std::to_string(static_cast<int>(d.reason)));
    return false;
  }
  dispatch_decoded(d.packet);
  return !closed;
}

void Client::Impl::dispatch_decoded(mqtt::Packet& packet) {
  if (auto* c = std::get_if<mqtt::Connack>(&packet)) {
    if (mqtt::is_error(c->reason) || c->reason != mqtt::Reason::success) {
      fail("CONNACK refused, reason 0x" + std::to_string(static_cast<int>(c->reason)));
      return;
    }
    owner.server_receive_max_ = c->properties.receive_maximum.value_or(65535);
    connected = true;
    handler.on_connected(owner);
  } else if (auto* s = std::get_if<mqtt::Suback>(&packet)) {
    handler.on_suback(owner, *s);
  } else if (auto* a = std::get_if<mqtt::Puback>(&packet)) {
    handler.on_publish_done(owner, a->packet_id);
  } else if (auto* r = std::get_if<mqtt::Pubrec>(&packet)) {
    ack.packet_id = r->packet_id;
    owner.send(mqtt::Pubrel{ack});
  } else if (auto* rel = std::get_if<mqtt::Pubrel>(&packet)) {
    ack.packet_id = rel->packet_id;
    owner.send(mqtt::Pubcomp{ack});
  } else if (auto* comp = std::get_if<mqtt::Pubcomp>(&packet)) {
    handler.on_publish_done(owner, comp->packet_id);
  } else if (auto* dis = std::get_if<mqtt::Disconnect>(&packet)) {
    fail("broker sent DISCONNECT, reason 0x" + std::to_string(static_cast<int>(dis->reason)));
  }
  // PINGRESP and anything else needs no answer.
}

void Client::send(const mqtt::Packet& packet) {
  mqtt::encode(packet, settings_.version, impl_->out);
}

void Client::send_publish(const mqtt::Publish& head, std::string_view payload) {
  mqtt::encode_publish_head(head, settings_.version, impl_->out);
  impl_->out.append(payload);
}

std::size_t Client::queued() const {
  return impl_->out.size();
}

void Client::flush() {
  impl_->flush();
}

void Client::Impl::flush() {
  if (write_active || out.empty() || closed) {
    return;
  }
  std::swap(out, writing);
  out.clear();
  write_active = true;
  asio::async_write(socket, asio::buffer(writing),
                    [this](const boost::system::error_code& ec, std::size_t) {
                      write_active = false;
                      if (closed) {
                        return;
                      }
                      if (ec) {
                        fail("write: " + ec.message());
                        return;
                      }
                      handler.on_drained(owner);
                      flush();
                    });
}

void Client::Impl::fail(const std::string& what) {
  if (closed) {
    return;
  }
  closed = true;
  boost::system::error_code ignored;
  socket.close(ignored);
  handler.on_error(owner, what);
}

void Client::close(bool reset) {
  if (impl_->closed) {
    return;
  }
  impl_->closed = true;
  boost::system::error_code ignored;
  if (reset) {
    impl_->socket.set_option(asio::socket_base::linger(true, 0), ignored);
  }
  impl_->socket.close(ignored);
}

bool Client::open() const {
  return !impl_->closed;
}

asio::io_context& Client::io() {
  return impl_->io;
}

}  // namespace ferry::bench
