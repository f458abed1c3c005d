#include "transports/egress/egress.hpp"

namespace ferry::transports::egress {
namespace {

class AsioEgress final : public Egress {
 public:
  void submit(std::span<const WriteRequest> batch) override {
    for (const WriteRequest& request : batch) {
      request.link->write(*request.chain);
    }
  }
  std::string name() const override { return "asio"; }
};

}  // namespace

std::unique_ptr<Egress> make_asio_egress() {
  return std::make_unique<AsioEgress>();
}

}  // namespace ferry::transports::egress
