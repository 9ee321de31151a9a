// The AST1030 board's persistent state under faults, from outside, over the UART: power cuts
// at each flash erase/program of a verifier-key installation and of a license commit, and a
// firmware that stops servicing its watchdog. Uses the test image (locus-fw-test-ast1030-evb,
// "TEST BUILD" at boot), whose flash driver can stop the CPU at flash operation k
// (tests/qemu/target/test_hooks.cpp), and scripts/qemu-board on a copy of a flash image.
//
// Usage (CTest): test_qemu_nor <scenario: powercut|rollback|watchdog> <test image.elf>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <string>
#include <vector>

#include "locus/crypto/cbor.h"
#include "locus/crypto/p256.h"
#include "locus/protocol/messages.h"
#include "locus_test/license.h"
#include "qemu_board.h"

// cmocka.h last: it defines a skip() macro that clashes with cbor::Decoder::skip.
#include "locus_test/cmocka.h"

using locus::ByteSpan;
namespace crypto = locus::crypto;
namespace proto = locus::protocol;
using locus::qemutest::BoardSpec;
using locus::qemutest::QemuBoard;
using locus::qemutest::Reply;

namespace {

BoardSpec g_spec;
const uint8_t kUds[32] = {0x5e, 0x11, 0x0a, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                          0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
                          0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c};

using locus::qemutest::encode;
using locus::qemutest::null_body;

bool status(QemuBoard& b, proto::StatusInfo* out, int timeout_ms = 15000) {
  return locus::qemutest::get_status(b, out, timeout_ms);
}

void verifier_key(crypto::P256PrivateKey* k, crypto::P256PublicKey* pub) {
  assert_true(locus::qemutest::derive_key("qemu-nor-verifier", k, pub));
}

int count(const std::string& log, const std::string& needle) {
  int n = 0;
  for (size_t p = log.find(needle); p != std::string::npos; p = log.find(needle, p + 1)) ++n;
  return n;
}
int flash_ops(QemuBoard& b) {
  return count(b.console(), "TEST flash op ");
}

std::vector<uint8_t> nonce_for(uint32_t tag) {
  std::vector<uint8_t> n(32);
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  for (size_t i = 0; i < n.size(); ++i)
    n[i] = static_cast<uint8_t>(static_cast<size_t>(tag) * 29 + i * 11 + (ts.tv_nsec >> 10));
  return n;
}

// GET_IDENTITY's UEID and FWID.
void identity(QemuBoard& b, proto::Ueid* ueid, proto::Fwid* fwid) {
  Reply r;
  assert_true(b.request(proto::kMsgGetIdentity, null_body(), &r));
  proto::IdentityResponse id;
  assert_true(proto::decode_body(ByteSpan(r.body.data(), r.body.size()), &id).ok());
  *ueid = id.ueid;
  *fwid = id.fwid;
}

// Sends INSTALL_VERIFIER_KEY; true when it was answered with success.
bool install_key(QemuBoard& b, const crypto::P256PublicKey& vpub, int timeout_ms) {
  proto::InstallVerifierKeyRequest ik;
  ik.key = vpub.q;
  Reply r;
  return b.request(proto::kMsgInstallVerifierKey, encode(ik), &r, timeout_ms) &&
         r.type == proto::response_type(proto::kMsgInstallVerifierKey);
}

// GET_EVIDENCE for a fresh nonce, then APPLY_LICENSE (FULL, lease_s) with counter; true when
// the license was answered with success.
bool license(QemuBoard& b, const crypto::P256PrivateKey& vkey, uint64_t counter, uint32_t lease_s,
             int timeout_ms) {
  proto::Ueid ueid{};
  proto::Fwid fwid{};
  identity(b, &ueid, &fwid);
  const std::vector<uint8_t> nonce = nonce_for(static_cast<uint32_t>(counter));
  proto::GetEvidenceRequest req;
  req.nonce = ByteSpan(nonce.data(), nonce.size());
  Reply r;
  assert_true(b.request(proto::kMsgGetEvidence, encode(req), &r));
  assert_int_equal(r.type, proto::response_type(proto::kMsgGetEvidence));
  proto::EvidenceResponse ev;
  assert_true(proto::decode_body(ByteSpan(r.body.data(), r.body.size()), &ev).ok());
  const std::vector<uint8_t> lic =
      locus_test::sign_full_license(vkey, ueid, nonce,
                                    locus_test::evidence_board_nonce(std::vector<uint8_t>(
                                        ev.cose_sign1.begin(), ev.cose_sign1.end())),
                                    counter, lease_s, fwid, "qemu-lab");
  proto::ApplyLicenseRequest al;
  al.cose_sign1 = ByteSpan(lic.data(), lic.size());
  return b.request(proto::kMsgApplyLicense, encode(al), &r, timeout_ms) &&
         r.type == proto::response_type(proto::kMsgApplyLicense);
}

struct Snapshot {
  std::string dir;     // holds uds.bin and flash.bin of the state
  uint32_t boots = 0;  // boot_count recorded in it
};

// A fresh state directory holding a copy of snapshot s (or blank flash when s is null).
std::string work_dir(const char* tag, const Snapshot* s) {
  std::string d = locus::qemutest::make_temp_dir(tag);
  assert_false(d.empty());
  assert_true(locus::qemutest::write_uds(d, kUds));
  if (s != nullptr)
    assert_true(locus::qemutest::copy_file(s->dir + "/flash.bin", d + "/flash.bin"));
  return d;
}

enum class Op { kInstallKey, kLicense };

// One power cut: on a copy of `base`, a board with cut=k (mode) runs `op`; the CPU must stop
// at flash operation k. Then the board boots again on the same flash: it must be RESTRICTED,
// and hold either the old state or the new one (nothing older, no lost counter).
void cut_once(const Snapshot& base, Op op, int k, const char* mode,
              const crypto::P256PrivateKey& vkey, const crypto::P256PublicKey& vpub,
              uint64_t old_counter) {
  const std::string d = work_dir("qemu-cut", &base);
  {
    QemuBoard b;
    assert_true(b.start(g_spec, d, {"cut=" + std::to_string(k), std::string("cut_mode=") + mode}));
    assert_true(b.wait_ready());
    assert_true(flash_ops(b) < k);  // the cut is still ahead: it falls inside `op`
    if (op == Op::kInstallKey) {
      (void)install_key(b, vpub, 1500);  // may go unanswered: the power is cut under it
    } else {
      (void)license(b, vkey, old_counter + 1, 60, 1500);
    }
    if (!b.wait_console("TEST power cut", 1, 20000)) {
      print_message("cut=%d %s: no power cut\n%s\n", k, mode, b.console().c_str());
      fail();
    }
    b.stop();
  }
  QemuBoard b;
  assert_true(b.start(g_spec, d));
  assert_true(b.wait_ready());
  proto::StatusInfo s;
  assert_true(status(b, &s));
  print_message("cut at flash op %d (%s): boot %u, key %d, license #%llu, mode 0x%02x\n", k, mode,
                static_cast<unsigned>(s.boot_count), s.has_verifier_key ? 1 : 0,
                static_cast<unsigned long long>(s.license_counter), s.mode);
  assert_int_equal(s.mode, proto::kModeRestricted);  // never FULL at boot
  assert_true(s.boot_count > base.boots);            // the journal kept at least the old record
  if (op == Op::kInstallKey) {
    assert_int_equal(s.license_counter, old_counter);  // old or new: both have this counter
  } else {
    assert_true(s.has_verifier_key);
    assert_true(s.license_counter == old_counter || s.license_counter == old_counter + 1);
  }
  b.stop();
  locus::qemutest::remove_dir(d);
}

// Power cuts at every flash erase/program of a verifier-key installation (on a board booted
// once, without a key) and of a license commit (on a board with the key and license #1): for
// each operation k, a cut with the operation torn (a program writes half its bytes) and, for
// the first operation of each commit, a cut before it starts. After each cut the board boots
// RESTRICTED with the old state or the new one: boot count above the snapshot's, the license
// counter not lower, the verifier key kept once installed.
void powercut(void**) {
  crypto::P256PrivateKey vkey;
  crypto::P256PublicKey vpub;
  verifier_key(&vkey, &vpub);

  // Snapshot 0: first boot on blank flash.
  Snapshot s0{work_dir("qemu-nor-s0", nullptr), 1};
  {
    QemuBoard b;
    assert_true(b.start(g_spec, s0.dir));
    assert_true(b.wait_ready());
    assert_true(b.console().find("TEST BUILD") != std::string::npos);
    b.stop();
  }
  // Dry run on a copy of snapshot 0: count the operations of boot, key installation and
  // license #1 (the counts only depend on the state, which is the same in every cut run).
  int boot_ops = 0, key_ops = 0, lic_ops = 0;
  Snapshot s1{work_dir("qemu-nor-s1", &s0), 2};
  {
    QemuBoard b;
    assert_true(b.start(g_spec, s1.dir));
    assert_true(b.wait_ready());
    boot_ops = flash_ops(b);
    assert_true(install_key(b, vpub, 30000));
    key_ops = flash_ops(b) - boot_ops;
    assert_true(license(b, vkey, 1, 60, 30000));
    lic_ops = flash_ops(b) - boot_ops - key_ops;
    proto::StatusInfo s;
    assert_true(status(b, &s));
    assert_int_equal(s.mode, proto::kModeFull);
    b.stop();
  }
  print_message("flash operations: boot %d, key installation %d, license commit %d\n", boot_ops,
                key_ops, lic_ops);
  assert_true(boot_ops > 0 && key_ops > 0 && lic_ops > 0);

  for (int k = boot_ops + 1; k <= boot_ops + key_ops; ++k) {
    cut_once(s0, Op::kInstallKey, k, "torn", vkey, vpub, 0);
    if (k == boot_ops + 1) cut_once(s0, Op::kInstallKey, k, "before", vkey, vpub, 0);
  }
  // On snapshot 1 the board boots (boot_ops writes), then evidence (no writes), license #2.
  for (int k = boot_ops + 1; k <= boot_ops + lic_ops; ++k) {
    cut_once(s1, Op::kLicense, k, "torn", vkey, vpub, 1);
    if (k == boot_ops + 1) cut_once(s1, Op::kLicense, k, "before", vkey, vpub, 1);
  }
  locus::qemutest::remove_dir(s0.dir);
  locus::qemutest::remove_dir(s1.dir);
}

// The firmware stops servicing its watchdog once FULL (test hook stall=full): it stops
// answering, the AST1030 watchdog resets the SoC (the console shows a second boot), and the
// board comes back RESTRICTED with its state (boot count 2, license #1 kept). Running normally
// again, it keeps servicing the watchdog: no third boot over the next 10 s.
void watchdog(void**) {
  crypto::P256PrivateKey vkey;
  crypto::P256PublicKey vpub;
  verifier_key(&vkey, &vpub);
  const std::string d = work_dir("qemu-wdt", nullptr);
  QemuBoard b;
  assert_true(b.start(g_spec, d, {"stall=full"}));
  assert_true(b.wait_ready());
  assert_true(b.console().find("watchdog: armed") != std::string::npos);
  assert_true(install_key(b, vpub, 30000));
  assert_true(license(b, vkey, 1, 600, 30000));
  assert_true(b.wait_console("TEST: main loop stalled", 1, 10000));
  proto::StatusInfo s;
  assert_false(status(b, &s, 2000));  // stalled: no answer
  // Watchdog 8 s (plus a loaded host's slack): a second boot, bounded at 40 s.
  assert_true(b.wait_console("boot: ready", 2, 40000));
  bool answered = false;
  for (int i = 0; i < 10 && !answered; ++i) answered = status(b, &s, 3000);
  assert_true(answered);
  assert_int_equal(s.mode, proto::kModeRestricted);
  assert_int_equal(s.boot_count, 2);
  assert_int_equal(s.license_counter, 1);
  assert_true(s.has_verifier_key);
  const int64_t until = static_cast<int64_t>(time(nullptr)) + 10;
  while (static_cast<int64_t>(time(nullptr)) < until) {
    assert_true(status(b, &s, 5000));
    assert_int_equal(s.boot_count, 2);
    struct timespec ts = {0, 500L * 1000 * 1000};
    nanosleep(&ts, nullptr);  // sampling interval over a fixed window, not a readiness wait
  }
  assert_int_equal(count(b.console(), "boot: ready"), 2);
  b.stop();
  locus::qemutest::remove_dir(d);
}

// Splices flash images: bytes [0, n) from `from`, the rest from `to` (written to `to`).
void splice_head(const std::string& from, const std::string& to, size_t n) {
  FILE* a = fopen(from.c_str(), "rb");
  FILE* b = fopen(to.c_str(), "r+b");
  assert_non_null(a);
  assert_non_null(b);
  std::vector<uint8_t> head(n);
  assert_int_equal(fread(head.data(), 1, n, a), n);
  assert_int_equal(fwrite(head.data(), 1, n, b), n);
  fclose(a);
  assert_int_equal(fclose(b), 0);
}

// Rollback from outside: the journal sectors (flash 0..8 KiB) of a dump taken at license #1
// are written back over a board that has since committed license #2, the write-once region
// kept (an attacker rewriting the flash can restore the journal; on hardware the write-once
// region is OTP). A whole older journal is authentic (the board wrote it), so the board may
// come back with the older counter (DESIGN §5a: a rollback "can at most lower the stored
// counter"), but it must come back RESTRICTED and provisioned, and the license of that time,
// held back by the attacker, must not work: it answers a board nonce that never recurs.
// (The verifier refuses evidence whose counter is below one the board reported before.)
void rollback(void**) {
  crypto::P256PrivateKey vkey;
  crypto::P256PublicKey vpub;
  verifier_key(&vkey, &vpub);
  const std::string d = work_dir("qemu-rollback", nullptr);
  std::vector<uint8_t> held;  // license #2, kept by the attacker, never applied
  {
    QemuBoard b;
    assert_true(b.start(g_spec, d));
    assert_true(b.wait_ready());
    assert_true(install_key(b, vpub, 30000));
    assert_true(license(b, vkey, 1, 600, 30000));
    b.stop();
  }
  assert_true(locus::qemutest::copy_file(d + "/flash.bin", d + "/flash-at-1.bin"));
  {
    QemuBoard b;
    assert_true(b.start(g_spec, d));
    assert_true(b.wait_ready());
    assert_true(license(b, vkey, 2, 600, 30000));
    // The attacker asks for evidence once more and keeps the license for it.
    proto::Ueid ueid{};
    proto::Fwid fwid{};
    identity(b, &ueid, &fwid);
    const std::vector<uint8_t> nonce = nonce_for(77);
    proto::GetEvidenceRequest req;
    req.nonce = ByteSpan(nonce.data(), nonce.size());
    Reply r;
    assert_true(b.request(proto::kMsgGetEvidence, encode(req), &r));
    proto::EvidenceResponse ev;
    assert_true(proto::decode_body(ByteSpan(r.body.data(), r.body.size()), &ev).ok());
    held = locus_test::sign_full_license(vkey, ueid, nonce,
                                         locus_test::evidence_board_nonce(std::vector<uint8_t>(
                                             ev.cose_sign1.begin(), ev.cose_sign1.end())),
                                         3, 600, fwid, "qemu-lab");
    b.stop();
  }
  splice_head(d + "/flash-at-1.bin", d + "/flash.bin", 8192);
  QemuBoard b;
  assert_true(b.start(g_spec, d));
  proto::StatusInfo s;
  assert_true(status(b, &s));
  print_message("after the journal rollback: license #%llu, mode 0x%02x, storage %u\n",
                static_cast<unsigned long long>(s.license_counter), s.mode, s.storage);
  assert_int_equal(s.mode, proto::kModeRestricted);
  assert_true(s.has_verifier_key);  // still provisioned: never blank
  proto::ApplyLicenseRequest al;
  al.cose_sign1 = ByteSpan(held.data(), held.size());
  Reply r;
  assert_true(b.request(proto::kMsgApplyLicense, encode(al), &r));
  assert_int_equal(r.type, proto::kMsgError);
  assert_int_equal(r.error_code,
                   0x060B);  // FirmwareError::kLicenseNoEvidence: no board nonce pending
  assert_true(status(b, &s));
  assert_int_equal(s.mode, proto::kModeRestricted);
  b.stop();
  locus::qemutest::remove_dir(d);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s powercut|rollback|watchdog <test image.elf>\n", argv[0]);
    return 2;
  }
  g_spec.machine = "ast1030-evb";
  g_spec.image = argv[2];
  const std::string which = argv[1];
  if (which == "powercut") {
    const struct CMUnitTest tests[] = {cmocka_unit_test(powercut)};
    return cmocka_run_group_tests(tests, nullptr, nullptr);
  }
  if (which == "rollback") {
    const struct CMUnitTest tests[] = {cmocka_unit_test(rollback)};
    return cmocka_run_group_tests(tests, nullptr, nullptr);
  }
  if (which == "watchdog") {
    const struct CMUnitTest tests[] = {cmocka_unit_test(watchdog)};
    return cmocka_run_group_tests(tests, nullptr, nullptr);
  }
  fprintf(stderr, "unknown scenario '%s'\n", which.c_str());
  return 2;
}
