// locus/boardlink/link.h: the host's client for the board link (agent, provisioning, tools).
//
// A link is a byte stream to the board's management controller: "tcp:HOST:PORT" (host-sim's
// socket, QEMU's UART socket) or "unix:PATH". Frames are the protocol library's
// (encode_frame/Deframer, docs/protocol.md "Framing"); inside, rev 0x01 messages
// [type, request_id, body] and rev 0x02 timed-round fast frames.
//
// Contract:
//   - Every wait is bounded (connect, send, each response) by a timeout in milliseconds.
//   - Each request gets a fresh request id; responses carrying another id (late answers to a
//     request that timed out), frames with a bad FCS and line noise are skipped, never
//     mistaken for the answer.
//   - The link reconnects lazily: after an I/O error or a peer close the socket is dropped,
//     and the next call opens a new connection. A request that failed because the peer had
//     already gone away before it was answered is retried once on a new connection when it is
//     side-effect free (GET_IDENTITY, GET_STATUS, GET_EVIDENCE); others report the failure.
//   - fast_round() is the timed path: no allocation, no logging, preallocated buffers,
//     TCP_NODELAY; it only sends 13 bytes framed and waits for the 13-byte answer.
//   - A Link is not thread-safe; one owner at a time.
// Errors: HStatus with HostError::kUsage (bad spec), kNetwork (connect/I/O/timeout/closed),
// kRefused (the board answered an error response: board_error() holds its Status code),
// kParse (a response that is not what the protocol says).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::boardlink {

using host::Bytes;
using host::HostResult;
using host::HStatus;

// A decoded GET_IDENTITY answer (owned copies).
struct Identity {
  protocol::Ueid ueid{};
  protocol::P256Pub devid_pub{};
  Bytes csr;
  Bytes devid_cert;  // empty when not provisioned
  Bytes alias_cert;
  std::string hwmodel;
  uint32_t svn = 0;
  protocol::Fwid fwid{};
};

// A raw response: type (request type | 0x80, or 0xFF) and the encoded body item.
struct RawResponse {
  uint8_t type = 0;
  uint32_t request_id = 0;
  Bytes body;
  uint16_t board_error = 0;  // the code of an error response (type 0xFF), else 0
};

class Link {
 public:
  Link();
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Remembers the link spec and connects. kUsage for a malformed spec.
  HStatus open(const std::string& spec, int timeout_ms = 5000);
  // Drops the connection (open() or the next call reconnects).
  void close();
  bool connected() const { return fd_ >= 0; }
  const std::string& spec() const { return spec_; }

  // Per-call response timeout (default 10 s; signing on a Cortex-M4 takes tens of ms).
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }

  // Sends [type, id, body_item] and waits for the response with that id.
  HStatus request(uint8_t type, ByteSpan body_item, RawResponse* out);

  // Typed calls. A board error response gives kRefused with the code in board_error().
  HStatus get_identity(Identity* out);
  HStatus get_status(protocol::StatusInfo* out);
  HStatus get_evidence(ByteSpan nonce, Bytes* cose_sign1);
  HStatus apply_license(ByteSpan license, protocol::StatusInfo* out);
  HStatus install_devid_cert(ByteSpan der);
  HStatus install_verifier_key(const protocol::P256Pub& key);
  HStatus lm_setup(const protocol::LmSetupRequest& req, protocol::P256Pub* dev_eph_pub);
  HStatus lm_close(const protocol::SessionId& session_id, Bytes* transcript);

  // One timed round over the fast frame (rev 0x02). Returns Ok, the board's error Status
  // (from a rev 0x01 error answer), or HostError::kNetwork / ProtocolError::kBadFastRound.
  Status fast_round(uint8_t round, const protocol::Challenge& challenge, protocol::Answer* answer);

  // The board's Status code from the last error response (0 if the last call got none).
  uint16_t board_error() const { return board_error_; }

 private:
  HStatus connect_now(int timeout_ms);
  HStatus send_all(const uint8_t* data, size_t len, int64_t deadline_ms);
  // Reads until a frame arrives; *rev and *payload (into deframer storage) are set.
  // *peer_gone: the failure was the peer closing or resetting the connection.
  HStatus read_frame(int64_t deadline_ms, uint8_t* rev, ByteSpan* payload, bool* peer_gone);
  HStatus request_once(uint8_t type, ByteSpan body_item, RawResponse* out, bool* peer_gone);
  template <typename Req>
  HStatus call(const Req& req, uint8_t want_type, RawResponse* resp, const char* what);

  std::string spec_;
  int fd_ = -1;
  int timeout_ms_ = 10000;
  uint32_t next_id_ = 1;
  uint16_t board_error_ = 0;
  // Preallocated buffers (heap, once): message, frame, received bytes, deframer.
  std::vector<uint8_t> msg_buf_;
  std::vector<uint8_t> frame_buf_;
  std::array<uint8_t, 4096> rx_{};
  size_t rx_len_ = 0, rx_pos_ = 0;
  std::array<uint8_t, protocol::max_frame_size(protocol::kFastRoundSize)> fast_tx_{};
  protocol::Deframer deframer_;
};

// "0x0507" for messages.
std::string status_code_hex(uint16_t code);

}  // namespace locus::boardlink
