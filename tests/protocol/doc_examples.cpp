// Fixed inputs for the documentation examples. Keys are derived deterministically with
// p256_derive_key() from fixed seeds and ECDSA is RFC 6979, so every COSE_Sign1 is
// reproducible. Certificates are short placeholder bytes: the message codecs carry DER
// without parsing it, and real certificates would make the doc unreadable.
#include "doc_examples.h"

#include <string.h>

#include "locus/crypto/cose.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/dbound.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"

namespace doc_examples {
namespace {

using namespace locus;
using namespace locus::protocol;

ByteSpan txt(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), strlen(s));
}

// Placeholder "certificates" and CSR (a DER SEQUENCE header and a few bytes).
const uint8_t kCsr[] = {0x30, 0x06, 0x43, 0x53, 0x52, 0x2E, 0x2E, 0x2E};        // "CSR..."
const uint8_t kDevidCert[] = {0x30, 0x06, 0x44, 0x45, 0x56, 0x2E, 0x2E, 0x2E};  // "DEV..."
const uint8_t kAliasCert[] = {0x30, 0x06, 0x41, 0x4C, 0x49, 0x2E, 0x2E, 0x2E};  // "ALI..."

// Fixed keys.
bool key(const char* seed, crypto::P256PrivateKey* k, crypto::P256PublicKey* pub) {
  if (!crypto::p256_derive_key(txt(seed), txt("locus/doc-examples"), k).ok()) return false;
  return crypto::p256_public_key(*k, pub).ok();
}

Ueid example_ueid() {
  // UEID = 0x01 || SHA-256(DeviceID public key): computed for the example DeviceID key.
  Ueid u{};
  crypto::P256PrivateKey k;
  crypto::P256PublicKey pub;
  crypto::Digest d{};
  if (key("devid", &k, &pub) && crypto::sha256(ByteSpan(pub.q.data(), pub.q.size()), &d).ok()) {
    u[0] = kUeidTypeRand;
    memcpy(u.data() + 1, d.data(), d.size());
  }
  return u;
}

Fwid example_fwid() {
  Fwid f{};
  crypto::Digest d{};
  if (crypto::sha256(txt("locus-fw example image"), &d).ok()) memcpy(f.data(), d.data(), d.size());
  return f;
}

const uint8_t kNonce[32] = {
    0x6E, 0x6F, 0x6E, 0x63, 0x65, 0x2D, 0x66, 0x72, 0x6F, 0x6D, 0x2D,
    0x76, 0x65, 0x72, 0x69, 0x66, 0x69, 0x65, 0x72, 0x2D, 0x30, 0x31,
    0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x41, 0x42};  // "nonce-from-verifier-0123456789AB"
const uint8_t kLmNonce[16] = {0x6C, 0x6D, 0x2D, 0x6E, 0x6F, 0x6E, 0x63, 0x65, 0x2D,
                              0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31};  // "lm-nonce-0000001"
const uint8_t kSessionId[16] = {0x53, 0x45, 0x53, 0x53, 0x49, 0x4F, 0x4E, 0x2D, 0x30,
                                0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31};  // "SESSION-00000001"
const uint8_t kChallenges[2][12] = {
    {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x7E, 0x7D, 0x00, 0xFF},
    {0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10, 0x0F, 0x1E, 0x2D, 0x3C}};
constexpr size_t kExampleRounds = 2;

// The distance-bounding worked example: landmark and device ephemeral keys (fixed), K, the
// table for 2 rounds, and the answers to kChallenges.
struct DboundExample {
  P256Pub lm_pub{};
  P256Pub dev_pub{};
  uint8_t k[32] = {};
  Answer answers[kExampleRounds] = {};
  bool ok = false;
};

