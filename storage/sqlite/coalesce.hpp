// Group commit's second saving: inside one batch, a message that is stored, queued and
// acknowledged again before the batch is written needs no SQL at all. Internal to
// storage/sqlite.
#pragma once

#include <vector>

#include "storage/sqlite/events.hpp"

namespace ferry::storage::sqlite {

/// Marks the events of `batch` that cancel out: for a message whose PutMessage is in this
/// batch (so no row for it can exist on disk yet), every Enqueue of (client, message)
/// followed by a Dequeue of the same pair, that Dequeue, and the PutMessage itself once
/// no queue row is left for it. The batch's highest message id is never cancelled (the
/// store reports the highest id ever stored). Returns one flag per event (true = skip).
std::vector<bool> cancelled_events(const std::vector<Event>& batch);

}  // namespace ferry::storage::sqlite
