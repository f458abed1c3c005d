#include "app/sn_blocking_client.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "protocol/sn/codec.hpp"

namespace ferry::app {
namespace {

using Clock = std::chrono::steady_clock;

struct HostPort {
  std::string host;
  std::string port;
};

HostPort parse_url(const std::string& url) {
  std::string rest = url.rfind("mqttsn://", 0) == 0 ? url.substr(9) : url;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    rest.resize(slash);
  }
  HostPort out{rest, "1884"};
  auto colon = rest.rfind(':');
  bool bracketed = !rest.empty() && rest.front() == '[';
  if (colon != std::string::npos && (!bracketed || rest[colon - 1] == ']')) {
    out.host = rest.substr(0, colon);
    out.port = rest.substr(colon + 1);
  }
  if (out.host.size() > 2 && out.host.front() == '[') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  return out;
}

int open_socket(const std::string& url) {
  HostPort hp = parse_url(url);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error("cannot resolve " + url + ": " + ::gai_strerror(rc));
  }
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    throw std::runtime_error("cannot open a UDP socket to " + url);
  }
  return fd;
}

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace

SnBlockingClient::SnBlockingClient(const std::string& url) : fd_(open_socket(url)) {}

SnBlockingClient::~SnBlockingClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void SnBlockingClient::send(const sn::Message& message) {
  std::string bytes;
  if (!sn::encode(message, bytes)) {
    throw std::runtime_error("message too large for MQTT-SN");
  }
  // A refused send (ICMP port unreachable from an earlier datagram) is like a lost one.
  (void)::send(fd_, bytes.data(), bytes.size(), 0);
}

std::optional<sn::Message> SnBlockingClient::read_datagram(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left_until(deadline).count())) <= 0) {
      return std::nullopt;
    }
    char buffer[65536];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      sn::Decoded decoded = sn::decode(std::string_view(buffer, static_cast<std::size_t>(n)));
      if (decoded.ok()) {
        return std::move(decoded.message);
      }
    }
    if (left_until(deadline).count() == 0) {
      return std::nullopt;
    }
  }
}

std::optional<sn::Message> SnBlockingClient::receive(std::chrono::milliseconds timeout) {
  if (!backlog_.empty()) {
    sn::Message message = std::move(backlog_.front());
    backlog_.pop_front();
    return message;
  }
  return read_datagram(timeout);
}

sn::Message SnBlockingClient::request(sn::Message message,
                                      const std::function<bool(const sn::Message&)>& match,
                                      const char* what) {
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (auto* publish = std::get_if<sn::Publish>(&message); publish && attempt > 0) {
      publish->flags.dup = true;  // [MQTT-SN 5.3.4]
    }
    send(message);
    auto deadline = Clock::now() + retry_interval;
    while (auto reply = read_datagram(left_until(deadline))) {
      if (match(*reply)) {
        return std::move(*reply);
      }
      backlog_.push_back(std::move(*reply));
    }
  }
  throw std::runtime_error(std::string("no ") + what + " from the gateway");
}

}  // namespace ferry::app