DboundExample dbound_example() {
  DboundExample ex;
  crypto::P256PrivateKey lm, dev;
  crypto::P256PublicKey lm_pub, dev_pub;
  if (!key("landmark-ephemeral", &lm, &lm_pub) || !key("device-ephemeral", &dev, &dev_pub))
    return ex;
  std::array<uint8_t, 32> shared{};
  if (!crypto::ecdh_p256(dev, lm_pub, &shared).ok()) return ex;
  ex.lm_pub = lm_pub.q;
  ex.dev_pub = dev_pub.q;
  if (!dbound::derive_session_key(ByteSpan(shared.data(), 32), ByteSpan(kLmNonce),
                                  ByteSpan(kSessionId), ByteSpan(lm_pub.q.data(), 65),
                                  ByteSpan(dev_pub.q.data(), 65), ByteSpan(kNonce), ex.k)
           .ok()) {
    return ex;
  }
  static dbound::Table table;
  if (!dbound::derive_table(ex.k, kExampleRounds, &table).ok()) return ex;
  for (size_t i = 0; i < kExampleRounds; ++i)
    dbound::answer(table, i, kChallenges[i], ex.answers[i].data());
  dbound::zeroize(&table);
  ex.ok = true;
  return ex;
}

template <typename Body>
size_t msg(uint32_t rid, const Body& b, uint8_t* out, size_t cap) {
  size_t n = 0;
  return encode_message(rid, b, MutByteSpan(out, cap), &n).ok() ? n : 0;
}

size_t sign(const char* seed, ByteSpan payload, ByteSpan kid, bool with_alias_cert, uint8_t* out,
            size_t cap) {
  crypto::P256PrivateKey k;
  crypto::P256PublicKey pub;
  if (!key(seed, &k, &pub)) return 0;
  cose::Sign1Options opt;
  opt.kid = kid;
  const ByteSpan chain[1] = {ByteSpan(kAliasCert)};
  if (with_alias_cert) {
    opt.x5chain = chain;
    opt.x5chain_len = 1;
  }
  size_t n = 0;
  return cose::sign1_es256(k, payload, opt, MutByteSpan(out, cap), &n).ok() ? n : 0;
}

// ---- payloads ---------------------------------------------------------------------------

// The board nonce of the examples: "board-nonce-from-drbg-0123456789" (32 bytes).
BoardNonce example_board_nonce() {
  BoardNonce b{};
  const char* t = "board-nonce-from-drbg-0123456789";
  memcpy(b.data(), t, b.size());
  return b;
}

EatClaims example_claims() {
  EatClaims c;
  c.nonce = ByteSpan(kNonce);
  c.ueid = example_ueid();
  c.hwmodel = txt("locus-host-sim");
  c.dbgstat = 0;
  c.swname = txt(kSwName);
  c.fwid = example_fwid();
  c.svn = 1;
  c.boot_count = 3;
  c.mode = kModeRestricted;
  c.license_counter = 0;
  c.board_nonce = example_board_nonce();
  c.storage = kStorageOk;
  return c;
}

size_t eat_claims(uint8_t* out, size_t cap) {
  size_t n = 0;
  return encode_claims(example_claims(), MutByteSpan(out, cap), &n).ok() ? n : 0;
}

License example_license() {
  License l;
  l.ueid = example_ueid();
  l.nonce = ByteSpan(kNonce);
  l.counter = 1;
  l.mode = kModeFull;
  l.lease_s = 3600;
  l.site = txt("site-sg-1");
  l.fwid = example_fwid();
  l.board_nonce = example_board_nonce();
  return l;
}

size_t license_payload(uint8_t* out, size_t cap) {
  size_t n = 0;
  return encode_license(example_license(), MutByteSpan(out, cap), &n).ok() ? n : 0;
}

VerifierKeyRotation example_rotation() {
  VerifierKeyRotation r;
  crypto::P256PrivateKey k;
  crypto::P256PublicKey pub;
  if (key("verifier-2", &k, &pub)) r.new_key = pub.q;
  r.counter = 1;
  return r;
}

size_t rotation_payload(uint8_t* out, size_t cap) {
  size_t n = 0;
  return encode_rotation(example_rotation(), MutByteSpan(out, cap), &n).ok() ? n : 0;
}

size_t transcript_payload(uint8_t* out, size_t cap) {
  const DboundExample ex = dbound_example();
  if (!ex.ok) return 0;
  static DboundTranscript t;
  t = DboundTranscript();
  memcpy(t.session_id.data(), kSessionId, 16);
  t.lm_nonce = ByteSpan(kLmNonce);
  t.verifier_nonce = ByteSpan(kNonce);
  t.lm_eph_pub = ex.lm_pub;
  t.dev_eph_pub = ex.dev_pub;
  t.ueid = example_ueid();
  t.round_count = kExampleRounds;
  for (size_t i = 0; i < kExampleRounds; ++i) {
    t.rounds[i].round = static_cast<uint8_t>(i);
    memcpy(t.rounds[i].challenge.data(), kChallenges[i], 12);
    t.rounds[i].answer = ex.answers[i];
  }
  size_t n = 0;
  return encode_transcript(t, MutByteSpan(out, cap), &n).ok() ? n : 0;
}

