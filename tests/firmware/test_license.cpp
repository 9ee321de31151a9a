// License enforcement, verifier key install/rotation and anti-rollback (DESIGN §5, §2).
#include <string.h>

#include "harness.h"
// cmocka last: it defines macros (skip) that clash with other headers.
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include "locus_test/cmocka.h"
// clang-format on

using locus::Status;
using locus::firmware::FirmwareError;
namespace proto = locus::protocol;
using th::Bytes;

static int setup(void**) {
  fake::reset_board();
  if (!th::boot().ok()) return -1;
  return th::install_verifier_key(1).ok() ? 0 : -1;
}

static void expect(Status got, FirmwareError want) {
  assert_int_equal(got.code(), Status(want).code());
}

// Fresh evidence then a license for it with the next counter.
static Status grant(uint64_t counter, uint8_t nonce_seed, uint64_t lease_s = 60) {
  const Bytes nonce = th::nonce_of(nonce_seed);
  Status st = th::get_evidence(nonce);
  if (!st.ok()) return st;
  th::LicenseFields f = th::good_license(nonce, counter);
  f.lease_s = lease_s;
  return th::apply_license(th::sign_license(f, 1));
}

// Reset: the board starts RESTRICTED (set_interconnect called at boot) and logs it and the
// emulated-entropy warning.
static void test_reset_is_restricted(void**) {
  assert_true(th::is_restricted());
  assert_true(fake::logged("interconnect: RESTRICTED"));
  assert_true(fake::logged("emulation only: entropy is not a TRNG"));
  proto::StatusInfo s;
  assert_true(th::status(&s).ok());
  assert_int_equal(s.mode, proto::kModeRestricted);
  assert_int_equal(s.boot_count, 1);
  assert_true(s.has_verifier_key);
}

// A valid license for the latest evidence -> FULL with the lease, counter journaled.
static void test_valid_license_full(void**) {
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  proto::StatusInfo s;
  assert_true(th::apply_license(th::sign_license(th::good_license(nonce, 5), 1), &s).ok());
  assert_int_equal(s.mode, proto::kModeFull);
  assert_int_equal(s.license_counter, 5);
  assert_true(s.lease_remaining_ms > 59000 && s.lease_remaining_ms <= 60000);
  assert_true(th::is_full());
  assert_true(fake::logged("interconnect: FULL (lease 60000 ms)"));
  assert_int_equal(th::core().state().license_counter, 5);
}

// A license signed by another key -> kLicenseSignature, RESTRICTED.
static void test_wrong_signature(void**) {
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  expect(th::apply_license(th::sign_license(th::good_license(nonce, 5), 2)),
         FirmwareError::kLicenseSignature);
  assert_true(th::is_restricted());
}

// A license for another UEID -> kLicenseWrongUeid.
static void test_wrong_ueid(void**) {
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  th::LicenseFields f = th::good_license(nonce, 5);
  f.ueid[10] ^= 1;
  expect(th::apply_license(th::sign_license(f, 1)), FirmwareError::kLicenseWrongUeid);
  assert_true(th::is_restricted());
}

// The same license twice: the nonce is consumed by the first -> kLicenseNoEvidence.
static void test_replayed_nonce(void**) {
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  const Bytes lic = th::sign_license(th::good_license(nonce, 5), 1);
  assert_true(th::apply_license(lic).ok());
  expect(th::apply_license(lic), FirmwareError::kLicenseNoEvidence);
  assert_true(th::is_restricted());  // a failed license drops FULL (fail closed)
  // Even with a higher counter, the consumed nonce does not work again.
  expect(th::apply_license(th::sign_license(th::good_license(nonce, 6), 1)),
         FirmwareError::kLicenseNoEvidence);
}

// A license for an older evidence nonce (a newer evidence was issued) -> kLicenseWrongNonce.
static void test_older_evidence_nonce(void**) {
  const Bytes old_nonce = th::nonce_of(1);
  assert_true(th::get_evidence(old_nonce).ok());
  assert_true(th::get_evidence(th::nonce_of(2)).ok());
  expect(th::apply_license(th::sign_license(th::good_license(old_nonce, 5), 1)),
         FirmwareError::kLicenseWrongNonce);
  assert_true(th::is_restricted());
}

