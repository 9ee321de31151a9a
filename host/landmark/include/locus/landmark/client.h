// locus/landmark/client.h: the agent's side of a distance-bounding session (DESIGN §4).
//
// run_session() talks to one landmark and relays to the board through a BoardLink:
//   1. TCP set-up: sends {verifier_nonce, ueid, rounds}; gets session_id, lm_nonce,
//      lm_eph_pub; calls board.lm_setup(); sends dev_eph_pub back.
//   2. UDP timed rounds: for each datagram [2 | session_id | round | challenge(12)] from the
//      landmark, calls board.lm_round() and answers [3 | session_id | round | answer(12)]
//      at once. Nothing else happens on this path (no logging, no allocation).
//   3. TCP close: calls board.lm_close(), sends the device-signed transcript, receives the
//      landmark record (COSE_Sign1 by the landmark key).
// Every wait is bounded by SessionOptions::timeout_ms. Errors: the host error type, with a
// LandmarkError code (kNetwork, kTimeout, kProtocol, kSessionRefused: the landmark's own
// text), LocationError::kBadConfig for bad arguments, or the board's own code, and a message
// that names the landmark.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "locus/common/result.h"
#include "locus/landmark/errors.h"
#include "locus/location/records.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::landmark {

struct LmSetupParams {
  std::array<uint8_t, 16> session_id{};
  std::vector<uint8_t> lm_nonce;  // 16..64
  std::array<uint8_t, 65> lm_eph_pub{};
  uint8_t rounds = 0;                   // 1..64
  std::vector<uint8_t> verifier_nonce;  // 16..64
};

// The board, as the agent reaches it (the agent implements it over the board link; tests
// over host-sim or an in-process emulation). Implementations return a non-OK Status (ideally
// the board's own error code) on any failure.
class BoardLink {
 public:
  virtual ~BoardLink() = default;
  // LM_SETUP -> dev_eph_pub.
  virtual Status lm_setup(const LmSetupParams& p, std::array<uint8_t, 65>* dev_eph_pub) = 0;
  // One timed round (fast frame, rev 0x02): round index + challenge -> answer.
  virtual Status lm_round(uint8_t round, const std::array<uint8_t, 12>& challenge,
                          std::array<uint8_t, 12>* answer) = 0;
  // LM_CLOSE -> COSE_Sign1 transcript by the Alias key.
  virtual Status lm_close(const std::array<uint8_t, 16>& session_id,
                          std::vector<uint8_t>* transcript) = 0;
};

struct LandmarkAddress {
  std::string id;    // for messages only (the record names the landmark itself)
  std::string host;  // IPv4 address or name
  uint16_t tcp_port = 0;
  uint16_t udp_port = 0;
};

struct SessionOptions {
  uint8_t rounds = 16;
  int timeout_ms = 10000;  // every single wait (connect, read, each round)
};

struct SessionResult {
  std::string landmark_id;
  location::RecordPair pair;      // record + transcript, as the verifier wants them
  uint64_t rtt_min_ns = 0;        // from the record
  std::vector<uint64_t> rtts_ns;  // per round, as the landmark reported them (unsigned, info only)
};

host::HStatus run_session(const LandmarkAddress& lm, ByteSpan verifier_nonce, ByteSpan ueid,
                          BoardLink& board, const SessionOptions& opt, SessionResult* out);

}  // namespace locus::landmark
