#include "gateway/bridge.hpp"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

#include "broker/broker.hpp"
#include "broker/session.hpp"
#include "broker/shard.hpp"
#include "gateway/translate.hpp"
#include "protocol/mqtt/topic.hpp"

namespace ferry::gateway {
namespace {

const std::string& key_of(const std::string& filter) {
  return filter;
}
const std::string& key_of(const std::pair<const std::string, std::uint32_t>& entry) {
  return entry.first;
}

/// Filters in `a` that are not keys of `b`.
template <class A, class B>
std::vector<std::string> minus(const A& a, const B& b) {
  std::vector<std::string> out;
  for (const auto& entry : a) {
    const std::string& filter = key_of(entry);
    if (!b.contains(filter)) {
      out.push_back(filter);
    }
  }
  return out;
}

}  // namespace

Bridge::Bridge(broker::Broker& broker, broker::Shard& shard, UpstreamAddress address,
               Backoff backoff, mqtt::ClientOptions options)
    : broker_(broker),
      shard_(shard),
      info_{transports::LinkInfo::Kind::stream, "bridge", address.to_string(), -1},
      client_id_("ferry-bridge-" + options.client_id) {
  upstream_ = std::make_unique<Upstream>(shard.loop(), std::move(address), backoff,
                                         std::move(options), *this);
}

Bridge::~Bridge() {
  *alive_ = false;
}

void Bridge::start() {
  mqtt::Connect connect;
  connect.version = mqtt::Version::v5;
  connect.client_id = client_id_;
  connect.clean_start = false;  // its queue holds what upstream has not acknowledged
  connect.properties.session_expiry_interval = broker::never_expires;
  connect.username = client_id_;  // for allow_anonymous = false; no password checks exist
  shard_.on_packet(*this, std::move(connect));  // accept() starts the upstream link
}

void Bridge::accept(broker::Session& s, bool, mqtt::Properties) {
  session = &s;
  std::weak_ptr<bool> alive = alive_;
  transports::EventLoop& loop = shard_.loop();
  broker_.watch_filters(
      [this, alive, &loop](const std::string& filter, bool wanted) {
        loop.post([this, alive, filter, wanted] {
          if (auto a = alive.lock(); a && *a) {
            filter_changed(filter, wanted);
          }
        });
      },
      s);
  // Everything local clients publish, except what this bridge itself brought in.
  mqtt::SubscribeTopic all{"#", 2, true, true, 2};
  shard_.on_packet(*this, mqtt::Subscribe{1, {all}, {}});
  upstream_->start();  // only now: a restored session may have come from another shard
}

void Bridge::refuse(mqtt::Reason reason) {
  spdlog::error("gateway bridge: the local broker refused its session (reason {:#04x})",
                static_cast<unsigned>(reason));
}

mqtt::Offer Bridge::publish(mqtt::Outgoing item) {
  if (item.qos == 0) {
    // Dropped as for any slow consumer when the upstream window and buffer are full.
    return upstream_->publish(to_publish(item, mqtt::Clock::now()), 0)
               ? mqtt::Offer::sent
               : mqtt::Offer::dropped_queue_full;
  }
  if (session->state.queue.empty() && send_upstream(item)) {
    return mqtt::Offer::sent;
  }
  // Behind what waits already, or the upstream is full: the local session keeps it
  // (stored), bounded like any session's queue.
  const auto& limits = broker_.options().limits;
  return session->state.queue_bounded(std::move(item), limits.max_queued_messages,
                                      limits.max_queued_bytes)
             ? mqtt::Offer::queued
             : mqtt::Offer::dropped_queue_full;
}

bool Bridge::send_upstream(mqtt::Outgoing& item) {
  std::uint64_t tag = ++next_tag_;
  if (!upstream_->publish(to_publish(item, mqtt::Clock::now()), tag)) {
    return false;
  }
  outbound_.emplace(tag, std::move(item));  // until upstream acknowledges it
  return true;
}

void Bridge::on_upstream_acked(std::uint64_t tag, bool ok) {
  auto it = outbound_.find(tag);
  if (it == outbound_.end()) {
    return;
  }
  if (!ok) {
    spdlog::warn("gateway bridge: upstream refused a message on {}", it->second.message->topic);
  }
  // Upstream has it (or will never take it): its stored row for the bridge can go.
  shard_.outbound_changed(
      *this, mqtt::OutboundChanged{mqtt::OutboundChanged::Kind::completed, it->second});
  outbound_.erase(it);
  drain_queue();  // room in the upstream window for what waits
}

void Bridge::send(const mqtt::Packet& packet) {
  const auto* ack = std::get_if<mqtt::Puback>(&packet);
  const auto* rec = std::get_if<mqtt::Pubrec>(&packet);
  std::uint16_t local_id = ack ? ack->packet_id : rec ? rec->packet_id : 0;
  auto it = inbound_.find(local_id);
  if (it == inbound_.end()) {
    return;  // SUBACK of the "#" subscription
  }
  Inbound in = it->second;
  inbound_.erase(it);
  mqtt::Reason reason = ack ? ack->reason : rec->reason;
  if (static_cast<std::uint8_t>(reason) >= 0x80) {
    upstream_->reject(in.upstream_id);  // not stored here (disk full): have it resent
    return;
  }
  if (rec) {
    shard_.inbound_released(*this, local_id);  // no PUBREL comes locally: done with the id
  }
  upstream_->acknowledge(in.upstream_id, in.qos);
}

void Bridge::drain_queue() {
  auto& state = session->state;
  while (!state.queue.empty() && upstream_->connected()) {
    mqtt::Outgoing item = state.pop_queued();
    if (!send_upstream(item)) {  // full again: back to the head until the next ack
      state.queued_bytes += item.message->payload_size();
      state.queue.push_front(std::move(item));
      return;
    }
  }
}

void Bridge::disconnect(mqtt::Reason) {
  upstream_->stop();
  shard_.client_closed(*this, {});
}

void Bridge::on_upstream_connected(bool session_present) {
  if (!session_present) {
    subscribed_.clear();  // a new upstream session: nothing is subscribed there
    wildcards_.clear();
  }
  std::vector<std::string> stale = minus(subscribed_, wanted_);
  if (!stale.empty() && upstream_->unsubscribe(stale, 0)) {
    for (const auto& filter : stale) {
      subscribed_.erase(filter);
      wildcards_.erase(filter);
    }
  }
  for (const auto& filter : minus(wanted_, subscribed_)) {
    subscribe_upstream(filter, session_present);
  }
  if (session) {
    drain_queue();  // what local clients published while upstream was away
  }
}

void Bridge::on_upstream_lost(const mqtt::Failed&, bool) {}

void Bridge::on_upstream_message(mqtt::Publish&& publish) {
  if (!first_copy(publish)) {
    if (publish.qos > 0) {
      upstream_->acknowledge(publish.packet_id, publish.qos);  // taken with the first copy
    }
    return;
  }
  if (publish.qos > 0) {
    next_local_id_ = static_cast<std::uint16_t>(next_local_id_ == 65535 ? 1 : next_local_id_ + 1);
    inbound_[next_local_id_] = {publish.packet_id, publish.qos};  // acked when stored here
    publish.packet_id = next_local_id_;
  }
  publish.dup = false;
  shard_.on_packet(*this, std::move(publish));
}

void Bridge::on_upstream_subscribed(std::uint64_t, const mqtt::Suback& suback) {
  for (mqtt::Reason reason : suback.reasons) {
    if (static_cast<std::uint8_t>(reason) >= 0x80) {
      spdlog::warn("gateway bridge: upstream refused a subscription (reason {:#04x})",
                   static_cast<unsigned>(reason));
    }
  }
}

void Bridge::filter_changed(const std::string& filter, bool wanted) {
  if (wanted) {
    wanted_.insert(filter);
    if (upstream_->connected() && !subscribed_.contains(filter)) {
      subscribe_upstream(filter, false);
    }
    return;
  }
  wanted_.erase(filter);
  if (subscribed_.contains(filter) && upstream_->unsubscribe({filter}, 0)) {
    subscribed_.erase(filter);
    wildcards_.erase(filter);
  }
}

void Bridge::subscribe_upstream(const std::string& filter, bool resume) {
  // One SUBSCRIBE per filter, each with its own Subscription Identifier, so that of the
  // copies a server sends for overlapping filters only one is taken (first_copy). No
  // Local: what the gateway publishes does not come back [MQTT-3.8.3-3]. After a resumed
  // session only new subscriptions get retained messages (Retain Handling 1).
  std::uint32_t id = next_subscription_id_ = next_subscription_id_ % 268435455 + 1;
  mqtt::SubscribeTopic topic{filter, 2, true, true, static_cast<std::uint8_t>(resume ? 1 : 0)};
  if (upstream_->subscribe({topic}, 0, id)) {
    subscribed_[filter] = id;
    if (filter.find_first_of("+#") != std::string::npos) {
      wildcards_[filter] = id;
    }
  }
}

bool Bridge::first_copy(const mqtt::Publish& publish) const {
  const auto& ids = publish.properties.subscription_identifiers;
  if (ids.empty()) {
    return true;  // the server does not say which filter matched: take it
  }
  // The lowest id among the filters that match: only two filters with one a wildcard
  // can match the same topic, so the exact one and the wildcards are all to check.
  std::uint32_t lowest = 0;
  if (auto exact = subscribed_.find(publish.topic); exact != subscribed_.end()) {
    lowest = exact->second;
  }
  for (const auto& [filter, id] : wildcards_) {
    if ((lowest == 0 || id < lowest) && mqtt::topic_matches(filter, publish.topic)) {
      lowest = id;
    }
  }
  return lowest != 0 && std::find(ids.begin(), ids.end(), lowest) != ids.end();
}

}  // namespace ferry::gateway
