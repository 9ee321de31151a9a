// Private helpers of host/landmark: bounded socket I/O, length-prefixed JSON messages,
// monotonic time, OS randomness.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/common/result.h"
#include "locus/status.h"

namespace locus::landmark::net {

constexpr size_t kMaxMessage = size_t{64} * 1024;

int64_t now_ns();

// Sends one message: 4-byte big-endian length + JSON text. Errors: kProtocol (too large),
// kNetwork.
host::HStatus send_msg(int fd, const nlohmann::json& j, int timeout_ms);
// Receives one message within timeout_ms; the JSON must be an object with a string "type".
// A message of type "error" is returned as kSessionRefused with the peer's text as message.
// Errors: kTimeout, kNetwork, kProtocol, kSessionRefused.
host::HStatus recv_msg(int fd, nlohmann::json* out, int timeout_ms);
// Reads a hex field of min..max bytes.
bool get_hex(const nlohmann::json& j, const char* key, size_t min, size_t max,
             std::vector<uint8_t>* out);
bool get_uint(const nlohmann::json& j, const char* key, uint64_t max, uint64_t* out);
std::string hex(const uint8_t* p, size_t n);

// TCP connect (IPv4/IPv6 via getaddrinfo) within timeout_ms: the descriptor (TCP_NODELAY on).
// Errors: kNetwork.
host::HostResult<int> connect_tcp(const std::string& host, uint16_t port, int timeout_ms);
// UDP socket connected to host:port. Errors: kNetwork.
host::HostResult<int> connect_udp(const std::string& host, uint16_t port);
// Waits until fd is readable; false on timeout or error.
bool wait_readable(int fd, int timeout_ms);

}  // namespace locus::landmark::net
