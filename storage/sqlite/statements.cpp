#include "storage/sqlite/statements.hpp"

#include "storage/sqlite/codec.hpp"

namespace ferry::storage::sqlite {

Statements::Statements(Database& db)
    : begin(db, "BEGIN IMMEDIATE"),
      commit(db, "COMMIT"),
      rollback(db, "ROLLBACK"),
      put_session(db, "INSERT OR REPLACE INTO sessions VALUES(?1, ?2, ?3, ?4, ?5, ?6)"),
      erase_session_bodies(db,
                           "DELETE FROM messages WHERE id IN (SELECT message_id FROM queue "
                           "WHERE client_id = ?1) AND NOT EXISTS (SELECT 1 FROM queue q WHERE "
                           "q.message_id = messages.id AND q.client_id <> ?1)"),
      erase_session_queue(db, "DELETE FROM queue WHERE client_id = ?1"),
      erase_session_subscriptions(db, "DELETE FROM subscriptions WHERE client_id = ?1"),
      erase_session_inbound(db, "DELETE FROM inbound_qos2 WHERE client_id = ?1"),
      erase_session_topics(db, "DELETE FROM sn_topics WHERE client_id = ?1"),
      erase_session(db, "DELETE FROM sessions WHERE client_id = ?1"),
      put_subscription(db, "INSERT OR REPLACE INTO subscriptions VALUES(?1, ?2, ?3, ?4)"),
      erase_subscription(db, "DELETE FROM subscriptions WHERE client_id = ?1 AND filter = ?2"),
      put_retained(db, "INSERT OR REPLACE INTO retained VALUES(?1, ?2, ?3, ?4, ?5)"),
      erase_retained(db, "DELETE FROM retained WHERE topic = ?1"),
      put_message(db, "INSERT OR REPLACE INTO messages VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
      // Replacing a row keeps its seq: enqueue order is the first enqueue's.
      enqueue(db,
              "INSERT INTO queue VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
              "ON CONFLICT(client_id, message_id) DO UPDATE SET qos = excluded.qos, "
              "retain = excluded.retain, subscription_ids = excluded.subscription_ids, "
              "packet_id = excluded.packet_id, released = excluded.released"),
      dequeue(db, "DELETE FROM queue WHERE client_id = ?1 AND message_id = ?2"),
      erase_unreferenced_body(db,
                              "DELETE FROM messages WHERE id = ?1 AND NOT EXISTS "
                              "(SELECT 1 FROM queue WHERE message_id = ?1)"),
      put_inbound(db, "INSERT OR IGNORE INTO inbound_qos2 VALUES(?1, ?2)"),
      erase_inbound(db, "DELETE FROM inbound_qos2 WHERE client_id = ?1 AND packet_id = ?2"),
      put_topic(db, "INSERT OR REPLACE INTO sn_topics VALUES(?1, ?2, ?3)"),
      erase_topic(db, "DELETE FROM sn_topics WHERE client_id = ?1 AND topic_id = ?2"),
      read_sessions(db, "SELECT * FROM sessions ORDER BY client_id"),
      read_subscriptions(db, "SELECT * FROM subscriptions ORDER BY client_id, filter"),
      read_retained(db, "SELECT * FROM retained ORDER BY topic"),
      read_messages(db, "SELECT * FROM messages ORDER BY id"),
      read_queue(db, "SELECT * FROM queue ORDER BY client_id, seq"),
      read_inbound(db, "SELECT * FROM inbound_qos2 ORDER BY client_id, packet_id"),
      read_topics(db, "SELECT * FROM sn_topics ORDER BY client_id, topic_id"),
      highest_message_id(db,
                         "SELECT max(coalesce((SELECT max(id) FROM messages), 0), coalesce("
                         "(SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0))"),
      highest_seq(db, "SELECT coalesce(max(seq), 0) FROM queue") {}

std::int64_t pack_options(const mqtt::SubscribeTopic& o) {
  return (o.qos & 0x03) | (o.no_local ? 0x04 : 0) | (o.retain_as_published ? 0x08 : 0) |
         ((o.retain_handling & 0x03) << 4);
}

mqtt::SubscribeTopic unpack_options(std::string filter, std::int64_t bits) {
  mqtt::SubscribeTopic o;
  o.filter = std::move(filter);
  o.qos = static_cast<std::uint8_t>(bits & 0x03);
  o.no_local = (bits & 0x04) != 0;
  o.retain_as_published = (bits & 0x08) != 0;
  o.retain_handling = static_cast<std::uint8_t>((bits >> 4) & 0x03);
  return o;
}

void Applier::operator()(const PutSession& e) {
  const auto& s = e.record;
  const std::string will = s.will ? encode_will(*s.will) : std::string();
  st_.put_session.bind_text(1, s.client_id)
      .bind(2, static_cast<std::int64_t>(s.version))
      .bind(3, s.expiry_interval)
      .bind_blob_or_null(4, will)
      .bind(5, s.will_delay)
      .bind(6, s.disconnected_at)
      .run();
}

void Applier::operator()(const EraseSession& e) {
  // Bodies first, while the queue rows still say which ones were this client's.
  for (auto* st :
       {&st_.erase_session_bodies, &st_.erase_session_queue, &st_.erase_session_subscriptions,
        &st_.erase_session_inbound, &st_.erase_session_topics, &st_.erase_session}) {
    st->bind_text(1, e.client_id).run();
  }
}

void Applier::operator()(const PutSubscription& e) {
  const auto& s = e.record;
  st_.put_subscription.bind_text(1, s.client_id)
      .bind_text(2, s.filter)
      .bind(3, pack_options(s.options))
      .bind(4, s.subscription_id)
      .run();
}

void Applier::operator()(const EraseSubscription& e) {
  st_.erase_subscription.bind_text(1, e.client_id).bind_text(2, e.filter).run();
}

void Applier::operator()(const PutRetained& e) {
  const auto& m = *e.message;
  if (m.payload_size() == 0) {
    st_.erase_retained.bind_text(1, m.topic).run();
    return;
  }
  const std::string props = encode_properties(m.properties);
  auto& st = st_.put_retained;
  st.bind_text(1, m.topic).bind_blob(2, *m.payload).bind(3, m.qos).bind_blob_or_null(4, props);
  if (m.expires_at) {
    st.bind(5, clocks_.to_wall_ms(*m.expires_at));
  } else {
    st.bind_null(5);
  }
  st.run();
}

void Applier::operator()(const PutMessage& e) {
  const auto& m = *e.record.message;
  const std::string props = encode_properties(m.properties);
  auto& st = st_.put_message;
  st.bind(1, static_cast<std::int64_t>(e.record.id))
      .bind_text(2, m.topic)
      .bind_blob(3, m.payload ? std::string_view(*m.payload) : std::string_view())
      .bind(4, m.qos)
      .bind(5, m.retain ? 1 : 0)
      .bind_blob_or_null(6, props)
      .bind(8, static_cast<std::int64_t>(m.origin_session));
  if (m.expires_at) {
    st.bind(7, clocks_.to_wall_ms(*m.expires_at));
  } else {
    st.bind_null(7);
  }
  st.run();
}

void Applier::operator()(const Enqueue& e) {
  const auto& q = e.record;
  const std::string ids = encode_ids(q.subscription_ids);
  st_.enqueue.bind_text(1, q.client_id)
      .bind(2, static_cast<std::int64_t>(q.message))
      .bind(3, next_seq_++)
      .bind(4, q.qos)
      .bind(5, q.retain ? 1 : 0)
      .bind_blob_or_null(6, ids)
      .bind(7, q.packet_id)
      .bind(8, q.released ? 1 : 0)
      .run();
}

void Applier::operator()(const Dequeue& e) {
  const auto id = static_cast<std::int64_t>(e.message);
  if (st_.dequeue.bind_text(1, e.client_id).bind(2, id).run() > 0) {
    st_.erase_unreferenced_body.bind(1, id).run();
  }
}

void Applier::operator()(const PutInbound& e) {
  st_.put_inbound.bind_text(1, e.client_id).bind(2, e.packet_id).run();
}

void Applier::operator()(const EraseInbound& e) {
  st_.erase_inbound.bind_text(1, e.client_id).bind(2, e.packet_id).run();
}

void Applier::operator()(const PutTopic& e) {
  const auto& t = e.record;
  st_.put_topic.bind_text(1, t.client_id).bind(2, t.topic_id).bind_text(3, t.topic).run();
}

void Applier::operator()(const EraseTopic& e) {
  st_.erase_topic.bind_text(1, e.client_id).bind(2, e.topic_id).run();
}

}  // namespace ferry::storage::sqlite
