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
#include "locus/common/json_read.h"
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

host::HStatus send_msg(int fd, const nlohmann::json& j, int timeout_ms) {
  const std::string s = j.dump();
  if (s.size() > kMaxMessage) {
    return {landmark::LandmarkError::kProtocol, "message too large"};
  }
  std::vector<uint8_t> b(4 + s.size());
  b[0] = uint8_t(s.size() >> 24);
  b[1] = uint8_t(s.size() >> 16);
  b[2] = uint8_t(s.size() >> 8);
  b[3] = uint8_t(s.size());
  std::memcpy(b.data() + 4, s.data(), s.size());
  if (!write_all(fd, b.data(), b.size(), timeout_ms)) {
    return {landmark::LandmarkError::kNetwork, "TCP send failed or timed out"};
  }
  return host::HStatus::Ok();
}

host::HStatus recv_msg(int fd, nlohmann::json* out, int timeout_ms) {
  const int64_t deadline = now_ns() + int64_t(timeout_ms) * 1000000;
  uint8_t h[4];
  int r = read_all(fd, h, 4, deadline);
  if (r != 0) {
    return r == 1
               ? host::HStatus(landmark::LandmarkError::kTimeout,
                               "timed out waiting for the peer (TCP)")
               : host::HStatus(landmark::LandmarkError::kNetwork, "peer closed the TCP connection");
  }
  const size_t n = size_t(h[0]) << 24 | size_t(h[1]) << 16 | size_t(h[2]) << 8 | h[3];
  if (n == 0 || n > kMaxMessage) {
    return {landmark::LandmarkError::kProtocol,
            "TCP message length " + std::to_string(n) + " out of range"};
  }
  std::string s(n, '\0');
  r = read_all(fd, reinterpret_cast<uint8_t*>(&s[0]), n, deadline);
  if (r != 0) {
    return r == 1
               ? host::HStatus(landmark::LandmarkError::kTimeout, "timed out inside a TCP message")
               : host::HStatus(landmark::LandmarkError::kNetwork,
                               "peer closed the TCP connection mid-message");
  }
  nlohmann::json j = locus::host::parse_json(s);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return {landmark::LandmarkError::kProtocol, "TCP message is not a JSON object with a \"type\""};
  }
  if (j["type"] == "error") {
    return {landmark::LandmarkError::kSessionRefused,
            (j.contains("error") && j["error"].is_string()) ? j["error"].get<std::string>()
                                                            : "unspecified"};
  }
  *out = std::move(j);
  return host::HStatus::Ok();
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
// nullptr if host:port does not resolve.
addrinfo* resolve(const std::string& host, uint16_t port, int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  const std::string p = std::to_string(port);
  if (getaddrinfo(host.c_str(), p.c_str(), &hints, &res) != 0 || (res == nullptr)) return nullptr;
  return res;
}
}  // namespace

host::HostResult<int> connect_tcp(const std::string& host, uint16_t port, int timeout_ms) {
  addrinfo* res = resolve(host, port, SOCK_STREAM);
  if (res == nullptr)
    return host::Error{landmark::LandmarkError::kNetwork, "cannot resolve " + host};
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return host::Error{landmark::LandmarkError::kNetwork, "socket() failed"};
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
    return host::Error{landmark::LandmarkError::kNetwork,
                       "cannot connect to " + host + ":" + std::to_string(port) + " (TCP)"};
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

host::HostResult<int> connect_udp(const std::string& host, uint16_t port) {
  addrinfo* res = resolve(host, port, SOCK_DGRAM);
  if (res == nullptr)
    return host::Error{landmark::LandmarkError::kNetwork, "cannot resolve " + host};
  int fd = ::socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    if (fd >= 0) ::close(fd);
    freeaddrinfo(res);
    return host::Error{landmark::LandmarkError::kNetwork,
                       "cannot set up UDP to " + host + ":" + std::to_string(port)};
  }
  freeaddrinfo(res);
  return fd;
}

}  // namespace locus::landmark::net
