#include "storage/sqlite/restore.hpp"

#include <memory>
#include <string>

#include "storage/sqlite/codec.hpp"

namespace ferry::storage::sqlite {
namespace {

template <class F>
void each_row(Statement& st, F&& f) {
  st.reset();
  while (st.step()) {
    f(st);
  }
}

std::optional<mqtt::Clock::time_point> expiry(const Statement& st, int column,
                                              const Clocks& clocks) {
  if (st.is_null(column)) {
    return std::nullopt;
  }
  return clocks.from_wall_ms(st.int64(column));
}

void read_sessions(Statements& st, const Storage::Visitor& v) {
  each_row(st.read_sessions, [&](const Statement& row) {
    SessionRecord s;
    s.client_id = std::string(row.text(0));
    s.version = static_cast<mqtt::Version>(row.int64(1));
    s.expiry_interval = static_cast<std::uint32_t>(row.int64(2));
    if (!row.is_null(3)) {
      s.will = decode_will(row.text(3));
    }
    s.will_delay = static_cast<std::uint32_t>(row.int64(4));
    s.disconnected_at = row.int64(5);
    v.session(std::move(s));
  });
}

void read_subscriptions(Statements& st, const Storage::Visitor& v) {
  each_row(st.read_subscriptions, [&](const Statement& row) {
    SubscriptionRecord s;
    s.client_id = std::string(row.text(0));
    s.filter = std::string(row.text(1));
    s.options = unpack_options(s.filter, row.int64(2));
    s.subscription_id = static_cast<std::uint32_t>(row.int64(3));
    v.subscription(std::move(s));
  });
}

void read_retained(Statements& st, const Storage::Visitor& v, const Clocks& clocks) {
  each_row(st.read_retained, [&](const Statement& row) {
    auto m = std::make_shared<mqtt::Message>();
    m->topic = std::string(row.text(0));
    m->payload = std::make_shared<const mqtt::Bytes>(row.text(1));
    m->qos = static_cast<std::uint8_t>(row.int64(2));
    m->retain = true;  // a retained message, as put_retained stored it
    m->properties = decode_properties(row.text(3));
    m->expires_at = expiry(row, 4, clocks);
    v.retained(std::move(m));
  });
}

void read_messages(Statements& st, const Storage::Visitor& v, const Clocks& clocks) {
  each_row(st.read_messages, [&](const Statement& row) {
    auto m = std::make_shared<mqtt::Message>();
    m->topic = std::string(row.text(1));
    m->payload = std::make_shared<const mqtt::Bytes>(row.text(2));
    m->qos = static_cast<std::uint8_t>(row.int64(3));
    m->retain = row.int64(4) != 0;
    m->properties = decode_properties(row.text(5));
    m->expires_at = expiry(row, 6, clocks);
    m->origin_session = static_cast<std::uint64_t>(row.int64(7));
    v.message(MessageRecord{static_cast<MessageId>(row.int64(0)), std::move(m)});
  });
}

void read_queue(Statements& st, const Storage::Visitor& v) {
  each_row(st.read_queue, [&](const Statement& row) {
    QueuedRecord q;
    q.client_id = std::string(row.text(0));
    q.message = static_cast<MessageId>(row.int64(1));
    q.qos = static_cast<std::uint8_t>(row.int64(3));
    q.retain = row.int64(4) != 0;
    q.subscription_ids = decode_ids(row.text(5));
    q.packet_id = static_cast<std::uint16_t>(row.int64(6));
    q.released = row.int64(7) != 0;
    v.queued(std::move(q));
  });
}

void read_inbound(Statements& st, const Storage::Visitor& v) {
  each_row(st.read_inbound, [&](const Statement& row) {
    v.inbound_qos2(std::string(row.text(0)), static_cast<std::uint16_t>(row.int64(1)));
  });
}

void read_topics(Statements& st, const Storage::Visitor& v) {
  each_row(st.read_topics, [&](const Statement& row) {
    TopicRecord t;
    t.client_id = std::string(row.text(0));
    t.topic_id = static_cast<std::uint16_t>(row.int64(1));
    t.topic = std::string(row.text(2));
    v.topic(std::move(t));
  });
}

}  // namespace

MessageId read_all(Statements& st, const Storage::Visitor& v) {
  const Clocks clocks;
  if (v.session) {
    read_sessions(st, v);
  }
  if (v.subscription) {
    read_subscriptions(st, v);
  }
  if (v.retained) {
    read_retained(st, v, clocks);
  }
  if (v.message) {
    read_messages(st, v, clocks);
  }
  if (v.queued) {
    read_queue(st, v);
  }
  if (v.inbound_qos2) {
    read_inbound(st, v);
  }
  if (v.topic) {
    read_topics(st, v);
  }
  MessageId highest = 0;
  if (st.highest_message_id.step()) {
    highest = static_cast<MessageId>(st.highest_message_id.int64(0));
    st.highest_message_id.reset();
  }
  return highest;
}

}  // namespace ferry::storage::sqlite