size_t signed_transcript(uint8_t* out, size_t cap) {
  static uint8_t p[kMaxTranscriptSize];
  const size_t n = transcript_payload(p, sizeof p);
  if (n == 0) return 0;
  return sign("alias", ByteSpan(p, n), ByteSpan(), true, out, cap);
}

size_t landmark_record_payload(uint8_t* out, size_t cap) {
  static uint8_t t[kMaxTranscriptSize + 512];
  const size_t tn = signed_transcript(t, sizeof t);
  if (tn == 0) return 0;
  LandmarkRecord r;
  r.landmark_id = txt("lm-sin-1");
  r.ueid = example_ueid();
  r.verifier_nonce = ByteSpan(kNonce);
  r.rtt_min_ns = 183000;
  r.rounds = kExampleRounds;
  crypto::Digest d{};
  if (!crypto::sha256(ByteSpan(t, tn), &d).ok()) return 0;
  memcpy(r.transcript_hash.data(), d.data(), 32);
  r.lm_nonce = ByteSpan(kLmNonce);
  size_t n = 0;
  return encode_landmark_record(r, MutByteSpan(out, cap), &n).ok() ? n : 0;
}

size_t landmark_record_signed(uint8_t* out, size_t cap) {
  uint8_t p[512];
  const size_t n = landmark_record_payload(p, sizeof p);
  if (n == 0) return 0;
  return sign("landmark-lm-sin-1", ByteSpan(p, n), txt("lm-sin-1"), false, out, cap);
}

size_t dbound_session_key(uint8_t* out, size_t cap) {
  const DboundExample ex = dbound_example();
  if (!ex.ok || cap < 32) return 0;
  memcpy(out, ex.k, 32);
  return 32;
}

// ---- messages ---------------------------------------------------------------------------

