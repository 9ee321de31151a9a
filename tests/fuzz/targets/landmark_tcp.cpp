// Fuzz target landmark_tcp: what a client sends to a landmark over TCP (length-prefixed JSON
// messages: setup, dev_key, close; docs/protocol.md), through the real landmark::Server:
// Server::serve_one runs on one end of a socketpair whose other end holds the fuzz input
// and is then shut for writing, so every read ends at the input's end. The landmark's UDP
// socket is bound on 127.0.0.1 (kernel-chosen port) and the per-wait timeout is 5 ms, so a
// session that gets as far as the timed rounds fails there quickly.
// Invariants: serve_one never succeeds (the input cannot answer timed rounds it never sees);
// whatever it sent back is a sequence of well-formed length-prefixed JSON objects with a
// string "type", and a failure ends with a message of type "error".
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_targets.h"
#include "locus/crypto/p256.h"
#include "locus/landmark/server.h"

using namespace locus;

namespace {

landmark::Server* make_server() {
  landmark::LandmarkConfig cfg;
  cfg.id = "lm-fuzz";
  cfg.lat_deg = 1.35;
  cfg.lon_deg = 103.82;
  cfg.listen = "127.0.0.1";
  cfg.timeout_ms = 5;
  static const uint8_t seed[4] = {'f', 'u', 'z', 'z'};
  static const char label[] = "landmark";
  crypto::P256PrivateKey key;
  if (!crypto::p256_derive_key(ByteSpan(seed, 4),
                               ByteSpan(reinterpret_cast<const uint8_t*>(label), sizeof label - 1),
                               &key)
           .ok())
    __builtin_trap();
  auto* s = new landmark::Server(cfg, key);
  std::string why;
  if (!s->start(&why).ok()) __builtin_trap();
  return s;
}

// Checks the server's replies: 4-byte big-endian length + JSON object with a string "type".
// Returns the number of messages.
size_t check_replies(int fd, bool* last_is_error) {
  std::string all;
  char buf[4096];
  for (int i = 0; i < 1024; ++i) {
    const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  size_t off = 0, count = 0;
  *last_is_error = false;
  while (off < all.size()) {
    LOCUS_FUZZ_CHECK(all.size() - off >= 4);
    const size_t len = static_cast<size_t>(static_cast<uint8_t>(all[off])) << 24 |
                       static_cast<size_t>(static_cast<uint8_t>(all[off + 1])) << 16 |
                       static_cast<size_t>(static_cast<uint8_t>(all[off + 2])) << 8 |
                       static_cast<uint8_t>(all[off + 3]);
    LOCUS_FUZZ_CHECK(len > 0 && all.size() - off - 4 >= len);
    const nlohmann::json j = nlohmann::json::parse(all.substr(off + 4, len), nullptr, false);
    LOCUS_FUZZ_CHECK(!j.is_discarded() && j.is_object() && j.contains("type") &&
                     j["type"].is_string());
    *last_is_error = j["type"] == "error";
    off += 4 + len;
    ++count;
  }
  return count;
}

}  // namespace

extern "C" int locus_fuzz_landmark_tcp(const uint8_t* data, size_t size) {
  static landmark::Server* server = make_server();
  if (size > 256 * 1024) return 0;  // beyond the socket buffer; the cap per message is 64 KiB
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) __builtin_trap();
  int buf = 512 * 1024;
  (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  (void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  size_t off = 0;
  while (off < size) {
    const ssize_t n = send(sv[0], data + off, size - off, MSG_DONTWAIT);
    if (n <= 0) break;  // the rest does not fit: the server sees a truncated stream
    off += static_cast<size_t>(n);
  }
  shutdown(sv[0], SHUT_WR);
  std::string why;
  const Status s = server->serve_one(sv[1], &why);
  close(sv[1]);
  bool last_error = false;
  const size_t replies = check_replies(sv[0], &last_error);
  close(sv[0]);
  LOCUS_FUZZ_CHECK(!s.ok());
  LOCUS_FUZZ_CHECK(last_error);
  LOCUS_FUZZ_CHECK(!why.empty());
  if (replies >= 2) LOCUS_FUZZ_ACCEPTED();  // the setup message was accepted (setup_ok sent)
  return 0;
}
