// Licenses cannot be banked (DESIGN §5): a hostile host that asks for evidence as often as it
// likes and holds licenses back gets at most one usable license, by this board, in this boot,
// within kAnswerWindowSeconds of the evidence it answers, and its lease counts from that
// evidence. Each case is an attack; it fails if the attack succeeds.
#include <string.h>

#include <vector>

#include "harness.h"
#include "locus/crypto/cose.h"
#include "locus/protocol/claims.h"
#include "locus_test/cmocka.h"

using locus::Status;
using locus::firmware::FirmwareError;
using locus::firmware::kAnswerWindowSeconds;
namespace proto = locus::protocol;
using th::Bytes;

namespace {

int setup(void**) {
  fake::reset_board();
  if (!th::boot().ok()) return -1;
  return th::install_verifier_key(1).ok() ? 0 : -1;
}

void expect(Status got, FirmwareError want) {
  if (got.code() != Status(want).code()) {
    fail_msg("got 0x%04x, want 0x%04x (%s)", got.code(), Status(want).code(),
             locus::firmware::to_string(want));
  }
}

proto::EatClaims claims_of(const Bytes& cose) {
  locus::cose::Sign1View v;
  proto::EatClaims c;
  assert_true(locus::cose::sign1_decode(locus::ByteSpan(cose.data(), cose.size()), &v).ok());
  assert_true(proto::decode_claims(v.payload, &c).ok());
  return c;
}

// The attack of the report: K evidences, K licenses (each valid for its evidence), then the
// verifier and landmarks are cut off and the licenses applied one after another. Only the
// license for the latest evidence can work; every earlier one is refused, and after the
// first attempt nothing else works.
void test_k_banked_licenses(void**) {
  constexpr int kK = 5;
  std::vector<Bytes> bank;
  for (int i = 0; i < kK; ++i) {
    const Bytes nonce = th::nonce_of(static_cast<uint8_t>(10 + i));
    assert_true(th::get_evidence(nonce).ok());
    bank.push_back(th::sign_license(th::good_license(nonce, 100 + i), 1));
  }
  // Applied oldest first: each earlier one fails on its board nonce, and that attempt voids
  // the latest evidence too, so even the last license is refused.
  // (bank[0] answers an older verifier nonce, so that check refuses it first.)
  expect(th::apply_license(bank[0]), FirmwareError::kLicenseWrongNonce);
  for (int i = 1; i < kK; ++i)
    expect(th::apply_license(bank[i]), FirmwareError::kLicenseNoEvidence);
  assert_true(th::is_restricted());
  assert_int_equal(th::core().state().license_counter, 0);
}

// The best a banking host can do: apply the latest license at once. It works once; the
// earlier ones and a replay of the latest are refused afterwards.
void test_only_latest_once(void**) {
  std::vector<Bytes> bank;
  for (int i = 0; i < 3; ++i) {
    const Bytes nonce = th::nonce_of(static_cast<uint8_t>(20 + i));
    assert_true(th::get_evidence(nonce).ok());
    bank.push_back(th::sign_license(th::good_license(nonce, 200 + i), 1));
  }
  assert_true(th::apply_license(bank[2]).ok());
  assert_true(th::is_full());
  for (int i = 0; i < 3; ++i) expect(th::apply_license(bank[i]), FirmwareError::kLicenseNoEvidence);
  assert_true(th::is_restricted());
}

// Re-asking an old verifier nonce does not revive its license: the board nonce is new.
void test_reasked_nonce(void**) {
  const Bytes nonce = th::nonce_of(30);
  Bytes ev1;
  assert_true(th::get_evidence(nonce, &ev1).ok());
  const Bytes lic = th::sign_license(th::good_license(nonce, 300), 1);
  Bytes ev2;
  assert_true(th::get_evidence(nonce, &ev2).ok());
  // Two evidences for one verifier nonce carry two different board nonces.
  assert_memory_not_equal(claims_of(ev1).board_nonce.data(), claims_of(ev2).board_nonce.data(),
                          proto::kBoardNonceSize);
  expect(th::apply_license(lic), FirmwareError::kLicenseWrongBoardNonce);
  assert_true(th::is_restricted());
}

// A license held across a reboot is refused (the board nonce lived in RAM only), also after
// the host re-asks the same verifier nonce in the new boot.
void test_held_across_reboot(void**) {
  const Bytes nonce = th::nonce_of(40);
  assert_true(th::get_evidence(nonce).ok());
  const Bytes lic = th::sign_license(th::good_license(nonce, 400), 1);
  assert_true(th::boot().ok());
  expect(th::apply_license(lic), FirmwareError::kLicenseNoEvidence);
  assert_true(th::get_evidence(nonce).ok());
  expect(th::apply_license(lic), FirmwareError::kLicenseWrongBoardNonce);
  assert_true(th::is_restricted());
}

// After the answer window the license is refused; just inside it, it works, and its lease
// is what is left of the lease counted from the evidence.
void test_answer_window(void**) {
  const uint64_t window_us = uint64_t{kAnswerWindowSeconds} * 1000000u;
  const Bytes nonce = th::nonce_of(50);
  assert_true(th::get_evidence(nonce).ok());
  th::LicenseFields f = th::good_license(nonce, 500);
  f.lease_s = 600;
  const Bytes late = th::sign_license(f, 1);
  fake::board().now_us += window_us + 1;
  expect(th::apply_license(late), FirmwareError::kLicenseWindowExpired);
  assert_true(th::is_restricted());

  assert_true(th::get_evidence(nonce).ok());
  f = th::good_license(nonce, 501);
  f.lease_s = 600;
  const Bytes in_time = th::sign_license(f, 1);
  fake::board().now_us += window_us - 1000;  // 59.999 s later
  proto::StatusInfo s;
  assert_true(th::apply_license(in_time, &s).ok());
  assert_true(th::is_full());
  // 600 s from the evidence, of which ~60 s are gone.
  assert_true(s.lease_remaining_ms <= 540001 && s.lease_remaining_ms >= 539990);
}

// A lease shorter than the delay: the license is already spent when it arrives.
void test_lease_spent_before_arrival(void**) {
  const Bytes nonce = th::nonce_of(55);
  assert_true(th::get_evidence(nonce).ok());
  th::LicenseFields f = th::good_license(nonce, 550);
  f.lease_s = 5;
  const Bytes lic = th::sign_license(f, 1);
  fake::board().now_us += uint64_t{5} * 1000000;
  expect(th::apply_license(lic), FirmwareError::kLicenseWindowExpired);
  assert_true(th::is_restricted());
}

// A failed first APPLY_LICENSE voids the evidence: a valid license sent second is refused.
void test_second_attempt_after_failure(void**) {
  const Bytes nonce = th::nonce_of(60);
  assert_true(th::get_evidence(nonce).ok());
  const Bytes good = th::sign_license(th::good_license(nonce, 600), 1);
  expect(th::apply_license(Bytes{0xA0}), FirmwareError::kLicenseMalformed);
  expect(th::apply_license(good), FirmwareError::kLicenseNoEvidence);
  // A message that is not even a license body counts as the attempt too.
  assert_true(th::get_evidence(nonce).ok());
  const Bytes good2 = th::sign_license(th::good_license(nonce, 601), 1);
  const Bytes junk = {0x83, 0x06, 0x09, 0x01};  // [APPLY_LICENSE, 9, 1]: body not a bstr
  th::roundtrip(junk);
  expect(th::apply_license(good2), FirmwareError::kLicenseNoEvidence);
  assert_true(th::is_restricted());
}

// A license without the board nonce (the old 7-field shape) is malformed, not accepted.
void test_license_without_board_nonce(void**) {
  const Bytes nonce = th::nonce_of(70);
  assert_true(th::get_evidence(nonce).ok());
  th::LicenseFields f = th::good_license(nonce, 700);
  f.board_nonce.clear();
  expect(th::apply_license(th::sign_license(f, 1)), FirmwareError::kLicenseMalformed);
  assert_true(th::is_restricted());
}

// Renewal as the agent does it (new evidence while FULL, its license before expiry) keeps
// FULL, and the new lease counts from the new evidence.
void test_renewal_keeps_full(void**) {
  const Bytes n1 = th::nonce_of(80);
  assert_true(th::get_evidence(n1).ok());
  th::LicenseFields f = th::good_license(n1, 800);
  f.lease_s = 20;
  assert_true(th::apply_license(th::sign_license(f, 1)).ok());
  fake::board().now_us += uint64_t{15} * 1000000;
  const Bytes n2 = th::nonce_of(81);
  assert_true(th::get_evidence(n2).ok());
  assert_true(th::is_full());  // fetching evidence does not end the running lease
  fake::board().now_us += uint64_t{2} * 1000000;
  f = th::good_license(n2, 801);
  f.lease_s = 20;
  proto::StatusInfo s;
  assert_true(th::apply_license(th::sign_license(f, 1), &s).ok());
  assert_true(s.lease_remaining_ms <= 18000 && s.lease_remaining_ms > 17990);
  fake::board().now_us += uint64_t{17} * 1000000;  // 34 s after the first evidence: still FULL
  th::core().poll();
  assert_true(th::is_full());
  fake::board().now_us += 1000001u;
  th::core().poll();
  assert_true(th::is_restricted());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_k_banked_licenses, setup),
      cmocka_unit_test_setup(test_only_latest_once, setup),
      cmocka_unit_test_setup(test_reasked_nonce, setup),
      cmocka_unit_test_setup(test_held_across_reboot, setup),
      cmocka_unit_test_setup(test_answer_window, setup),
      cmocka_unit_test_setup(test_lease_spent_before_arrival, setup),
      cmocka_unit_test_setup(test_second_attempt_after_failure, setup),
      cmocka_unit_test_setup(test_license_without_board_nonce, setup),
      cmocka_unit_test_setup(test_renewal_keeps_full, setup),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
