// A shard: one thread and event loop, the connections it accepted and the sessions that
// live on it. Shared-nothing: other shards reach it only by posting to its loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/message.hpp"
#include "broker/session.hpp"
#include "broker/subscription_trie.hpp"
#include "protocol/mqtt/connection.hpp"
#include "protocol/mqtt/packet.hpp"
#include "transports/egress/egress.hpp"
#include "transports/event_loop.hpp"
#include "transports/link.hpp"
#include "transports/timer_wheel.hpp"

namespace ferry::sn {
struct WillUpdate;
struct TopicIdChanged;
}  // namespace ferry::sn

namespace ferry::broker {

class Broker;
class Client;
struct RoutePlan;

class Shard {
 public:
  Shard(Broker& broker, std::uint32_t index);
  ~Shard();

  transports::EventLoop& loop() { return loop_; }
  /// Coarse timers for many clients (MQTT-SN keep alive, retry, sleep).
  transports::TimerWheel& wheel() { return wheel_; }
  std::uint32_t index() const { return index_; }
  Clock::time_point now() const { return Clock::now(); }

  void start_thread();
  void join();

  // Everything below runs on this shard's thread.
  /// Takes a newly accepted link and starts its connection. `slots` counts the
  /// connections of the link's listener (null = no per-listener limit); the client
  /// gives its slot back when it ends.
  void adopt(std::unique_ptr<transports::Link> link,
             std::shared_ptr<std::atomic<std::uint32_t>> slots = nullptr);
  /// Registers a client driver created by a transport front end (the MQTT-SN gateway).
  void add_client(std::unique_ptr<Client> client);
  /// A packet the connection delivered (CONNECT, PUBLISH, SUBSCRIBE, ...).
  void on_packet(Client& client, mqtt::Packet&& packet);
  void client_closed(Client& client, std::error_code error);
  /// An MQTT-SN client changed its will (WILLTOPICUPD/WILLMSGUPD) [MQTT-SN 6.4].
  void update_will(Client& client, const sn::WillUpdate& update);
  /// An MQTT-SN client's topic ids changed: kept with a persistent session.
  void topic_id_changed(Client& client, const sn::TopicIdChanged& change);
  /// A QoS -1 PUBLISH from an MQTT-SN client without a connection [MQTT-SN 6.8].
  void publish_unconnected(mqtt::Publish&& publish);
  /// Queues the client's output for the flush at the end of this loop turn.
  void schedule_flush(Client& client);
  /// Offers `message` to the local sessions in `deliveries`.
  void deliver(const MessagePtr& message, const std::vector<Delivery>& deliveries);
  /// A session on its way to another shard (takeover), with the ids of its QoS 2
  /// PUBLISHes whose commit is still running here.
  struct MovingSession {
    std::unique_ptr<Session> session;  // null if it was gone
    std::vector<std::uint16_t> committing_qos2;
  };
  /// Gives session `id` up for a takeover on another shard.
  MovingSession release_session(std::uint64_t id, std::uint32_t to);
  /// The commit of session `session_id`'s QoS 2 PUBLISH `packet_id` finished (`ok`):
  /// resends that waited for it are acknowledged. With `remember` (no PUBREC went out:
  /// the publisher is gone), a successful id joins the session's dedupe set, here or on
  /// the shard the session moved to.
  void qos2_committed(std::uint64_t session_id, std::uint16_t packet_id, bool ok, bool remember);
  /// Disconnects every client with `reason` (shutdown).
  void disconnect_all(mqtt::Reason reason);
  std::size_t client_count() const { return clients_.size(); }
  /// A stored outbound message changed state: update or drop its storage row.
  void outbound_changed(Client& client, const mqtt::OutboundChanged& change);
  void inbound_released(Client& client, std::uint16_t packet_id);
  /// Restore: adds a session read from storage (offline) to this shard.
  Session& restore_session(const std::string& client_id, std::uint64_t id);
  /// Restore: starts the will and expiry countdowns of restored sessions.
  void start_restored(std::int64_t now_wall);

 private:
  /// An inbound QoS>0 PUBLISH waiting for its commit before it is acknowledged.
  struct PendingPublish {
    std::uint64_t serial;
    Client* client;
    std::uint64_t session;
    std::uint64_t ticket;
    std::uint16_t packet_id;
    std::uint8_t qos;
    std::shared_ptr<RoutePlan> plan;  // QoS 2: delivered after the commit
  };

