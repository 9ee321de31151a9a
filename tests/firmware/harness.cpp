#include "harness.h"

#include <string.h>

#include "locus/protocol/claims.h"

namespace th {

using locus::ByteSpan;
using locus::MutByteSpan;
using locus::Status;
namespace proto = locus::protocol;

locus::firmware::Core& core() {
  static locus::firmware::Core c;
  return c;
}

Status boot(uint32_t svn) {
  return core().boot("locus-test-board", svn);
}

Bytes& last_response() {
  static Bytes b;
  return b;
}

Bytes roundtrip(const Bytes& msg) {
  static uint8_t out[locus::protocol::kMaxPayload];
  uint8_t rev = 0;
  size_t n = 0;
  core().handle(proto::kRevMessage, ByteSpan(msg.data(), msg.size()), &rev,
                MutByteSpan(out, sizeof(out)), &n);
  return Bytes(out, out + n);
}

void verifier_key(int n, locus::crypto::P256PrivateKey* priv, locus::crypto::P256PublicKey* pub) {
  const uint8_t seed[4] = {'v', 'k', static_cast<uint8_t>(n), 0};
  const uint8_t label[] = "locus test verifier";
  if (!locus::crypto::p256_derive_key(ByteSpan(seed, 4), ByteSpan(label, sizeof(label) - 1), priv)
           .ok())
    abort();
  if (!locus::crypto::p256_public_key(*priv, pub).ok()) abort();
}

Status install_verifier_key(int n) {
  locus::crypto::P256PrivateKey priv;
  locus::crypto::P256PublicKey pub;
  verifier_key(n, &priv, &pub);
  proto::InstallVerifierKeyRequest req;
  memcpy(req.key.data(), pub.q.data(), 65);
  proto::InstallVerifierKeyResponse resp;
  return call(req, &resp);
}

Status get_evidence(const Bytes& nonce, Bytes* cose) {
  proto::GetEvidenceRequest req;
  req.nonce = ByteSpan(nonce.data(), nonce.size());
  proto::EvidenceResponse resp;
  Bytes raw;
  Status st = call(req, &resp, &raw);
  if (!st.ok()) return st;
  if (cose != nullptr) cose->assign(resp.cose_sign1.begin(), resp.cose_sign1.end());
  locus::cose::Sign1View v;
  proto::EatClaims c;
  if (!locus::cose::sign1_decode(resp.cose_sign1, &v).ok() ||
      !proto::decode_claims(v.payload, &c).ok()) {
    return locus::CoreError::kInternal;
  }
  last_board_nonce().assign(c.board_nonce.begin(), c.board_nonce.end());
  return st;
}

Bytes& last_board_nonce() {
  static Bytes b;
  return b;
}

LicenseFields good_license(const Bytes& nonce, uint64_t counter) {
  LicenseFields f;
  const auto& id = core().identity();
  f.ueid.assign(id.ueid, id.ueid + 33);
  f.nonce = nonce;
  f.board_nonce = last_board_nonce();
  f.counter = counter;
  f.fwid.assign(id.fwid, id.fwid + 32);
  return f;
}

static Bytes sign(const uint8_t* payload, size_t n, int key_n) {
  locus::crypto::P256PrivateKey priv;
  locus::crypto::P256PublicKey pub;
  verifier_key(key_n, &priv, &pub);
  uint8_t out[1024];
  size_t len = 0;
  locus::cose::Sign1Options opt;
  if (!locus::cose::sign1_es256(priv, ByteSpan(payload, n), opt, MutByteSpan(out, sizeof(out)),
                                &len)
           .ok())
    abort();
  return Bytes(out, out + len);
}

Bytes sign_license(const LicenseFields& f, int key_n) {
  uint8_t buf[512];
  locus::cbor::Encoder e(buf, sizeof(buf));
  e.map(f.board_nonce.empty() ? 7 : 8);  // 7: the pre-board-nonce license shape
  e.uint(1).bytes(ByteSpan(f.ueid.data(), f.ueid.size()));
  e.uint(2).bytes(ByteSpan(f.nonce.data(), f.nonce.size()));
  e.uint(3).uint(f.counter);
  e.uint(4).uint(f.mode);
  e.uint(5).uint(f.lease_s);
  e.uint(6).text(f.site.c_str());
  e.uint(7).bytes(ByteSpan(f.fwid.data(), f.fwid.size()));
  if (!f.board_nonce.empty()) e.uint(8).bytes(ByteSpan(f.board_nonce.data(), f.board_nonce.size()));
  auto r = e.finish();
  if (!r.ok()) abort();
  return sign(buf, r.value(), key_n);
}

Bytes sign_rotation(const locus::crypto::P256PublicKey& new_key, uint64_t counter, int signer_n) {
  uint8_t buf[128];
  locus::cbor::Encoder e(buf, sizeof(buf));
  e.map(2).uint(1).bytes(ByteSpan(new_key.q.data(), 65)).uint(2).uint(counter);
  auto r = e.finish();
  if (!r.ok()) abort();
  return sign(buf, r.value(), signer_n);
}

Status apply_license(const Bytes& cose, proto::StatusInfo* st) {
  proto::ApplyLicenseRequest req;
  req.cose_sign1 = ByteSpan(cose.data(), cose.size());
  proto::ApplyLicenseResponse resp;
  Status s = call(req, &resp);
  if (s.ok() && st != nullptr) *st = resp.status;
  return s;
}

Status rotate(const Bytes& cose) {
  proto::RotateVerifierKeyRequest req;
  req.cose_sign1 = ByteSpan(cose.data(), cose.size());
  proto::RotateVerifierKeyResponse resp;
  return call(req, &resp);
}

Status status(proto::StatusInfo* st) {
  proto::GetStatusRequest req;
  proto::StatusResponse resp;
  Status s = call(req, &resp);
  if (s.ok()) *st = resp.status;
  return s;
}

Bytes nonce_of(uint8_t seed, size_t len) {
  Bytes n(len);
  for (size_t i = 0; i < len; ++i) n[i] = static_cast<uint8_t>(static_cast<size_t>(seed) * 7 + i);
  return n;
}

bool is_full() {
  return core().is_full() && fake::board().mode == locus::board::InterconnectMode::kFull;
}
bool is_restricted() {
  return !core().is_full() && fake::board().mode == locus::board::InterconnectMode::kRestricted;
}

}  // namespace th
