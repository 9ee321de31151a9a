#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "locus/common/common.h"
#include "locus/landmark/errors.h"
#include "locus/location/records.h"
#include "locus/location/trustlist.h"

namespace locus::landmark::net {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

bool wait_readable(int fd, int timeout_ms) {
  const int64_t deadline = now_ns() + int64_t(timeout_ms) * 1000000;
  for (int guard = 0; guard < 100000; ++guard) {
    const int64_t left = (deadline - now_ns()) / 1000000;
    if (left < 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = poll(&p, 1, int(left));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
  return false;
}

namespace {

bool write_all(int fd, const uint8_t* p, size_t n, int timeout_ms) {
  const int64_t deadline = now_ns() + int64_t(timeout_ms) * 1000000;
  size_t off = 0;
  while (off < n) {
    const int64_t left = (deadline - now_ns()) / 1000000;
    if (left < 0) return false;
    pollfd pf{fd, POLLOUT, 0};
    const int r = poll(&pf, 1, int(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    const ssize_t w = ::send(fd, p + off, n - off, MSG_NOSIGNAL);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (w <= 0) return false;
    off += size_t(w);
  }
  return true;
}

// 0 ok, 1 timeout, 2 closed/error
int read_all(int fd, uint8_t* p, size_t n, int64_t deadline) {
  size_t off = 0;
  while (off < n) {
    const int64_t left = (deadline - now_ns()) / 1000000;
    if (left < 0) return 1;
    pollfd pf{fd, POLLIN, 0};
    const int r = poll(&pf, 1, int(left));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return 1;
    if (r < 0) return 2;
    const ssize_t g = ::recv(fd, p + off, n - off, 0);
    if (g < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (g <= 0) return 2;
    off += size_t(g);
  }
  return 0;
}

}  // namespace

Status send_msg(int fd, const nlohmann::json& j, int timeout_ms, std::string* why) {
  const std::string s = j.dump();
  if (s.size() > kMaxMessage) {
    if (why != nullptr) *why = "message too large";
    return landmark::LandmarkError::kProtocol;
  }
  std::vector<uint8_t> b(4 + s.size());
  b[0] = uint8_t(s.size() >> 24);
  b[1] = uint8_t(s.size() >> 16);
  b[2] = uint8_t(s.size() >> 8);
  b[3] = uint8_t(s.size());
  std::memcpy(b.data() + 4, s.data(), s.size());
  if (!write_all(fd, b.data(), b.size(), timeout_ms)) {
    if (why != nullptr) *why = "TCP send failed or timed out";
    return landmark::LandmarkError::kNetwork;
  }
  return Status::Ok();
}

Status recv_msg(int fd, nlohmann::json* out, int timeout_ms, std::string* why) {
  const int64_t deadline = now_ns() + int64_t(timeout_ms) * 1000000;
  uint8_t h[4];
  int r = read_all(fd, h, 4, deadline);
  if (r != 0) {
    if (why != nullptr)
      *why = r == 1 ? "timed out waiting for the peer (TCP)" : "peer closed the TCP connection";
    return r == 1 ? Status(landmark::LandmarkError::kTimeout)
                  : Status(landmark::LandmarkError::kNetwork);
  }
  const size_t n = size_t(h[0]) << 24 | size_t(h[1]) << 16 | size_t(h[2]) << 8 | h[3];
  if (n == 0 || n > kMaxMessage) {
    if (why != nullptr) *why = "TCP message length " + std::to_string(n) + " out of range";
    return landmark::LandmarkError::kProtocol;
  }
  std::string s(n, '\0');
  r = read_all(fd, reinterpret_cast<uint8_t*>(&s[0]), n, deadline);
  if (r != 0) {
    if (why != nullptr)
      *why =
          r == 1 ? "timed out inside a TCP message" : "peer closed the TCP connection mid-message";
    return r == 1 ? Status(landmark::LandmarkError::kTimeout)
                  : Status(landmark::LandmarkError::kNetwork);
  }
  nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    if (why != nullptr) *why = "TCP message is not a JSON object with a \"type\"";
    return landmark::LandmarkError::kProtocol;
  }
  if (j["type"] == "error") {
    if (why != nullptr)
      *why = (j.contains("error") && j["error"].is_string()) ? j["error"].get<std::string>()
                                                             : "unspecified";
    return landmark::LandmarkError::kSessionRefused;
  }
  *out = std::move(j);
  return Status::Ok();
}

std::string hex(const uint8_t* p, size_t n) {
  return host::hex_encode(ByteSpan(p, n));
}

bool get_hex(const nlohmann::json& j, const char* key, size_t min, size_t max,
             std::vector<uint8_t>* out) {
  if (!j.contains(key) || !j[key].is_string()) return false;
  const std::string& s = j[key].get_ref<const std::string&>();
  if (s.size() > 2 * max) return false;
  auto h = host::hex_decode(s);
  if (!h.ok()) return false;
  *out = h.take();
  return out->size() >= min && out->size() <= max;
}

bool get_uint(const nlohmann::json& j, const char* key, uint64_t max, uint64_t* out) {
  if (!j.contains(key) || !j[key].is_number_unsigned()) return false;
  const uint64_t v = j[key].get<uint64_t>();
  if (v > max) return false;
  *out = v;
  return true;
}

namespace {
addrinfo* resolve(const std::string& host, uint16_t port, int socktype, std::string* why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  const std::string p = std::to_string(port);
  if (getaddrinfo(host.c_str(), p.c_str(), &hints, &res) != 0 || (res == nullptr)) {
    if (why != nullptr) *why = "cannot resolve " + host;
    return nullptr;
  }
  return res;
}
}  // namespace

int connect_tcp(const std::string& host, uint16_t port, int timeout_ms, std::string* why) {
  addrinfo* res = resolve(host, port, SOCK_STREAM, why);
  if (res == nullptr) return -1;
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    if (why != nullptr) *why = "socket() failed";
    return -1;
  }
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd pf{fd, POLLOUT, 0};
    rc = poll(&pf, 1, timeout_ms) == 1 ? 0 : -1;
    int err = 0;
    socklen_t el = sizeof err;
    if (rc == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)) rc = -1;
  }
  if (rc != 0) {
    ::close(fd);
    if (why != nullptr) *why = "cannot connect to " + host + ":" + std::to_string(port) + " (TCP)";
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int connect_udp(const std::string& host, uint16_t port, std::string* why) {
  addrinfo* res = resolve(host, port, SOCK_DGRAM, why);
  if (res == nullptr) return -1;
  int fd = ::socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    if (fd >= 0) ::close(fd);
    freeaddrinfo(res);
    if (why != nullptr) *why = "cannot set up UDP to " + host + ":" + std::to_string(port);
    return -1;
  }
  freeaddrinfo(res);
  return fd;
}

}  // namespace locus::landmark::net