// Counter equal to and lower than the last accepted -> kLicenseStaleCounter.
static void test_stale_counter(void**) {
  assert_true(grant(5, 1).ok());
  Bytes nonce = th::nonce_of(2);
  assert_true(th::get_evidence(nonce).ok());
  expect(th::apply_license(th::sign_license(th::good_license(nonce, 5), 1)),
         FirmwareError::kLicenseStaleCounter);
  assert_true(th::is_restricted());
  assert_true(th::get_evidence(nonce).ok());  // the failed attempt voided the evidence
  expect(th::apply_license(th::sign_license(th::good_license(nonce, 4), 1)),
         FirmwareError::kLicenseStaleCounter);
  assert_int_equal(th::core().state().license_counter, 5);
}

// A license naming another FWID -> kLicenseWrongFwid.
static void test_wrong_fwid(void**) {
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  th::LicenseFields f = th::good_license(nonce, 5);
  f.fwid[0] ^= 0x80;
  expect(th::apply_license(th::sign_license(f, 1)), FirmwareError::kLicenseWrongFwid);
  assert_true(th::is_restricted());
}

// Mode other than 2 and lease outside 1..86400 -> kLicenseBadMode / kLicenseBadLease.
static void test_bad_mode_and_lease(void**) {
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  th::LicenseFields f = th::good_license(nonce, 5);
  f.mode = 1;
  expect(th::apply_license(th::sign_license(f, 1)), FirmwareError::kLicenseBadMode);
  f.mode = 2;
  f.lease_s = 0;
  expect(th::apply_license(th::sign_license(f, 1)), FirmwareError::kLicenseBadLease);
  f.lease_s = 86401;
  expect(th::apply_license(th::sign_license(f, 1)), FirmwareError::kLicenseBadLease);
  assert_true(th::is_restricted());
  assert_int_equal(th::core().state().license_counter, 0);  // nothing was journaled
}

// Garbage instead of a COSE_Sign1 -> kLicenseMalformed.
static void test_malformed_license(void**) {
  assert_true(th::get_evidence(th::nonce_of(1)).ok());
  expect(th::apply_license(Bytes{0x01, 0x02}), FirmwareError::kLicenseMalformed);
  assert_true(th::is_restricted());
}

// The lease runs out on the monotonic clock -> RESTRICTED (on poll and on any message).
static void test_lease_expiry(void**) {
  assert_true(grant(5, 1, 2).ok());
  assert_true(th::is_full());
  fake::board().now_us += 1999999;
  th::core().poll();
  assert_true(th::is_full());
  fake::board().now_us += 1;
  proto::StatusInfo s;
  assert_true(th::status(&s).ok());
  assert_int_equal(s.mode, proto::kModeRestricted);
  assert_true(th::is_restricted());
  assert_true(fake::board().logs.back() == "interconnect: RESTRICTED");
}

// Renewal: a new license for new evidence before expiry keeps FULL with the new lease.
static void test_renewal(void**) {
  assert_true(grant(5, 1, 10).ok());
  fake::board().now_us += 8000000;
  assert_true(grant(6, 2, 10).ok());
  fake::board().now_us += 8000000;  // 16 s after the first: only the renewal keeps FULL
  th::core().poll();
  assert_true(th::is_full());
  assert_int_equal(th::core().state().license_counter, 6);
}

// Reboot -> RESTRICTED; the counter survives and the old license is rejected.
static void test_reboot_restricted(void**) {
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  const Bytes lic = th::sign_license(th::good_license(nonce, 5), 1);
  assert_true(th::apply_license(lic).ok());
  fake::board().mode = locus::board::InterconnectMode::kFull;  // the hardware keeps nothing
  assert_true(th::boot().ok());
  assert_true(th::is_restricted());
  assert_int_equal(th::core().state().license_counter, 5);
  assert_int_equal(th::core().state().boot_count, 2);
  expect(th::apply_license(lic), FirmwareError::kLicenseNoEvidence);
  // The same verifier nonce again: the board draws a new board nonce, so the license held
  // back across the reboot answers nothing.
  assert_true(th::get_evidence(nonce).ok());
  expect(th::apply_license(lic), FirmwareError::kLicenseWrongBoardNonce);
}

