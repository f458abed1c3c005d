#include "storage/sqlite/writer.hpp"

#include "storage/sqlite/coalesce.hpp"

#include <algorithm>
#include <future>
#include <iterator>

#include "storage/sqlite/file_lock.hpp"
#include "storage/sqlite/schema.hpp"

namespace ferry::storage::sqlite {
namespace {

using Sync = SqliteOptions::Sync;
using std::chrono::steady_clock;

// How long a failed batch waits before it is retried when no new event arrives.
constexpr auto k_retry_delay = std::chrono::milliseconds(500);

void configure(Database& db, Sync sync) {
  db.exec("PRAGMA journal_mode = WAL");
  // [SQLite pragma synchronous]: in WAL mode FULL syncs the WAL on every COMMIT,
  // NORMAL only at checkpoints (durable up to the last checkpoint on power loss).
  db.exec(sync == Sync::ack        ? "PRAGMA synchronous = FULL"
          : sync == Sync::periodic ? "PRAGMA synchronous = NORMAL"
                                   : "PRAGMA synchronous = OFF");
  db.exec("PRAGMA foreign_keys = OFF");
  db.exec("PRAGMA journal_size_limit = 67108864");  // truncate a grown WAL at checkpoint
}

bool is_urgent(const Event& e) {
  const auto* c = std::get_if<Commit>(&e);
  return c != nullptr && c->urgent;
}

bool only_markers(const std::vector<Event>& batch) {
  return std::all_of(batch.begin(), batch.end(),
                     [](const Event& e) { return std::holds_alternative<Commit>(e); });
}

}  // namespace

Writer::Writer(const SqliteOptions& options) : options_(options) {
  check_file_before_open(options_.file);
  lock_ = std::make_unique<FileLock>(options_.file);
  db_ = std::make_unique<Database>(options_.file);
  db_->exec("PRAGMA busy_timeout = 5000");
  const int version = check_database(*db_, options_.file);
  // Nothing has been written before this point: a foreign or corrupt file was refused.
  configure(*db_, options_.sync);
  migrate(*db_, version);
  statements_ = std::make_unique<Statements>(*db_);
  next_seq_ = db_->query_int("SELECT coalesce(max(seq), 0) FROM queue") + 1;
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Writer::push(Event&& event) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    const bool urgent = is_urgent(event);
    // The writer sleeps only with an empty queue, or (periodic) until its deadline.
    wake = queue_.empty() || urgent;
    urgent_ += urgent ? 1 : 0;
    queue_.push_back(std::move(event));
    joined_.push_back(false);
  }
  if (wake) {
    wake_.notify_one();
  }
}

void Writer::push_group(std::vector<Event>&& events) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = queue_.empty() || std::any_of(events.begin(), events.end(), is_urgent);
    for (std::size_t i = 0; i < events.size(); ++i) {
      urgent_ += is_urgent(events[i]) ? 1 : 0;
      queue_.push_back(std::move(events[i]));
      joined_.push_back(i + 1 < events.size());
    }
  }
  if (wake) {
    wake_.notify_one();
  }
}

void Writer::flush() {
  // Must not be called on the writer thread (from a commit callback): it would wait
  // for itself.
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  push(Commit{[done](bool) { done->set_value(); }, true});
  future.wait();
}

std::string Writer::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void Writer::run() {
  std::vector<Event> batch;  // events of a failed batch stay here for the next attempt
  for (;;) {
    const bool more = take(batch, !batch.empty());
    if (batch.empty()) {
      if (!more) {
        return;
      }
      continue;
    }
    finish(batch, write(batch));
    if (!more && !batch.empty()) {
      return;  // stopping and the last attempt failed: nothing more can be done
    }
  }
}

bool Writer::due(steady_clock::time_point now, bool retrying) const {
  if (retrying && now >= retry_at_) {
    return true;
  }
  if (queue_.empty()) {
    return false;
  }
  return options_.sync != Sync::periodic || urgent_ > 0 || now >= next_commit_;
}

bool Writer::take(std::vector<Event>& out, bool retrying) {
  std::unique_lock lock(mutex_);
  auto now = steady_clock::now();
  while (!stop_ && !due(now, retrying)) {
    auto until = steady_clock::time_point::max();
    if (!queue_.empty()) {
      until = next_commit_;  // periodic: the queue waits for the interval to end
    }
    if (retrying) {
      until = std::min(until, retry_at_);
    }
    if (until == steady_clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, until);
    }
    now = steady_clock::now();
  }
  std::size_t n = std::min(queue_.size(), std::max<std::size_t>(options_.max_batch, 1));
  while (n > 0 && joined_[n - 1]) {
    ++n;  // the last event of a group is never joined, so this stays inside the queue
  }
  const auto first = queue_.begin();
  const auto last = first + static_cast<std::ptrdiff_t>(n);
  if (urgent_ > 0) {
    urgent_ -= static_cast<std::size_t>(std::count_if(first, last, is_urgent));
  }
  if (out.empty() && n == queue_.size()) {
    out.swap(queue_);
    joined_.clear();
  } else {
    out.insert(out.end(), std::make_move_iterator(first), std::make_move_iterator(last));
    queue_.erase(first, last);
    joined_.erase(joined_.begin(), joined_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  if (options_.sync == Sync::periodic) {
    next_commit_ = now + std::chrono::milliseconds(options_.sync_interval_ms);
  }
  return !(stop_ && queue_.empty());
}

bool Writer::write(const std::vector<Event>& batch) {
  if (only_markers(batch)) {
    return true;  // nothing to write: earlier batches have already committed
  }
  std::lock_guard lock(db_mutex_);
  const Clocks clocks;
  Applier apply(*statements_, clocks, next_seq_);
  const std::vector<bool> cancelled = cancelled_events(batch);
  try {
    statements_->begin.run();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!cancelled[i]) {
        std::visit(apply, batch[i]);
      }
    }
    statements_->commit.run();  // synchronous=FULL: the WAL is fsynced when this returns
    return true;
  } catch (const std::exception& e) {
    if (db_->in_transaction()) {
      try {
        statements_->rollback.run();
      } catch (const std::exception&) {
        // SQLite may have rolled back already (SQLITE_FULL); nothing else to undo.
      }
    }
    std::lock_guard error_lock(error_mutex_);
    last_error_ = e.what();
    return false;
  }
}

void Writer::finish(std::vector<Event>& batch, bool ok) {
  if (ok) {
    committed_batches_.fetch_add(1);
  } else {
    failed_batches_.fetch_add(1);
    std::lock_guard lock(mutex_);
    retry_at_ = steady_clock::now() + k_retry_delay;
  }
  healthy_.store(ok, std::memory_order_release);  // before callbacks: they may ask
  for (auto& event : batch) {
    if (auto* c = std::get_if<Commit>(&event); c != nullptr && c->done) {
      c->done(ok);
    }
  }
  if (ok) {
    batch.clear();
  } else {
    std::erase_if(batch, [](const Event& e) { return std::holds_alternative<Commit>(e); });
  }
}

}  // namespace ferry::storage::sqlite
