// The landmark's /metrics listener (contract: locus/landmark/metrics_http.h).
#include "locus/common/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "locus/landmark/metrics_http.h"

namespace locus::landmark {

namespace {
constexpr size_t kMaxRequest = 4096;
constexpr int kRequestDeadlineMs = 2000;

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    off += size_t(n);
  }
}

std::string response(int code, const char* reason, const std::string& ctype,
                     const std::string& body) {
  return "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\nContent-Type: " + ctype +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}
}  // namespace

MetricsHttp::~MetricsHttp() {
  stop();
}

host::HStatus MetricsHttp::start(const std::string& host, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    return {host::HostError::kUsage, "--metrics-listen: host must be an IPv4 address: " + host};
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(fd_, 16) != 0) {
    host::HStatus err(host::HostError::kNetwork, "--metrics-listen: cannot listen on " + host +
                                                     ":" + std::to_string(port) + ": " +
                                                     std::strerror(errno));
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return err;
  }
  sockaddr_in b{};
  socklen_t bl = sizeof b;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&b), &bl);
  port_ = ntohs(b.sin_port);
  t_ = std::thread([this] { loop(); });
  return host::HStatus::Ok();
}

void MetricsHttp::stop() {
  stop_ = true;
  if (t_.joinable()) t_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void MetricsHttp::loop() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    handle(c);
    ::close(c);
  }
}

void MetricsHttp::handle(int fd) {
  std::string req;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kRequestDeadlineMs);
  while (req.find("\r\n\r\n") == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0 || req.size() >= kMaxRequest) return;  // slow or oversized: just close
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, int(left)) <= 0) return;
    char b[1024];
    const ssize_t n = ::recv(fd, b, sizeof b, 0);
    if (n <= 0) return;
    req.append(b, size_t(n));
  }
  const size_t sp1 = req.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : req.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) {
    send_all(fd, response(400, "Bad Request", "text/plain", "malformed request\n"));
    return;
  }
  const std::string method = req.substr(0, sp1), target = req.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target != "/metrics") {
    send_all(fd, response(404, "Not Found", "text/plain", "only /metrics here\n"));
  } else if (method != "GET") {
    send_all(fd, response(405, "Method Not Allowed", "text/plain", "GET only\n"));
  } else {
    ++scrapes_;
    send_all(fd, response(200, "OK", host::metrics::kContentType, render_()));
  }
}

}  // namespace locus::landmark
