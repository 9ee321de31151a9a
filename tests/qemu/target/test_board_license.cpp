// License enforcement on the real board code (CMocka; tests/qemu: qemu_suite_board_license_
// <board>): the unchanged firmware core with this QEMU board, driven through Core::handle()
// (the same entry the UART path uses), for what the board itself takes part in: the license
// commit to the board's storage (ast1030-evb: the SPI NOR flash), the interconnect latch,
// and time on the board's own timer (lease expiry, lease counted from the evidence). Every
// other rule of DESIGN §5 is checked on every board by the license and banking suites of
// tests/firmware on the fake board (qemu_suite_license_<board>, qemu_suite_banking_<board>).
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/core.h"
#include "locus/firmware/errors.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "locus_test/cmocka.h"

namespace proto = locus::protocol;
namespace crypto = locus::crypto;
namespace fw = locus::firmware;
using locus::ByteSpan;
using locus::MutByteSpan;

namespace {

fw::Core g_core;
crypto::P256PrivateKey g_vkey, g_other_key;
crypto::P256PublicKey g_vpub, g_other_pub;
proto::Ueid g_ueid{};
proto::Fwid g_fwid{};
uint64_t g_counter = 0;  // last counter this run used
uint8_t g_req[1024];
uint8_t g_resp[proto::kMaxPayload];
uint8_t g_nonce[32];
uint8_t g_nonce_seq = 0;
proto::BoardNonce g_board_nonce{};  // of the latest evidence

struct Reply {
  uint8_t type = 0;
  uint16_t error = 0;
  ByteSpan body;
};

template <typename T>
Reply call(const T& body) {
  Reply r;
  uint8_t item[640];
  locus::cbor::Encoder e(item, sizeof(item));
  if (!proto::encode_body(e, body).ok()) return r;
  const locus::Result<size_t> n = e.finish();
  size_t len = 0;
  if (!n.ok() || !proto::encode_envelope(T::kType, 7, ByteSpan(item, n.value()),
                                         MutByteSpan(g_req, sizeof(g_req)), &len)
                      .ok()) {
    return r;
  }
  uint8_t rev = 0;
  size_t out = 0;
  g_core.handle(proto::kRevMessage, ByteSpan(g_req, len), &rev, MutByteSpan(g_resp, sizeof(g_resp)),
                &out);
  proto::Envelope env;
  if (!proto::decode_envelope(ByteSpan(g_resp, out), &env).ok()) return r;
  r.type = env.type;
  r.body = env.body;
  if (env.type == proto::kMsgError) {
    proto::ErrorResponse er;
    if (proto::decode_body(env.body, &er).ok()) r.error = er.code;
  }
  return r;
}

// Evidence for the current g_nonce; records its board nonce.
bool evidence_again() {
  proto::GetEvidenceRequest req;
  req.nonce = ByteSpan(g_nonce);
  const Reply r = call(req);
  if (r.type != proto::response_type(proto::kMsgGetEvidence)) return false;
  proto::EvidenceResponse ev;
  locus::cose::Sign1View v;
  proto::EatClaims c;
  if (!proto::decode_body(r.body, &ev).ok() || !locus::cose::sign1_decode(ev.cose_sign1, &v).ok() ||
      !proto::decode_claims(v.payload, &c).ok()) {
    return false;
  }
  g_board_nonce = c.board_nonce;
  return true;
}

bool fresh_evidence() {
  for (size_t i = 0; i < sizeof(g_nonce); ++i)
    g_nonce[i] = static_cast<uint8_t>(g_nonce_seq * 17 + i);
  ++g_nonce_seq;
  return evidence_again();
}

struct LicenseFields {
  proto::Ueid ueid;
  const uint8_t* nonce;
  uint64_t counter;
  uint8_t mode;
  uint32_t lease_s;
  proto::Fwid fwid;
  const crypto::P256PrivateKey* key;
  proto::BoardNonce board_nonce;
};

LicenseFields good_fields() {
  return LicenseFields{g_ueid, g_nonce, g_counter + 1, proto::kModeFull,
                       60,     g_fwid,  &g_vkey,       g_board_nonce};
}

Reply apply(const LicenseFields& f, bool flip_signature = false) {
  static uint8_t payload[256], lic[512];
  size_t plen = 0, llen = 0;
  // Encoded here, not with proto::encode_license (which refuses a bad mode or lease), so
  // that the firmware's own checks are what is tested. Keys in deterministic order.
  locus::cbor::Encoder e(payload, sizeof(payload));
  e.map(8);
  e.uint(1).bytes(ByteSpan(f.ueid.data(), f.ueid.size()));
  e.uint(2).bytes(ByteSpan(f.nonce, sizeof(g_nonce)));
  e.uint(3).uint(f.counter);
  e.uint(4).uint(f.mode);
  e.uint(5).uint(f.lease_s);
  e.uint(6).text("qemu");
  e.uint(7).bytes(ByteSpan(f.fwid.data(), f.fwid.size()));
  e.uint(8).bytes(ByteSpan(f.board_nonce.data(), f.board_nonce.size()));
  const locus::Result<size_t> pn = e.finish();
  locus::cose::Sign1Options opt;
  Reply bad;
  if (!pn.ok()) return bad;
  plen = pn.value();
  if (!locus::cose::sign1_es256(*f.key, ByteSpan(payload, plen), opt, MutByteSpan(lic, sizeof(lic)),
                                &llen)
           .ok()) {
    return bad;
  }
  if (flip_signature) lic[llen - 1] ^= 0x01;
  proto::ApplyLicenseRequest req;
  req.cose_sign1 = ByteSpan(lic, llen);
  return call(req);
}

uint16_t code(fw::FirmwareError e) {
  return locus::Status(e).code();
}

// Grants FULL with a good license (helper for the cases that start from FULL).
bool make_full(uint32_t lease_s = 60) {
  if (!fresh_evidence()) return false;
  LicenseFields f = good_fields();
  f.lease_s = lease_s;
  const Reply r = apply(f);
  if (r.type != proto::response_type(proto::kMsgApplyLicense)) return false;
  g_counter = f.counter;
  return g_core.is_full();
}

// A license signed by the installed verifier key, for this UEID, the latest evidence nonce,
// a higher counter and this FWID switches the board to FULL and stores the counter.
void accepts_valid_license(void**) {
  assert_true(make_full());
  assert_true(g_core.state().license_counter == g_counter);
  assert_true(g_core.lease_remaining_ms() > 50000);
}

// The same license again (its nonce is consumed): refused with kLicenseNoEvidence, and the
// error drops the board from FULL to RESTRICTED.
void nonce_single_use_and_fail_closed(void**) {
  assert_true(make_full());
  LicenseFields f = good_fields();
  f.counter = g_counter + 5;
  const Reply r = apply(f);
  assert_true(r.type == proto::kMsgError && r.error == code(fw::FirmwareError::kLicenseNoEvidence));
  assert_true(!g_core.is_full());
}

// A 3 s lease (counted from the evidence, so part of it is spent while the evidence is signed
// and the license verified): FULL at once, still FULL half-way through what is left,
// RESTRICTED (by the core's own poll on the board timer) 100 ms after its end.
void lease_expires_on_board_timer(void**) {
  assert_true(make_full(3));
  const uint64_t left_us = g_core.lease_remaining_ms() * 1000u;
  assert_true(left_us > 0 && left_us <= 3000000u);
  const uint64_t t0 = locus::board::monotonic_us();
  while (locus::board::monotonic_us() - t0 < left_us / 2) {
  }
  g_core.poll();
  assert_true(g_core.is_full());
  while (locus::board::monotonic_us() - t0 < left_us + 100000u) {
  }
  g_core.poll();
  assert_true(!g_core.is_full());
  assert_true(locus::cm::g_interconnect_line == 0x3C);
}

// The lease counts from the evidence: a 1 s license applied 1.1 s after its evidence (on
// the board's timer) is already spent (kLicenseWindowExpired).
void lease_counted_from_evidence(void**) {
  assert_true(fresh_evidence());
  LicenseFields f = good_fields();
  f.lease_s = 1;
  const uint64_t t0 = locus::board::monotonic_us();
  while (locus::board::monotonic_us() - t0 < 1100000u) {
  }
  const Reply r = apply(f);
  assert_true(r.type == proto::kMsgError &&
              r.error == code(fw::FirmwareError::kLicenseWindowExpired));
  assert_true(!g_core.is_full());
}

bool derive(const char* seed, crypto::P256PrivateKey* k, crypto::P256PublicKey* pub) {
  return crypto::p256_derive_key(ByteSpan(reinterpret_cast<const uint8_t*>(seed), strlen(seed)),
                                 ByteSpan(reinterpret_cast<const uint8_t*>("qemu-license"), 12), k)
             .ok() &&
         crypto::p256_public_key(*k, pub).ok();
}

int setup_group(void**) {
  if (!g_core.boot(locus::cm::port::kHwModel).ok() || !derive("verifier", &g_vkey, &g_vpub) ||
      !derive("someone else", &g_other_key, &g_other_pub)) {
    print_message("set-up failed: boot or key derivation\n");
    return -1;
  }
  // The verifier key persists in the storage file: install it when the store has none.
  if (!g_core.state().has_verifier_key) {
    proto::InstallVerifierKeyRequest ik;
    ik.key = g_vpub.q;
    if (call(ik).type != proto::response_type(proto::kMsgInstallVerifierKey)) return -1;
  }
  memcpy(g_ueid.data(), g_core.identity().ueid, g_ueid.size());
  memcpy(g_fwid.data(), g_core.identity().fwid, g_fwid.size());
  g_counter = g_core.state().license_counter;
  return 0;
}

}  // namespace

int main() {
  print_message("locus board license suite on %s\n", locus::cm::port::kHwModel);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_valid_license),
      cmocka_unit_test(nonce_single_use_and_fail_closed),
      cmocka_unit_test(lease_expires_on_board_timer),
      cmocka_unit_test(lease_counted_from_evidence),
  };
  return cmocka_run_group_tests(tests, setup_group, nullptr);
}
