// Fuzz target landmark_tcp: what a client sends to a landmark over TCP (length-prefixed JSON
// messages: setup, dev_key, close; docs/protocol.md), through the real landmark::Server:
// it serves on 127.0.0.1 (kernel-chosen ports) from a thread of this process; each input is
// sent on a new connection, which is then shut for writing, so every read of the server
// ends at the input's end. The per-wait timeout is 5 ms, so a session that gets as far as
// the timed rounds fails there quickly.
// Invariants: no session succeeds (the input cannot answer timed rounds it never sees);
// whatever the server sent back is a sequence of well-formed length-prefixed JSON objects
// with a string "type", and it ends with a message of type "error" (or with nothing, when
// the connection was dropped before a message was complete).
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fuzz_targets.h"
#include "locus/crypto/p256.h"
#include "locus/landmark/server.h"
#include "net.h"
#include "serve_landmark.h"

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
  if (!s->start().ok()) __builtin_trap();
  fuzz::serve_until_exit(s);
  return s;
}

// Reads the server's replies until it closes (bounded), then checks them: 4-byte big-endian
// length + JSON object with a string "type". Returns the number of messages.
size_t check_replies(int fd, bool* last_is_error) {
  std::string all;
  char buf[4096];
  for (int i = 0; i < 4096; ++i) {
    if (!landmark::net::wait_readable(fd, 5000)) __builtin_trap();  // the server must close
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
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
  if (size > size_t{256} * 1024) return 0;  // the cap per message is 64 KiB
  const size_t ok_before = server->sessions_ok();
  const auto conn = landmark::net::connect_tcp("127.0.0.1", server->tcp_port(), 2000);
  LOCUS_FUZZ_CHECK(conn.ok());
  const int fd = conn.value();
  size_t off = 0;
  for (int i = 0; i < 4096 && off < size; ++i) {
    const ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server stopped reading (it refused the input) and closed
    off += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  bool last_error = false;
  const size_t replies = check_replies(fd, &last_error);
  close(fd);
  LOCUS_FUZZ_CHECK(server->sessions_ok() == ok_before);
  LOCUS_FUZZ_CHECK(replies == 0 || last_error);
  if (replies >= 2) LOCUS_FUZZ_ACCEPTED();  // the setup message was accepted (setup_ok sent)
  return 0;
}