  void handle_connect(Client& client, mqtt::Connect&& connect);
  bool assign_client_id(Client& client, mqtt::Connect& connect, mqtt::Properties& props);
  struct TakeoverRequest {
    std::uint64_t serial;  // the waiting client, checked against pointer reuse
    std::uint32_t from;    // the shard the session leaves
    Client* client;
    std::string client_id;
    std::uint64_t session;
    mqtt::Connect connect;
    mqtt::Properties props;
  };

  void take_from_client(Session& session);
  static bool resumable(const Session& session, const mqtt::Connect& connect);
  void take_over_local(Client& client, Session& session, mqtt::Connect&& connect,
                       mqtt::Properties&& props);
  void take_over_remote(Client& client, std::uint32_t from, std::uint64_t session_id,
                        mqtt::Connect&& connect, mqtt::Properties&& props);
  void receive_session(TakeoverRequest& request, MovingSession arriving);
  Session& create_session(const std::string& client_id, std::uint64_t id);
  void attach(Client& client, Session& session, bool present, mqtt::Connect&& connect,
              mqtt::Properties&& props);
  void detach(Session& session, bool graceful);
  void persist_attached(Session& session);
  void end_session(Session& session);
  void publish_will(Session& session);
  void note_moved(std::uint64_t session, std::uint32_t to);

  void handle_publish(Client& client, mqtt::Publish&& publish);
  /// Matches `message` and writes its storage rows, with the QoS 2 id when asked.
  RoutePlan plan_publish(const Session& session, const MessagePtr& message, std::uint16_t packet_id,
                         bool dedupe_stored);
  // shard_qos2.cpp: exactly once while a QoS 2 PUBLISH's commit runs.
  /// A resend (after a reconnect) of a QoS 2 PUBLISH whose commit is still running: its
  /// acknowledgement waits for that commit and the message is not routed again.
  bool await_committing(Client& client, const Session& session, std::uint16_t packet_id);
  void start_committing(const Session& session, std::uint16_t packet_id);
  std::vector<std::uint16_t> take_committing(std::uint64_t session_id);
  /// `client` if it is still connected here and not a reused address (serial), else null.
  Client* live_client(Client* client, std::uint64_t serial) const;
  MessagePtr make_message(const Session& session, mqtt::Publish&& publish);
  void publish_committed(const PendingPublish& pending, bool ok);
  void handle_subscribe(Client& client, mqtt::Subscribe&& subscribe);
  mqtt::Reason subscribe_one(Session& session, const mqtt::SubscribeTopic& topic,
                             std::uint32_t subscription_id, std::vector<MessagePtr>& retained);
  void handle_unsubscribe(Client& client, mqtt::Unsubscribe&& unsubscribe);
  void handle_disconnect(Client& client, const mqtt::Disconnect& disconnect);
  void offer(Session& session, mqtt::Outgoing&& item);
  /// Holds the client's output until everything stored so far is durable (sync = ack).
  void hold_until_durable(Client& client);
  void flush_dirty();
  void log_close(Client& client, std::error_code error);

  Broker& broker_;
  std::uint32_t index_;
  transports::EventLoop loop_;
  transports::TimerWheel wheel_{loop_};  // outlives the clients that arm it
  std::thread thread_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Session>> sessions_;
  std::unordered_map<Client*, std::unique_ptr<Client>> clients_;
  /// Sessions that left for another shard, so deliveries matched before their
  /// subscriptions moved can follow them. Entries are dropped after a few seconds.
  struct Moved {
    std::uint32_t shard;
    Clock::time_point at;
  };
  std::unordered_map<std::uint64_t, Moved> moved_;
  /// Acknowledgements of QoS 2 resends waiting for the commit of the first copy, by
  /// (session id, packet id); an entry exists while that commit runs.
  struct AckWaiter {
    std::uint64_t serial;
    Client* client;
    std::uint64_t ticket;
  };
  std::map<std::pair<std::uint64_t, std::uint16_t>, std::vector<AckWaiter>> committing_qos2_;
  std::unique_ptr<transports::egress::Egress> egress_;
  std::vector<Client*> dirty_;
  std::vector<transports::egress::WriteRequest> write_batch_;
  bool flush_posted_ = false;
};

}  // namespace ferry::broker
