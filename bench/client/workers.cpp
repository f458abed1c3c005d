#include "bench/client/workers.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace ferry::bench {

struct Workers::Guard {
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
};

Workers::Workers(int threads) {
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(
        std::make_unique<Guard>(Guard{boost::asio::make_work_guard(*contexts_.back())}));
  }
}

Workers::~Workers() {
  stop();
}

void Workers::start() {
  for (auto& io : contexts_) {
    threads_.emplace_back([ctx = io.get()] { ctx->run(); });
  }
}

void Workers::stop() {
  guards_.clear();
  for (auto& io : contexts_) {
    io->stop();
  }
  for (auto& t : threads_) {
    t.join();
  }
  threads_.clear();
}

}  // namespace ferry::bench
