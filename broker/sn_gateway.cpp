#include "broker/sn_gateway.hpp"

#include "broker/shard.hpp"
#include "broker/sn_client.hpp"
#include "protocol/sn/codec.hpp"

namespace ferry::broker {

SnGateway::SnGateway(Shard& shard, std::unique_ptr<transports::DatagramSocket> socket,
                     SnGatewayOptions options)
    : shard_(shard),
      socket_(std::move(socket)),
      options_(std::move(options)),
      context_{options_.limits, options_.predefined, {}} {}

SnGateway::~SnGateway() = default;

bool SearchgwReplies::first(const transports::DatagramPeer& from,
                            std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::erase_if(recent_, [now](const auto& r) { return now - r.second > std::chrono::seconds(1); });
  for (const auto& r : recent_) {
    if (r.first == from) {
      return false;
    }
  }
  if (recent_.size() < k_max_recent) {  // a flood of searchers is answered, not recorded
    recent_.emplace_back(from, now);
  }
  return true;
}

std::size_t SnGateway::KeyHash::operator()(const Key& k) const {
  return transports::DatagramPeerHash{}(k.peer) ^ std::hash<std::string_view>{}(k.node_id);
}

std::size_t SnGateway::KeyHash::operator()(const SnClient* c) const {
  return (*this)(Key{c->peer(), c->node_id()});
}

bool SnGateway::KeyEqual::operator()(const Key& a, const SnClient* b) const {
  return a.peer == b->peer() && a.node_id == b->node_id();
}

std::unique_ptr<sn::Actions> SnGateway::lend_actions() {
  if (spare_actions_.empty()) {
    return std::make_unique<sn::Actions>();
  }
  std::unique_ptr<sn::Actions> actions = std::move(spare_actions_.back());
  spare_actions_.pop_back();
  return actions;
}

void SnGateway::give_back(std::unique_ptr<sn::Actions> actions) {
  actions->clear();  // keeps the capacity for the next client
  spare_actions_.push_back(std::move(actions));
}

void SnGateway::start() {
  socket_->start([this](auto datagram, const auto& from) { on_datagram(datagram, from); });
  if (options_.broadcast && options_.advertises) {
    advertise_timer_ = std::make_unique<transports::Timer>(shard_.loop());
    advertise();
  }
}

void SnGateway::stop() {
  advertise_timer_.reset();
  socket_->close();
}

void SnGateway::send(std::string_view datagram, const transports::DatagramPeer& to) {
  socket_->send_to(datagram, to);
}

void SnGateway::forget(const SnClient& client) {
  auto it = clients_.find(Key{client.peer(), client.node_id()});
  if (it != clients_.end() && *it == &client) {
    clients_.erase(it);
  }
}

void SnGateway::on_datagram(std::span<const std::uint8_t> datagram,
                            const transports::DatagramPeer& from) {
  sn::Decoded decoded = sn::decode(datagram);
  if (!decoded.ok()) {
    ++stats_.malformed;  // dropped; other clients are not disturbed
    return;
  }
  std::optional<sn::Forwarder> via;
  sn::Decoded inner;
  const sn::Message* message = &decoded.message;
  if (const auto* wrapped = std::get_if<sn::Encapsulated>(&decoded.message)) {
    via = sn::Forwarder{wrapped->ctrl, wrapped->node_id};
    inner = sn::decode(wrapped->message);
    message = &inner.message;  // decode already checked the inner message
  }
  if (answer_gateway_message(*message, from, via)) {
    return;
  }
  auto it = clients_.find(Key{from, via ? std::string_view(via->node_id) : std::string_view()});
  if (it != clients_.end()) {
    (*it)->on_datagram(datagram);
    return;
  }
  bool minus_one = false;
  if (const auto* publish = std::get_if<sn::Publish>(message)) {
    minus_one = publish->flags.qos < 0;
  }
  if ((minus_one || via) && !admitted(from)) {
    return;
  }
  if (minus_one) {
    std::span<const std::uint8_t> raw = datagram;
    if (via) {
      const auto& bytes = std::get<sn::Encapsulated>(decoded.message).message;
      raw = {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
    }
    if (auto p = sn::GatewaySession::decode_qos_minus_one(raw, options_.predefined.get())) {
      ++stats_.qos_minus_one;
      shard_.publish_unconnected(std::move(*p));  // [MQTT-SN 6.8]
    }
    return;
  }
  if (!std::holds_alternative<sn::Connect>(*message)) {
    ++stats_.unexpected;
    return;
  }
  new_client(from, std::move(via), datagram);
}

/// SEARCHGW is answered with GWINFO [MQTT-SN 6.1]; ADVERTISE and GWINFO of other
/// gateways are ignored.
bool SnGateway::answer_gateway_message(const sn::Message& message,
                                       const transports::DatagramPeer& from,
                                       const std::optional<sn::Forwarder>& via) {
  if (std::holds_alternative<sn::Searchgw>(message)) {
    // A forwarder relays its nodes' searches unicast: only one socket sees each.
    if (!via && options_.searchgw_replies &&
        !options_.searchgw_replies->first(from, std::chrono::steady_clock::now())) {
      return true;  // another shard's socket got the same broadcast and answered
    }
    std::string gwinfo = sn::encode(sn::Gwinfo{options_.gateway_id, {}});
    if (via) {  // back through the forwarder it came from [MQTT-SN 5.5]
      std::string wrapped;
      sn::encapsulate(via->ctrl, via->node_id, gwinfo, wrapped);
      socket_->send_to(wrapped, from);
      return true;
    }
    socket_->send_to(gwinfo, from);
    if (options_.broadcast) {  // GWINFO is broadcast too, for the clients listening there
      socket_->send_to(gwinfo, *options_.broadcast);
    }
    return true;
  }
  return std::holds_alternative<sn::Advertise>(message) ||
         std::holds_alternative<sn::Gwinfo>(message);
}

void SnGateway::new_client(const transports::DatagramPeer& from, std::optional<sn::Forwarder> via,
                           std::span<const std::uint8_t> datagram) {
  std::unique_ptr<SnClient> client = options_.make_client
                                         ? options_.make_client(*this, from, std::move(via))
                                         : std::make_unique<SnClient>(*this, from, std::move(via));
  SnClient& ref = *client;
  clients_.insert(&ref);
  shard_.add_client(std::move(client));
  ref.start();
  ref.on_datagram(datagram);
}

bool SnGateway::admitted(const transports::DatagramPeer& from) {
  if (options_.allow.empty() ||
      options_.allow.allows(reinterpret_cast<const sockaddr*>(&from.address))) {
    return true;
  }
  ++stats_.refused;
  return false;
}

void SnGateway::advertise() {
  auto duration = static_cast<std::uint16_t>(options_.advertise_interval_s);
  socket_->send_to(sn::encode(sn::Advertise{options_.gateway_id, duration}), *options_.broadcast);
  advertise_timer_->start(options_.advertise_interval_s * 1000u, [this] { advertise(); });
}

}  // namespace ferry::broker