// No verifier key installed -> kNoVerifierKey; a second install -> kVerifierKeyInstalled;
// a key that is not a P-256 point -> kBadPublicKey.
static void test_verifier_key_install(void**) {
  fake::reset_board();
  assert_true(th::boot().ok());
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  expect(th::apply_license(th::sign_license(th::good_license(nonce, 5), 1)),
         FirmwareError::kNoVerifierKey);
  proto::InstallVerifierKeyRequest bad;
  bad.key[0] = 4;
  bad.key[1] = 1;
  proto::InstallVerifierKeyResponse r;
  expect(th::call(bad, &r), FirmwareError::kBadPublicKey);
  assert_true(th::install_verifier_key(1).ok());
  expect(th::install_verifier_key(2), FirmwareError::kVerifierKeyInstalled);
  assert_true(th::get_evidence(nonce).ok());  // the failed attempt voided the evidence
  assert_true(th::apply_license(th::sign_license(th::good_license(nonce, 5), 1)).ok());
}

// Rotation signed by a wrong key -> kRotationSignature; stale counter ->
// kRotationStaleCounter; a good rotation then makes the old key useless.
static void test_rotation(void**) {
  locus::crypto::P256PrivateKey p2;
  locus::crypto::P256PublicKey k2;
  th::verifier_key(2, &p2, &k2);
  expect(th::rotate(th::sign_rotation(k2, 1, 3)), FirmwareError::kRotationSignature);
  expect(th::rotate(th::sign_rotation(k2, 0, 1)), FirmwareError::kRotationStaleCounter);
  assert_true(th::rotate(th::sign_rotation(k2, 7, 1)).ok());
  assert_int_equal(th::core().state().rotation_counter, 7);
  // Old key: a license it signs is rejected; the new key works.
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  expect(th::apply_license(th::sign_license(th::good_license(nonce, 5), 1)),
         FirmwareError::kLicenseSignature);
  assert_true(th::get_evidence(nonce).ok());  // the failed attempt voided the evidence
  assert_true(th::apply_license(th::sign_license(th::good_license(nonce, 5), 2)).ok());
  // The old key cannot rotate back; the same counter is stale even with the new key.
  locus::crypto::P256PrivateKey p1;
  locus::crypto::P256PublicKey k1;
  th::verifier_key(1, &p1, &k1);
  expect(th::rotate(th::sign_rotation(k1, 8, 1)), FirmwareError::kRotationSignature);
  expect(th::rotate(th::sign_rotation(k1, 7, 2)), FirmwareError::kRotationStaleCounter);
  // Survives a reboot.
  assert_true(th::boot().ok());
  assert_int_equal(th::core().state().rotation_counter, 7);
  assert_memory_equal(th::core().state().verifier_key, k2.q.data(), 65);
}

// Anti-rollback: boot SVN 3 raises min_svn to 3; booting SVN 2 after that refuses evidence,
// licenses and distance bounding with kRollback.
static void test_rollback(void**) {
  assert_true(th::boot(3).ok());
  assert_int_equal(th::core().state().min_svn, 3);
  assert_true(th::boot(2).ok());
  assert_true(th::core().attestation_refused());
  assert_int_equal(th::core().state().min_svn, 3);  // never lowered
  expect(th::get_evidence(th::nonce_of(1)), FirmwareError::kRollback);
  expect(th::apply_license(Bytes{0x01}), FirmwareError::kRollback);
  proto::LmSetupRequest setup;
  setup.rounds = 4;
  Bytes n = th::nonce_of(3);
  setup.lm_nonce = locus::ByteSpan(n.data(), n.size());
  setup.verifier_nonce = setup.lm_nonce;
  locus::crypto::P256PrivateKey lp;
  locus::crypto::P256PublicKey lq;
  th::verifier_key(9, &lp, &lq);
  memcpy(setup.lm_eph_pub.data(), lq.q.data(), 65);
  proto::LmSetupResponse sr;
  expect(th::call(setup, &sr), FirmwareError::kRollback);
  assert_true(th::is_restricted());
  // Status still answers and reports both numbers.
  proto::StatusInfo s;
  assert_true(th::status(&s).ok());
  assert_int_equal(s.svn, 2);
  assert_int_equal(s.min_svn, 3);
  // The image with SVN 3 works again.
  assert_true(th::boot(3).ok());
  assert_true(th::get_evidence(th::nonce_of(1)).ok());
}

