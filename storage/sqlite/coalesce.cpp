#include "storage/sqlite/coalesce.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

namespace ferry::storage::sqlite {
namespace {

using Pair = std::pair<std::string, MessageId>;

struct Message {
  std::size_t put_index = 0;
  std::size_t live_rows = 0;  // queue rows not cancelled within the batch
  bool dequeued = false;      // a dequeue was seen: every enqueue of it came before
};

}  // namespace

std::vector<bool> cancelled_events(const std::vector<Event>& batch) {
  std::vector<bool> skip(batch.size(), false);
  // The batch's highest message id is always written: restore() reports the highest id
  // ever stored, so ids are never reused after a restart.
  MessageId highest = 0;
  for (const Event& e : batch) {
    if (const auto* put = std::get_if<PutMessage>(&e)) {
      highest = std::max(highest, put->record.id);
    }
  }
  std::unordered_map<MessageId, Message> fresh;       // messages first stored in this batch
  std::map<Pair, std::vector<std::size_t>> enqueues;  // pending Enqueue indexes per pair
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Event& e = batch[i];
    if (const auto* put = std::get_if<PutMessage>(&e)) {
      if (put->record.id != highest) {
        fresh[put->record.id] = Message{i, 0};
      }
    } else if (const auto* enq = std::get_if<Enqueue>(&e)) {
      auto it = fresh.find(enq->record.message);
      if (it == fresh.end()) {
        continue;
      }
      auto& indexes = enqueues[{enq->record.client_id, enq->record.message}];
      if (indexes.empty()) {
        ++it->second.live_rows;
      }
      indexes.push_back(i);
    } else if (const auto* deq = std::get_if<Dequeue>(&e)) {
      auto it = enqueues.find({deq->client_id, deq->message});
      if (it == enqueues.end() || it->second.empty()) {
        continue;
      }
      for (std::size_t index : it->second) {
        skip[index] = true;
      }
      it->second.clear();
      skip[i] = true;
      Message& message = fresh[deq->message];
      --message.live_rows;
      message.dequeued = true;
    }
  }
  // The broker queues a message for all its subscribers before it delivers it, so once
  // one dequeue is seen every enqueue is in this batch: no row left = no body needed.
  for (const auto& [id, message] : fresh) {
    if (message.dequeued && message.live_rows == 0) {
      skip[message.put_index] = true;
    }
  }
  return skip;
}

}  // namespace ferry::storage::sqlite
