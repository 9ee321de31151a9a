// Whoever can write the board's storage chip cannot forge state, roll it back into blankness
// or make the board accept a new verifier key (DESIGN §5a). Each case corrupts the storage
// of a provisioned board that has accepted licenses, reboots the real core on it, and then
// attacks: a host-installed verifier key and a license the host signs itself. The board must
// never be FULL at boot, never blank, never accept the host's key, and never report a lower
// counter without reporting a storage problem.
#include <string.h>

#include <vector>

#include "harness.h"
#include "locus/firmware/store.h"
#include "locus_test/cmocka.h"

using locus::Status;
using locus::firmware::FirmwareError;
using locus::firmware::Health;
using locus::firmware::kSlotSize;
using locus::firmware::kSlotStride;
namespace proto = locus::protocol;
using th::Bytes;

namespace {

constexpr uint64_t kCounter = 7;  // licenses 6 then 7 accepted before the attack

// A provisioned board (verifier key 1) with two accepted licenses, as storage bytes.
struct Image {
  std::vector<uint8_t> storage;
  std::vector<uint8_t> otp;
};

Status license(uint64_t counter, uint8_t seed, int key) {
  const Bytes nonce = th::nonce_of(seed);
  LOCUS_TRY(th::get_evidence(nonce));
  return th::apply_license(th::sign_license(th::good_license(nonce, counter), key));
}

Image provisioned_image() {
  fake::reset_board();
  assert_true(th::boot().ok());
  assert_true(th::install_verifier_key(1).ok());
  assert_true(license(kCounter - 1, 1, 1).ok());
  assert_true(license(kCounter, 2, 1).ok());
  return {fake::board().storage, fake::board().otp};
}

// The host's attack after the reboot: its own verifier key (key 5) and a license it signs.
void host_attacks(const char* what) {
  const Status inst = th::install_verifier_key(5);
  if (inst.ok()) fail_msg("%s: the host installed its own verifier key", what);
  const Status lic = license(1000, 9, 5);
  if (lic.ok() || th::is_full()) fail_msg("%s: a host-signed license went FULL", what);
}

// Boots the core on the given storage and checks the invariants; returns the status map.
proto::StatusInfo reboot_and_check(const char* what) {
  fake::power_on();
  fake::board().mode = locus::board::InterconnectMode::kFull;  // reset must fix it
  const Status b = th::boot();
  assert_true(th::is_restricted());
  proto::StatusInfo s;
  if (!b.ok()) {
    // A board that cannot even boot answers every request with an error: fail closed.
    assert_false(th::status(&s).ok());
    s.storage = proto::kStorageFault;
    return s;
  }
  assert_true(th::status(&s).ok());
  assert_int_equal(s.mode, proto::kModeRestricted);
  // Never blank: a provisioned board stays provisioned, or reports the fault.
  if (!th::core().provisioned() && s.storage != proto::kStorageFault)
    fail_msg("%s: came up blank", what);
  if (s.license_counter < kCounter && s.storage == proto::kStorageOk) {
    fail_msg("%s: counter went back to %llu with no storage fault reported", what,
             static_cast<unsigned long long>(s.license_counter));
  }
  host_attacks(what);
  return s;
}

// Every single byte of each slot flipped, alone, and the same offset in both slots. Every
// image is loaded by the real Store (cheap); every 7th offset inside the records, and a
// spread in the padding, also reboots the whole core and runs the host's attacks. On the
// QEMU boards (TCG; a boot with DICE is ~100 M instructions, docs/boards.md) every 5th offset
// is flipped (5 is coprime to the word size, so every byte lane is hit), every 40th inside
// the records and every 1020th in the padding reboots; fw_storage_attacks on the host
// flips every byte.
#ifdef LOCUS_FIRMWARE
constexpr size_t kFlipStep = 5, kRebootEvery = 40, kRebootEveryPad = 1020;
#else
constexpr size_t kFlipStep = 1, kRebootEvery = 7, kRebootEveryPad = 301;
#endif
void test_flip_every_byte(void**) {
  const Image img = provisioned_image();
  size_t faults = 0, recovered = 0, rebooted = 0;
  uint8_t key[32];
  fake::store_key(key);
  for (int target = 0; target < 3; ++target) {  // slot A, slot B, both
    for (size_t off = 0; off < kSlotSize; off += kFlipStep) {
      fake::board().storage = img.storage;
      fake::board().otp = img.otp;
      if (target != 1) fake::board().storage[off] ^= 0x5A;
      if (target != 0) fake::board().storage[kSlotStride + off] ^= 0x5A;
      char what[64];
      snprintf(what, sizeof(what), "flip %s offset %lu",  // no %zu: newlib-nano on the boards
               target == 0   ? "A"
               : target == 1 ? "B"
                             : "A+B",
               static_cast<unsigned long>(off));
      locus::firmware::Store st;
      st.set_key(key);
      assert_true(st.load().ok());
      if (!st.provisioned()) fail_msg("%s: store came up blank", what);
      if (!st.fault() && st.state().license_counter < kCounter && st.health() == Health::kOk) {
        fail_msg("%s: counter went back with health ok", what);
      }
      if (!st.fault() && !st.key_matches_anchor(st.state())) fail_msg("%s: key not anchored", what);
      faults += static_cast<unsigned long>(st.fault());
      recovered += static_cast<unsigned long>(st.health() == Health::kRecovered);
      if ((off < 160 && off % kRebootEvery == 0) || off % kRebootEveryPad == 0) {
        reboot_and_check(what);
        ++rebooted;
      }
    }
  }
  print_message("flips: %lu images: %lu faults, %lu recovered; %lu full reboots with attacks\n",
                static_cast<unsigned long>(3 * ((kSlotSize + kFlipStep - 1) / kFlipStep)),
                static_cast<unsigned long>(faults), static_cast<unsigned long>(recovered),
                static_cast<unsigned long>(rebooted));
  assert_true(faults > 0 && recovered > 0);
}

// Flipping a byte in both slots where the records are (the whole record) is always a fault.
void test_both_slots_corrupt_is_fault(void**) {
  const Image img = provisioned_image();
  for (size_t off : {size_t{0}, size_t{5}, size_t{20}, size_t{100}, size_t{139}}) {
    fake::board().storage = img.storage;
    fake::board().otp = img.otp;
    fake::board().storage[off] ^= 1;
    fake::board().storage[kSlotStride + off] ^= 1;
    const proto::StatusInfo s = reboot_and_check("both corrupt");
    assert_int_equal(s.storage, proto::kStorageFault);
    assert_true(th::core().storage_fault());
    // Evidence still answers, and carries the fault for the verifier to refuse.
    Bytes ev;
    assert_true(th::get_evidence(th::nonce_of(3), &ev).ok());
  }
}

// The journal of a provisioned board erased (the "make it blank" attack): fault, not blank.
void test_erased_journal(void**) {
  const Image img = provisioned_image();
  fake::board().storage.assign(img.storage.size(), 0xFF);
  fake::board().otp = img.otp;
  const proto::StatusInfo s = reboot_and_check("erased journal");
  assert_int_equal(s.storage, proto::kStorageFault);
  assert_true(th::core().provisioned());
  // Installation is refused with the storage fault, not "already installed".
  assert_int_equal(th::install_verifier_key(1).code(), Status(FirmwareError::kStorageFault).code());
}

// Truncated storage: the board cannot boot, answers only errors, RESTRICTED.
void test_truncated(void**) {
  const Image img = provisioned_image();
  fake::board().storage = img.storage;
  fake::board().storage.resize(kSlotStride + 100);
  fake::board().otp = img.otp;
  reboot_and_check("truncated");
  assert_int_equal(th::core().boot_status().code(), Status(FirmwareError::kStorageTooSmall).code());
}

// Read errors at boot are a fault (kStorageIo), never blank.
void test_read_errors(void**) {
  for (int which = 0; which < 2; ++which) {
    const Image img = provisioned_image();
    fake::board().storage = img.storage;
    fake::board().otp = img.otp;
    if (which == 0) fake::board().storage_read_fails = true;
    if (which == 1) fake::board().otp_read_fails = true;
    const proto::StatusInfo s =
        reboot_and_check(which == 0 ? "storage read error" : "otp read error");
    assert_int_equal(s.storage, proto::kStorageFault);
    fake::board().storage_read_fails = false;
    fake::board().otp_read_fails = false;
  }
}

// Rolling the storage back to an older image: the counter may go back, but the licenses of
// that time answer board nonces that never recur.
void test_rollback_to_old_image(void**) {
  fake::reset_board();
  assert_true(th::boot().ok());
  assert_true(th::install_verifier_key(1).ok());
  const Bytes nonce = th::nonce_of(4);
  assert_true(th::get_evidence(nonce).ok());
  const Bytes old_license = th::sign_license(th::good_license(nonce, 3), 1);
  const Image old_img{fake::board().storage, fake::board().otp};
  assert_true(th::apply_license(old_license).ok());
  assert_true(license(4, 5, 1).ok());
  fake::board().storage = old_img.storage;  // counter back to 0 on the chip
  fake::power_on();
  assert_true(th::boot().ok());
  assert_true(th::get_evidence(nonce).ok());
  assert_int_equal(th::apply_license(old_license).code(),
                   Status(FirmwareError::kLicenseWrongBoardNonce).code());
  assert_true(th::is_restricted());
}

// A rotation rolled back: the journal of before the rotation, the anchor of after it. The
// old key is not usable again (pending: only the anchored rotation completes it).
void test_rotation_rollback(void**) {
  fake::reset_board();
  assert_true(th::boot().ok());
  assert_true(th::install_verifier_key(1).ok());
  const std::vector<uint8_t> before = fake::board().storage;
  locus::crypto::P256PrivateKey p2;
  locus::crypto::P256PublicKey k2;
  th::verifier_key(2, &p2, &k2);
  assert_true(th::rotate(th::sign_rotation(k2, 1, 1)).ok());
  assert_true(th::boot().ok());  // both slots now hold the rotated key
  fake::board().storage = before;
  fake::power_on();
  assert_true(th::boot().ok());
  // The old key (1) signs a license: refused, the journal's key is not the anchored one.
  assert_int_equal(license(10, 6, 1).code(), Status(FirmwareError::kVerifierKeyPending).code());
  // Another rotation signed by key 1 to a host key is refused; the anchored one completes.
  locus::crypto::P256PrivateKey p5;
  locus::crypto::P256PublicKey k5;
  th::verifier_key(5, &p5, &k5);
  assert_int_equal(th::rotate(th::sign_rotation(k5, 1, 1)).code(),
                   Status(FirmwareError::kVerifierKeyMismatch).code());
  assert_true(th::rotate(th::sign_rotation(k2, 1, 1)).ok());
  assert_true(license(11, 7, 2).ok());
}

// A cut between the write-once anchor and the journal commit of a key installation: the
// board is provisioned with that key; only the same key completes the installation.
void test_cut_after_anchor(void**) {
  fake::reset_board();
  assert_true(th::boot().ok());
  fake::arm_cut(3, 0);  // 1: anchor body, 2: anchor commit byte, 3: the journal write
  assert_int_equal(th::install_verifier_key(1).code(),
                   Status(FirmwareError::kPersistFailed).code());
  fake::power_on();
  assert_true(th::boot().ok());
  assert_true(th::core().provisioned());
  assert_false(th::core().state().has_verifier_key);
  assert_int_equal(license(1, 8, 1).code(), Status(FirmwareError::kVerifierKeyPending).code());
  assert_int_equal(th::install_verifier_key(5).code(),
                   Status(FirmwareError::kVerifierKeyMismatch).code());
  assert_true(th::install_verifier_key(1).ok());
  assert_true(license(1, 9, 1).ok());
}

// Write errors: the change is refused with kPersistFailed and the board stays RESTRICTED.
void test_write_errors(void**) {
  fake::reset_board();
  assert_true(th::boot().ok());
  assert_true(th::install_verifier_key(1).ok());
  const Bytes nonce = th::nonce_of(12);
  assert_true(th::get_evidence(nonce).ok());
  fake::board().writes_fail = true;
  assert_int_equal(th::apply_license(th::sign_license(th::good_license(nonce, 3), 1)).code(),
                   Status(FirmwareError::kPersistFailed).code());
  assert_true(th::is_restricted());
  fake::board().writes_fail = false;
  assert_int_equal(th::core().state().license_counter, 0);
}

// Unprovisioned board with garbage in its journal: starts fresh and says RECOVERED (nothing
// on an unprovisioned board can grant anything: no verifier key without an anchor).
void test_unprovisioned_garbage(void**) {
  fake::reset_board();
  for (size_t i = 0; i < 64; ++i) fake::board().storage[i] = static_cast<uint8_t>(i * 37);
  assert_true(th::boot().ok());
  proto::StatusInfo s;
  assert_true(th::status(&s).ok());
  assert_int_equal(s.storage, proto::kStorageRecovered);
  assert_false(th::core().provisioned());
  assert_true(th::install_verifier_key(1).ok());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flip_every_byte),   cmocka_unit_test(test_both_slots_corrupt_is_fault),
      cmocka_unit_test(test_erased_journal),    cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_read_errors),       cmocka_unit_test(test_rollback_to_old_image),
      cmocka_unit_test(test_rotation_rollback), cmocka_unit_test(test_cut_after_anchor),
      cmocka_unit_test(test_write_errors),      cmocka_unit_test(test_unprovisioned_garbage),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