size_t get_identity_request(uint8_t* o, size_t c) {
  return msg(1u, GetIdentityRequest{}, o, c);
}
size_t get_identity_response(uint8_t* o, size_t c) {
  IdentityResponse r;
  r.ueid = example_ueid();
  crypto::P256PrivateKey k;
  crypto::P256PublicKey pub;
  if (!key("devid", &k, &pub)) return 0;
  r.devid_pub = pub.q;
  r.csr = ByteSpan(kCsr);
  r.devid_cert = ByteSpan();  // not provisioned yet: null
  r.alias_cert = ByteSpan(kAliasCert);
  r.hwmodel = txt("locus-host-sim");
  r.svn = 1;
  r.fwid = example_fwid();
  return msg(1u, r, o, c);
}
size_t install_devid_cert_request(uint8_t* o, size_t c) {
  InstallDevidCertRequest r;
  r.cert = ByteSpan(kDevidCert);
  return msg(2u, r, o, c);
}
size_t install_devid_cert_response(uint8_t* o, size_t c) {
  return msg(2u, InstallDevidCertResponse{}, o, c);
}
size_t install_verifier_key_request(uint8_t* o, size_t c) {
  InstallVerifierKeyRequest r;
  crypto::P256PrivateKey k;
  crypto::P256PublicKey pub;
  if (!key("verifier-1", &k, &pub)) return 0;
  r.key = pub.q;
  return msg(3u, r, o, c);
}
size_t install_verifier_key_response(uint8_t* o, size_t c) {
  return msg(3u, InstallVerifierKeyResponse{}, o, c);
}
size_t rotate_verifier_key_request(uint8_t* o, size_t c) {
  uint8_t p[128], s[512];
  const size_t pn = rotation_payload(p, sizeof p);
  if (pn == 0) return 0;
  const size_t sn = sign("verifier-1", ByteSpan(p, pn), ByteSpan(), false, s, sizeof s);
  if (sn == 0) return 0;
  RotateVerifierKeyRequest r;
  r.cose_sign1 = ByteSpan(s, sn);
  return msg(4u, r, o, c);
}
size_t rotate_verifier_key_response(uint8_t* o, size_t c) {
  return msg(4u, RotateVerifierKeyResponse{}, o, c);
}
size_t get_evidence_request(uint8_t* o, size_t c) {
  GetEvidenceRequest r;
  r.nonce = ByteSpan(kNonce);
  return msg(5u, r, o, c);
}
size_t get_evidence_response(uint8_t* o, size_t c) {
  uint8_t p[512], s[1024];
  const size_t pn = eat_claims(p, sizeof p);
  if (pn == 0) return 0;
  const size_t sn = sign("alias", ByteSpan(p, pn), ByteSpan(), true, s, sizeof s);
  if (sn == 0) return 0;
  EvidenceResponse r;
  r.cose_sign1 = ByteSpan(s, sn);
  return msg(5u, r, o, c);
}
size_t apply_license_request(uint8_t* o, size_t c) {
  uint8_t p[512], s[1024];
  const size_t pn = license_payload(p, sizeof p);
  if (pn == 0) return 0;
  const size_t sn = sign("verifier-1", ByteSpan(p, pn), ByteSpan(), false, s, sizeof s);
  if (sn == 0) return 0;
  ApplyLicenseRequest r;
  r.cose_sign1 = ByteSpan(s, sn);
  return msg(6u, r, o, c);
}
StatusInfo full_status() {
  StatusInfo s;
  s.mode = kModeFull;
  s.lease_remaining_ms = 3600000;
  s.license_counter = 1;
  s.boot_count = 3;
  s.svn = 1;
  s.min_svn = 1;
  s.has_devid_cert = true;
  s.has_verifier_key = true;
  return s;
}
size_t apply_license_response(uint8_t* o, size_t c) {
  ApplyLicenseResponse r;
  r.status = full_status();
  return msg(6u, r, o, c);
}
size_t get_status_request(uint8_t* o, size_t c) {
  return msg(7u, GetStatusRequest{}, o, c);
}
size_t get_status_response(uint8_t* o, size_t c) {
  StatusResponse r;
  r.status = full_status();
  r.status.lease_remaining_ms = 3599250;
  return msg(7u, r, o, c);
}
size_t lm_setup_request(uint8_t* o, size_t c) {
  const DboundExample ex = dbound_example();
  if (!ex.ok) return 0;
  LmSetupRequest r;
  memcpy(r.session_id.data(), kSessionId, 16);
  r.lm_nonce = ByteSpan(kLmNonce);
  r.lm_eph_pub = ex.lm_pub;
  r.rounds = kExampleRounds;
  r.verifier_nonce = ByteSpan(kNonce);
  return msg(8u, r, o, c);
}
size_t lm_setup_response(uint8_t* o, size_t c) {
  const DboundExample ex = dbound_example();
  if (!ex.ok) return 0;
  LmSetupResponse r;
  r.dev_eph_pub = ex.dev_pub;
  return msg(8u, r, o, c);
}
size_t lm_round_request(uint8_t* o, size_t c) {
  LmRoundRequest r;
  r.round = 0;
  memcpy(r.challenge.data(), kChallenges[0], 12);
  return msg(9u, r, o, c);
}
size_t lm_round_response(uint8_t* o, size_t c) {
  const DboundExample ex = dbound_example();
  if (!ex.ok) return 0;
  LmRoundResponse r;
  r.answer = ex.answers[0];
  return msg(9u, r, o, c);
}
size_t lm_close_request(uint8_t* o, size_t c) {
  LmCloseRequest r;
  memcpy(r.session_id.data(), kSessionId, 16);
  return msg(10u, r, o, c);
}
size_t lm_close_response(uint8_t* o, size_t c) {
  static uint8_t s[kMaxTranscriptSize + 512];
  const size_t sn = signed_transcript(s, sizeof s);
  if (sn == 0) return 0;
  LmCloseResponse r;
  r.cose_sign1 = ByteSpan(s, sn);
  return msg(10u, r, o, c);
}
size_t error_response(uint8_t* o, size_t c) {
  size_t n = 0;
  return encode_error(5u, ProtocolError::kBadNonceSize, MutByteSpan(o, c), &n).ok() ? n : 0;
}

// ---- frames -------------------------------------------------------------------------------

