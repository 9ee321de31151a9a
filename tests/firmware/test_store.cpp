// The journaled store: record format, slot alternation, corruption, exhaustive power cuts
// at every byte prefix of a commit.
#include <string.h>

#include <vector>

#include "fake_board.h"
#include "locus/firmware/store.h"
#include "state_eq.h"
#include "locus_test/cmocka.h"

using locus::Status;
using locus::firmware::FirmwareError;
using locus::firmware::kSlotSize;
using locus::firmware::PersistentState;
using locus::firmware::Store;

namespace {

PersistentState sample(uint32_t n, uint16_t cert_len) {
  PersistentState s;
  s.boot_count = n;
  s.license_counter = 1000u + n;
  s.min_svn = n % 5;
  s.has_verifier_key = (n % 2) == 1;
  for (int i = 0; i < 65; ++i) s.verifier_key[i] = static_cast<uint8_t>(n + i);
  s.rotation_counter = 7u * n;
  s.devid_cert_len = cert_len;
  for (uint16_t i = 0; i < cert_len; ++i) s.devid_cert[i] = static_cast<uint8_t>(i ^ n);
  return s;
}

int setup(void**) {
  fake::reset_board();
  return 0;
}

// Blank (erased) storage -> default state, no active slot.
void test_blank(void**) {
  Store st;
  assert_true(st.load().ok());
  assert_int_equal(st.active_slot(), -1);
  assert_true(state_eq(st.state(), PersistentState()));
}

// Commits alternate slots, the sequence grows, and a fresh load finds the newest state.
void test_commit_load_alternates(void**) {
  Store st;
  assert_true(st.load().ok());
  for (uint32_t i = 1; i <= 5; ++i) {
    assert_true(st.commit(sample(i, static_cast<uint16_t>(i * 100))).ok());
    assert_int_equal(st.active_slot(), static_cast<int>((i - 1) % 2));
    assert_int_equal(st.sequence(), i);
    Store again;
    assert_true(again.load().ok());
    assert_true(state_eq(again.state(), sample(i, static_cast<uint16_t>(i * 100))));
    assert_int_equal(again.sequence(), i);
  }
}

// The largest certificate fits; a larger one is refused without touching storage.
void test_cert_limits(void**) {
  Store st;
  assert_true(st.load().ok());
  assert_true(st.commit(sample(1, locus::firmware::kMaxDevIdCert)).ok());
  PersistentState big = sample(2, 0);
  big.devid_cert_len = locus::firmware::kMaxDevIdCert + 1;
  const std::vector<uint8_t> before = fake::board().storage;
  assert_int_equal(st.commit(big).code(), Status(FirmwareError::kPersistFailed).code());
  assert_true(before == fake::board().storage);
  assert_true(state_eq(st.state(), sample(1, locus::firmware::kMaxDevIdCert)));
}

// A flipped bit anywhere in the newer record makes load fall back to the older one.
void test_corruption_falls_back(void**) {
  Store st;
  assert_true(st.load().ok());
  assert_true(st.commit(sample(1, 50)).ok());  // slot 0
  assert_true(st.commit(sample(2, 60)).ok());  // slot 1
  const std::vector<uint8_t> good = fake::board().storage;
  uint8_t rec[kSlotSize];
  const size_t len = Store::encode(sample(2, 60), 2, rec, sizeof(rec));
  assert_true(len > 0);
  for (size_t i = 0; i < len; ++i) {
    fake::board().storage = good;
    fake::board().storage[kSlotSize + i] ^= 0x01;
    Store s2;
    assert_true(s2.load().ok());
    assert_true(state_eq(s2.state(), sample(1, 50)));
  }
}

// Storage smaller than two slots -> kStorageTooSmall.
void test_storage_too_small(void**) {
  fake::board().storage.resize(2 * kSlotSize - 1);
  Store st;
  assert_int_equal(st.load().code(), Status(FirmwareError::kStorageTooSmall).code());
}

// Power cut at every byte prefix of a commit (and at the flush): load yields exactly the old
// or the new state, and the old one whenever the record was not completely written.
void test_power_cut_every_prefix(void**) {
  for (int base = 0; base < 2; ++base) {  // the new record goes to slot 1, then to slot 0
    fake::reset_board();
    Store st;
    assert_true(st.load().ok());
    assert_true(st.commit(sample(1, 300)).ok());
    if (base == 1) assert_true(st.commit(sample(2, 301)).ok());
    const PersistentState old_s = st.state();
    const PersistentState new_s = sample(9, 777);
    const std::vector<uint8_t> snapshot = fake::board().storage;
    uint8_t rec[kSlotSize];
    const size_t rec_len = Store::encode(new_s, st.sequence() + 1, rec, sizeof(rec));
    for (size_t p = 0; p <= kSlotSize; ++p) {
      fake::board().storage = snapshot;
      fake::power_on();
      Store s;
      assert_true(s.load().ok());
      fake::arm_cut(1, p);
      assert_int_equal(s.commit(new_s).code(), Status(FirmwareError::kPersistFailed).code());
      assert_true(state_eq(s.state(), old_s));  // RAM state unchanged on failure
      fake::power_on();
      Store after;
      assert_true(after.load().ok());
      const bool is_old = state_eq(after.state(), old_s);
      const bool is_new = state_eq(after.state(), new_s);
      assert_true(is_old || is_new);
      if (p < rec_len) assert_true(is_old);
      // The next commit after the reboot works and wins.
      assert_true(after.commit(sample(10, 1)).ok());
      Store again;
      assert_true(again.load().ok());
      assert_true(state_eq(again.state(), sample(10, 1)));
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_blank, setup),
      cmocka_unit_test_setup(test_commit_load_alternates, setup),
      cmocka_unit_test_setup(test_cert_limits, setup),
      cmocka_unit_test_setup(test_corruption_falls_back, setup),
      cmocka_unit_test_setup(test_storage_too_small, setup),
      cmocka_unit_test_setup(test_power_cut_every_prefix, setup),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
