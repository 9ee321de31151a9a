// The persistent store: authenticated journal record format, slot alternation, the write-once
// anchor, health decisions (ok / recovered / fault), and power cuts at every byte prefix of a
// commit and of an anchor program.
#include <string.h>

#include <vector>

#include "fake_board.h"
#include "locus/crypto/hash.h"
#include "locus/firmware/store.h"
#include "locus_test/cmocka.h"
#include "state_eq.h"

using locus::Status;
using locus::firmware::FirmwareError;
using locus::firmware::Health;
using locus::firmware::kOtpRecordSize;
using locus::firmware::kSlotSize;
using locus::firmware::kSlotStride;
using locus::firmware::PersistentState;
using locus::firmware::Store;

namespace {

PersistentState sample(uint32_t n, uint16_t cert_len) {
  PersistentState s;
  s.boot_count = n;
  s.license_counter = 1000u + n;
  s.min_svn = n % 5;
  s.devid_cert_len = cert_len;
  for (uint16_t i = 0; i < cert_len; ++i) s.devid_cert[i] = static_cast<uint8_t>(i ^ n);
  return s;
}

// A provisioned sample: verifier key k at rotation r, with the matching anchor programmed.
PersistentState keyed(uint32_t n, uint8_t k, uint64_t r) {
  PersistentState s = sample(n, 40);
  s.has_verifier_key = true;
  s.verifier_key[0] = 0x04;
  for (int i = 1; i < 65; ++i) s.verifier_key[i] = static_cast<uint8_t>(k + i);
  s.rotation_counter = r;
  return s;
}

void key_hash(const PersistentState& s, uint8_t out[32]) {
  locus::crypto::Digest d;
  assert_true(locus::crypto::sha256(locus::ByteSpan(s.verifier_key, 65), &d).ok());
  memcpy(out, d.data(), 32);
}

void with_key(Store* st) {
  uint8_t k[32];
  fake::store_key(k);
  st->set_key(k);
}

Store loaded() {
  Store st;
  with_key(&st);
  assert_true(st.load().ok());
  return st;
}

// Provisions: anchor for key k, then the journal holding it.
Store provision(uint8_t k) {
  Store st = loaded();
  const PersistentState s = keyed(1, k, 0);
  uint8_t h[32];
  key_hash(s, h);
  assert_true(st.program_anchor(0, h).ok());
  assert_true(st.commit(s).ok());
  return st;
}

int setup(void**) {
  fake::reset_board();
  return 0;
}

// Erased storage and write-once region -> factory blank: health ok, not provisioned.
void test_blank(void**) {
  Store st = loaded();
  assert_int_equal(st.active_slot(), -1);
  assert_false(st.provisioned());
  assert_true(st.health() == Health::kOk);
  assert_false(st.fault());
  assert_true(state_eq(st.state(), PersistentState()));
}

// Commits alternate slots (A at 0, B at kSlotStride) and the newest record wins at load.
void test_commit_load_alternates(void**) {
  Store st = loaded();
  for (uint32_t i = 1; i <= 5; ++i) {
    assert_true(st.commit(sample(i, static_cast<uint16_t>(i * 100))).ok());
    assert_int_equal(st.active_slot(), static_cast<int>(i % 2 == 1 ? 0 : 1));
    Store again = loaded();
    assert_true(state_eq(again.state(), sample(i, static_cast<uint16_t>(i * 100))));
    assert_int_equal(again.sequence(), i);
    assert_true(again.health() == Health::kOk);
  }
  // Slot B starts on its own sector.
  assert_int_equal(fake::board().storage[kSlotStride], 'L');
}

// The record MAC is keyed by the board: a record made with another key is not accepted.
void test_record_needs_board_key(void**) {
  uint8_t other[32];
  memset(other, 0x42, sizeof(other));
  uint8_t rec[kSlotSize];
  memset(rec, 0xFF, sizeof(rec));
  const size_t n = Store::encode(other, sample(3, 10), 7, rec, sizeof(rec));
  assert_true(n > 0);
  memcpy(fake::board().storage.data(), rec, sizeof(rec));
  Store st = loaded();
  // Unprovisioned, journal unreadable: a fresh journal, and the board says so.
  assert_int_equal(st.active_slot(), -1);
  assert_true(st.health() == Health::kRecovered);
  assert_true(state_eq(st.state(), PersistentState()));
}

// Certificates up to kMaxDevIdCert fit a slot; a larger one is refused without writing.
void test_cert_limits(void**) {
  Store st = loaded();
  PersistentState s = sample(1, locus::firmware::kMaxDevIdCert);
  assert_true(st.commit(s).ok());
  assert_true(state_eq(loaded().state(), s));
  s.devid_cert_len = locus::firmware::kMaxDevIdCert + 1;
  const std::vector<uint8_t> before = fake::board().storage;
  assert_int_equal(st.commit(s).code(), Status(FirmwareError::kPersistFailed).code());
  assert_true(fake::board().storage == before);
}

// One bad copy beside a good one: the good one is used and the board reports kRecovered.
void test_one_bad_copy_is_recovered(void**) {
  Store st = provision(1);
  assert_true(st.commit(keyed(2, 1, 0)).ok());
  fake::board().storage[kSlotStride + 30] ^= 0x01;  // the newest record (slot B)
  Store again = loaded();
  assert_true(again.health() == Health::kRecovered);
  assert_true(state_eq(again.state(), keyed(1, 1, 0)));
  assert_false(again.fault());
}

// Provisioned board, both copies bad, erased, or unreadable: kFault, never blank.
void test_provisioned_without_journal_is_fault(void**) {
  const auto check = [](const char* what, Status why) {
    Store st = loaded();
    assert_true(st.fault());
    assert_true(st.health() == Health::kFault);
    assert_true(st.provisioned() || why == Status(locus::board::BoardError::kStorageIo));
    if (st.last_error().code() != why.code())
      fail_msg("%s: error 0x%04x", what, st.last_error().code());
    // Nothing is written while in fault.
    assert_int_equal(st.commit(sample(9, 1)).code(), Status(FirmwareError::kStorageFault).code());
  };
  provision(1);
  const std::vector<uint8_t> good = fake::board().storage;
  fake::board().storage[10] ^= 0x80;
  fake::board().storage[kSlotStride + 10] ^= 0x80;
  check("both flipped", FirmwareError::kJournalCorrupt);
  fake::board().storage.assign(fake::board().storage.size(), 0xFF);
  check("erased", FirmwareError::kJournalErased);
  fake::board().storage = good;
  fake::board().storage_read_fails = true;
  check("read error", locus::board::BoardError::kStorageIo);
  fake::board().storage_read_fails = false;
  fake::board().otp_read_fails = true;
  check("otp read error", locus::board::BoardError::kStorageIo);
}

// The anchor: a flipped committed record is tampering (fault); a torn one is skipped; the
// journal key must match the anchored hash and rotation.
void test_anchor_rules(void**) {
  provision(1);
  std::vector<uint8_t> otp = fake::board().otp;
  fake::board().otp[5] ^= 0x01;
  assert_int_equal(loaded().last_error().code(), Status(FirmwareError::kOtpTampered).code());
  fake::board().otp = otp;
  // A record after a free one was never written by the board.
  fake::board().otp[3 * kOtpRecordSize] = 0x00;
  assert_int_equal(loaded().last_error().code(), Status(FirmwareError::kOtpTampered).code());
  fake::board().otp = otp;
  // A journal with a key but an erased write-once region (emulated parts only): fault.
  fake::board().otp.assign(fake::board().otp.size(), 0xFF);
  assert_int_equal(loaded().last_error().code(), Status(FirmwareError::kAnchorMismatch).code());
  fake::board().otp = otp;
  // A journal whose key is another one than the anchored key: fault.
  Store st = loaded();
  assert_true(st.key_matches_anchor(st.state()));
  assert_true(st.commit(keyed(5, 9, 0)).ok());
  assert_int_equal(loaded().last_error().code(), Status(FirmwareError::kAnchorMismatch).code());
}

// Storage smaller than two sectors or a write-once region below 512 bytes -> kStorageTooSmall.
void test_storage_too_small(void**) {
  fake::board().storage.resize(2 * kSlotStride - 1);
  Store st;
  assert_int_equal(st.load().code(), Status(FirmwareError::kStorageTooSmall).code());
  fake::reset_board();
  fake::board().otp.resize(locus::firmware::kOtpNeeded - 1);
  assert_int_equal(st.load().code(), Status(FirmwareError::kStorageTooSmall).code());
}

// Power cut at every byte prefix of a commit: load yields exactly the old or the new state,
// the old one whenever the record was not completely written, and never a fault.
void test_power_cut_every_prefix(void**) {
  for (int base = 0; base < 2; ++base) {  // the new record goes to slot 1, then to slot 0
    fake::reset_board();
    Store st = provision(1);
    if (base == 1) assert_true(st.commit(keyed(2, 1, 0)).ok());
    const PersistentState old_s = st.state();
    const PersistentState new_s = keyed(9, 1, 0);
    const std::vector<uint8_t> snapshot = fake::board().storage;
    uint8_t k[32];
    fake::store_key(k);
    uint8_t rec[kSlotSize];
    const size_t rec_len = Store::encode(k, new_s, st.sequence() + 1, rec, sizeof(rec));
    for (size_t p = 0; p <= kSlotSize; ++p) {
      fake::board().storage = snapshot;
      fake::power_on();
      Store s = loaded();
      fake::arm_cut(1, p);
      assert_int_equal(s.commit(new_s).code(), Status(FirmwareError::kPersistFailed).code());
      assert_true(state_eq(s.state(), old_s));  // RAM state unchanged on failure
      fake::power_on();
      Store after = loaded();
      assert_false(after.fault());
      const bool is_old = state_eq(after.state(), old_s);
      const bool is_new = state_eq(after.state(), new_s);
      assert_true(is_old || is_new);
      if (p < rec_len) assert_true(is_old);
      // The next commit after the reboot works and wins, and heals a torn slot.
      assert_true(after.commit(keyed(10, 1, 0)).ok());
      Store again = loaded();
      assert_true(state_eq(again.state(), keyed(10, 1, 0)));
      assert_true(again.health() == Health::kOk);
    }
  }
}

// Power cut at every byte of an anchor program: the record is torn (skipped: not
// provisioned) or complete (provisioned); the next anchor goes to the next record.
void test_anchor_power_cut(void**) {
  uint8_t h[32];
  memset(h, 0x33, sizeof(h));
  for (size_t p = 0; p <= kOtpRecordSize; ++p) {
    fake::reset_board();
    Store st = loaded();
    // Two programs: body (63 bytes) then the commit byte; p == 64 is no cut at all.
    if (p < kOtpRecordSize - 1) fake::arm_cut(1, p);
    if (p == kOtpRecordSize - 1) fake::arm_cut(2, 0);
    const Status r = st.program_anchor(0, h);
    fake::power_on();
    Store after = loaded();
    if (r.ok()) {
      // Provisioned; with no journal written in this store-only test that is a fault.
      assert_true(after.provisioned());
      assert_int_equal(after.last_error().code(), Status(FirmwareError::kJournalErased).code());
    } else {
      assert_false(after.fault());
      assert_false(after.provisioned());
      // The torn record is skipped: the next program lands in record 1 and commits.
      assert_true(after.program_anchor(0, h).ok());
      assert_true(loaded().provisioned());
      assert_int_equal(loaded().anchor().index, p == 0 ? 0 : 1);  // nothing programmed at p 0
    }
  }
}

// A journal whose sequence number is at UINT64_MAX (written by this board's key) refuses the
// next commit instead of wrapping to 0, which would make the old record win at next load.
void test_sequence_does_not_wrap(void**) {
  uint8_t k[32];
  fake::store_key(k);
  uint8_t rec[kSlotSize];
  memset(rec, 0xFF, sizeof(rec));
  assert_true(Store::encode(k, sample(4, 0), UINT64_MAX, rec, sizeof(rec)) > 0);
  memcpy(fake::board().storage.data(), rec, sizeof(rec));
  Store st = loaded();
  assert_int_equal(st.sequence(), UINT64_MAX);
  assert_int_equal(st.commit(sample(5, 0)).code(), Status(FirmwareError::kPersistFailed).code());
  assert_true(state_eq(loaded().state(), sample(4, 0)));
}

// Eight write-once records: the first key and seven rotations, then kOtpFull.
void test_anchor_capacity(void**) {
  Store st = loaded();
  uint8_t h[32] = {};
  for (uint64_t r = 0; r < locus::firmware::kOtpRecords; ++r) {
    h[0] = static_cast<uint8_t>(r);
    assert_true(st.program_anchor(r, h).ok());
  }
  assert_int_equal(st.program_anchor(99, h).code(), Status(FirmwareError::kOtpFull).code());
  assert_int_equal(loaded().anchor().rotation, locus::firmware::kOtpRecords - 1);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_blank, setup),
      cmocka_unit_test_setup(test_commit_load_alternates, setup),
      cmocka_unit_test_setup(test_record_needs_board_key, setup),
      cmocka_unit_test_setup(test_cert_limits, setup),
      cmocka_unit_test_setup(test_one_bad_copy_is_recovered, setup),
      cmocka_unit_test_setup(test_provisioned_without_journal_is_fault, setup),
      cmocka_unit_test_setup(test_anchor_rules, setup),
      cmocka_unit_test_setup(test_storage_too_small, setup),
      cmocka_unit_test_setup(test_power_cut_every_prefix, setup),
      cmocka_unit_test_setup(test_anchor_power_cut, setup),
      cmocka_unit_test_setup(test_anchor_capacity, setup),
      cmocka_unit_test_setup(test_sequence_does_not_wrap, setup),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
