// Generator threads: one io_context per thread, each running until stop().
#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace ferry::bench {

class Workers {
 public:
  explicit Workers(int threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& io(std::size_t i) { return *contexts_[i % contexts_.size()]; }
  void start();
  /// Stops every loop and joins the threads; handlers left are never run.
  void stop();

 private:
  struct Guard;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::unique_ptr<Guard>> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::bench