size_t frame_get_status_request(uint8_t* o, size_t c) {
  uint8_t m[16];
  const size_t mn = get_status_request(m, sizeof m);
  size_t n = 0;
  return (mn != 0u) && encode_frame(kRevMessage, ByteSpan(m, mn), MutByteSpan(o, c), &n).ok() ? n
                                                                                              : 0;
}
size_t frame_fast_round_request(uint8_t* o, size_t c) {
  FastRound r;
  r.round = 1;
  memcpy(r.value.data(), kChallenges[1], 12);
  size_t n = 0;
  return encode_fast_frame(r, MutByteSpan(o, c), &n).ok() ? n : 0;
}
size_t frame_fast_round_request_stuffed(uint8_t* o, size_t c) {
  FastRound r;
  r.round = 0;
  memcpy(r.value.data(), kChallenges[0], 12);  // contains 0x7E and 0x7D
  size_t n = 0;
  return encode_fast_frame(r, MutByteSpan(o, c), &n).ok() ? n : 0;
}
size_t frame_fast_round_response(uint8_t* o, size_t c) {
  const DboundExample ex = dbound_example();
  if (!ex.ok) return 0;
  FastRound r;
  r.round = 1;
  r.value = ex.answers[1];
  size_t n = 0;
  return encode_fast_frame(r, MutByteSpan(o, c), &n).ok() ? n : 0;
}

}  // namespace

const Example kExamples[] = {
    {"frame_get_status_request", "GET_STATUS request (rid 7) in a rev 0x01 frame",
     frame_get_status_request},
    {"frame_fast_round_request_stuffed", "fast round 0 request, challenge with 0x7E/0x7D",
     frame_fast_round_request_stuffed},
    {"frame_fast_round_request", "fast round 1 request (rev 0x02)", frame_fast_round_request},
    {"frame_fast_round_response", "fast round 1 response (rev 0x02)", frame_fast_round_response},
    {"get_identity_request", "GET_IDENTITY request", get_identity_request},
    {"get_identity_response", "GET_IDENTITY response", get_identity_response},
    {"install_devid_cert_request", "INSTALL_DEVID_CERT request", install_devid_cert_request},
    {"install_devid_cert_response", "INSTALL_DEVID_CERT response", install_devid_cert_response},
    {"install_verifier_key_request", "INSTALL_VERIFIER_KEY request", install_verifier_key_request},
    {"install_verifier_key_response", "INSTALL_VERIFIER_KEY response",
     install_verifier_key_response},
    {"rotate_verifier_key_request", "ROTATE_VERIFIER_KEY request", rotate_verifier_key_request},
    {"rotate_verifier_key_response", "ROTATE_VERIFIER_KEY response", rotate_verifier_key_response},
    {"get_evidence_request", "GET_EVIDENCE request", get_evidence_request},
    {"get_evidence_response", "GET_EVIDENCE response", get_evidence_response},
    {"apply_license_request", "APPLY_LICENSE request", apply_license_request},
    {"apply_license_response", "APPLY_LICENSE response", apply_license_response},
    {"get_status_request", "GET_STATUS request", get_status_request},
    {"get_status_response", "GET_STATUS response", get_status_response},
    {"lm_setup_request", "LM_SETUP request", lm_setup_request},
    {"lm_setup_response", "LM_SETUP response", lm_setup_response},
    {"lm_round_request", "LM_ROUND request (CBOR form)", lm_round_request},
    {"lm_round_response", "LM_ROUND response (CBOR form)", lm_round_response},
    {"lm_close_request", "LM_CLOSE request", lm_close_request},
    {"lm_close_response", "LM_CLOSE response", lm_close_response},
    {"error_response", "error response", error_response},
    {"eat_claims", "EAT claims payload", eat_claims},
    {"license_payload", "license payload", license_payload},
    {"rotation_payload", "verifier-key rotation payload", rotation_payload},
    {"transcript_payload", "dbound transcript payload", transcript_payload},
    {"dbound_session_key", "dbound session key K of the worked example", dbound_session_key},
    {"landmark_record_payload", "landmark record payload", landmark_record_payload},
    {"landmark_record", "landmark record COSE_Sign1", landmark_record_signed},
};
const size_t kExampleCount = sizeof kExamples / sizeof kExamples[0];

}  // namespace doc_examples