// Evidence nonce sizes: 15 and 65 bytes -> kBadNonceLength; 16 and 64 accepted.
static void test_nonce_sizes(void**) {
  // Built by hand: the protocol encoder itself refuses these sizes.
  for (size_t len : {size_t{15}, size_t{65}}) {
    uint8_t buf[128];
    locus::cbor::Encoder e(buf, sizeof(buf));
    const Bytes n = th::nonce_of(1, len);
    e.array(3).uint(5).uint(77).bytes(locus::ByteSpan(n.data(), n.size()));
    const Bytes resp = th::roundtrip(Bytes(buf, buf + e.size()));
    proto::Envelope env;
    assert_true(proto::decode_envelope(locus::ByteSpan(resp.data(), resp.size()), &env).ok());
    assert_int_equal(env.type, 0xFF);
    assert_int_equal(env.request_id, 77);
    proto::ErrorResponse err;
    assert_true(proto::decode_body(env.body, &err).ok());
    assert_int_equal(err.code, Status(FirmwareError::kBadNonceLength).code());
  }
  assert_true(th::get_evidence(th::nonce_of(1, 16)).ok());
  assert_true(th::get_evidence(th::nonce_of(1, 64)).ok());
}

// Unknown message type -> kUnknownMessageType with the request id; garbage -> kBadEnvelope.
static void test_unknown_type_and_bad_envelope(void**) {
  const Bytes unknown = {0x83, 0x0B, 0x01, 0xF6};  // [11, 1, null]
  Bytes resp = th::roundtrip(unknown);
  proto::Envelope env;
  assert_true(proto::decode_envelope(locus::ByteSpan(resp.data(), resp.size()), &env).ok());
  assert_int_equal(env.type, 0xFF);
  assert_int_equal(env.request_id, 1);
  proto::ErrorResponse e;
  assert_true(proto::decode_body(env.body, &e).ok());
  assert_int_equal(e.code, Status(proto::ProtocolError::kUnknownMessageType).code());
  resp = th::roundtrip(Bytes{0xFF, 0x00});
  assert_true(proto::decode_envelope(locus::ByteSpan(resp.data(), resp.size()), &env).ok());
  assert_true(proto::decode_body(env.body, &e).ok());
  assert_int_equal(e.code, Status(proto::ProtocolError::kBadEnvelope).code());
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_reset_is_restricted, setup),
      cmocka_unit_test_setup(test_valid_license_full, setup),
      cmocka_unit_test_setup(test_wrong_signature, setup),
      cmocka_unit_test_setup(test_wrong_ueid, setup),
      cmocka_unit_test_setup(test_replayed_nonce, setup),
      cmocka_unit_test_setup(test_older_evidence_nonce, setup),
      cmocka_unit_test_setup(test_stale_counter, setup),
      cmocka_unit_test_setup(test_wrong_fwid, setup),
      cmocka_unit_test_setup(test_bad_mode_and_lease, setup),
      cmocka_unit_test_setup(test_malformed_license, setup),
      cmocka_unit_test_setup(test_lease_expiry, setup),
      cmocka_unit_test_setup(test_renewal, setup),
      cmocka_unit_test_setup(test_reboot_restricted, setup),
      cmocka_unit_test(test_verifier_key_install),
      cmocka_unit_test_setup(test_rotation, setup),
      cmocka_unit_test_setup(test_rollback, setup),
      cmocka_unit_test_setup(test_nonce_sizes, setup),
      cmocka_unit_test_setup(test_unknown_type_and_bad_envelope, setup),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
