// Shared helpers for the firmware unit tests: one Core on the fake board, request helpers
// built on the protocol message codecs, and a test verifier key that signs licenses.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "fake_board.h"
#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/core.h"
#include "locus/protocol/messages.h"

namespace th {

using Bytes = std::vector<uint8_t>;

locus::firmware::Core& core();
// Boots the core (after fake::reset_board or fake::power_on).
locus::Status boot(uint32_t svn = locus::firmware::kFirmwareSvn);

// Sends one rev 0x01 message (already encoded) and returns the response payload.
Bytes roundtrip(const Bytes& msg);
Bytes& last_response();
// Encodes req, sends it, and decodes the response into *resp. An error response comes back
// as its Status code; a response of another shape as kUnexpectedType.
template <typename Req, typename Resp>
locus::Status call(const Req& req, Resp* resp, Bytes* raw = nullptr) {
  static uint32_t next_id = 1;
  uint8_t buf[4096];
  size_t n = 0;
  const uint32_t id = next_id++;
  locus::Status st =
      locus::protocol::encode_message(id, req, locus::MutByteSpan(buf, sizeof(buf)), &n);
  if (!st.ok()) return st;
  // Decoded spans point into last_response(): valid until the next call.
  Bytes& out = last_response();
  out = roundtrip(Bytes(buf, buf + n));
  if (raw != nullptr) *raw = out;
  locus::protocol::Envelope env;
  st = locus::protocol::decode_envelope(locus::ByteSpan(out.data(), out.size()), &env);
  if (!st.ok()) return st;
  if (env.request_id != id) return locus::CoreError::kInternal;
  if (env.type == locus::protocol::kMsgError) {
    locus::protocol::ErrorResponse e;
    st = locus::protocol::decode_body(env.body, &e);
    if (!st.ok()) return st;
    return locus::Status::FromCode(e.code);
  }
  if (env.type != Resp::kType) return locus::protocol::ProtocolError::kUnexpectedType;
  return locus::protocol::decode_body(env.body, resp);
}

// Test verifier key n (deterministic).
void verifier_key(int n, locus::crypto::P256PrivateKey* priv, locus::crypto::P256PublicKey* pub);
locus::Status install_verifier_key(int n);
// Fresh evidence for nonce (any bytes); returns the evidence COSE bytes.
locus::Status get_evidence(const Bytes& nonce, Bytes* cose = nullptr);

// The board nonce of the latest evidence fetched with get_evidence (from its claims).
Bytes& last_board_nonce();

struct LicenseFields {
  Bytes ueid;
  Bytes nonce;
  Bytes board_nonce;  // good_license: last_board_nonce()
  uint64_t counter = 1;
  uint64_t mode = 2;
  uint64_t lease_s = 60;
  std::string site = "test-site";
  Bytes fwid;
};
// Fields that the current core accepts for the given nonce (and the latest board nonce).
LicenseFields good_license(const Bytes& nonce, uint64_t counter);
// Encodes the license payload by hand (CBOR) and signs it with verifier key `key_n`.
Bytes sign_license(const LicenseFields& f, int key_n);
Bytes sign_rotation(const locus::crypto::P256PublicKey& new_key, uint64_t counter, int signer_n);
locus::Status apply_license(const Bytes& cose, locus::protocol::StatusInfo* st = nullptr);
locus::Status rotate(const Bytes& cose);
locus::Status status(locus::protocol::StatusInfo* st);
Bytes nonce_of(uint8_t seed, size_t len = 32);
bool is_full();  // core says FULL and the fake board's interconnect is FULL
bool is_restricted();

}  // namespace th
