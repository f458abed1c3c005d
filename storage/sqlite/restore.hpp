// Reading the store back at start-up, in the Storage contract's order. Internal to
// storage/sqlite.
#pragma once

#include "storage/sqlite/statements.hpp"
#include "storage/storage.hpp"

namespace ferry::storage::sqlite {

/// Sessions, subscriptions, retained messages, message bodies, queue rows (per client
/// in enqueue order), inbound QoS 2 ids and MQTT-SN topic ids, each in key order. Returns the
/// highest MessageId ever stored. Throws StorageError on a row it cannot decode.
MessageId read_all(Statements& st, const Storage::Visitor& visitor);

}  // namespace ferry::storage::sqlite
