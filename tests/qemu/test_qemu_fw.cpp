// The unchanged firmware core on a QEMU Cortex-M4 board, driven over its UART with the wire
// protocol: provisioning, evidence, license, FULL, lease expiry, and persistence across a
// restart of the emulated board on the same storage (ast1030-evb: its SPI NOR flash image;
// mps2-an386: the semihosting storage file), both started by scripts/qemu-board.
//
// Usage (CTest): test_qemu_fw <machine> <image.elf> <uds address>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <string>
#include <vector>

#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/messages.h"
#include "locus_test/license.h"
#include "qemu_board.h"

// cmocka.h last: it defines a skip() macro that clashes with cbor::Decoder::skip.
#include "locus_test/cmocka.h"

using locus::ByteSpan;
using locus::MutByteSpan;
namespace crypto = locus::crypto;
namespace cose = locus::cose;
namespace proto = locus::protocol;
using locus::qemutest::BoardSpec;
using locus::qemutest::QemuBoard;
using locus::qemutest::Reply;

namespace {

BoardSpec g_spec;

using locus::qemutest::encode;
using locus::qemutest::now_ms;
using locus::qemutest::null_body;

proto::StatusInfo get_status(QemuBoard& b) {
  proto::StatusInfo st;
  assert_true(locus::qemutest::get_status(b, &st, 30000));
  return st;
}

void derive(const char* seed, crypto::P256PrivateKey* k, crypto::P256PublicKey* pub) {
  assert_true(locus::qemutest::derive_key(seed, k, pub));
}

std::vector<uint8_t> fresh_nonce(uint8_t tag) {
  std::vector<uint8_t> n(32);
  for (size_t i = 0; i < n.size(); ++i)
    n[i] = static_cast<uint8_t>(static_cast<size_t>(tag) * 31 + i * 7 + (now_ms() & 0xFF));
  return n;
}

// Evidence for nonce: a COSE_Sign1 whose EAT carries the nonce and the given mode.
// Fetches evidence for nonce, checks it, and returns its board nonce (claim -70006).
proto::BoardNonce get_evidence(QemuBoard& b, const std::vector<uint8_t>& nonce, uint8_t want_mode) {
  proto::GetEvidenceRequest req;
  req.nonce = ByteSpan(nonce.data(), nonce.size());
  Reply r;
  assert_true(b.request(proto::kMsgGetEvidence, encode(req), &r));
  assert_int_equal(r.type, proto::response_type(proto::kMsgGetEvidence));
  proto::EvidenceResponse ev;
  assert_true(proto::decode_body(ByteSpan(r.body.data(), r.body.size()), &ev).ok());
  cose::Sign1View view;
  assert_true(cose::sign1_decode(ev.cose_sign1, &view).ok());
  assert_int_equal(view.x5chain_len, 1);
  proto::EatClaims claims;
  assert_true(proto::decode_claims(view.payload, &claims).ok());
  assert_int_equal(claims.nonce.size, nonce.size());
  assert_memory_equal(claims.nonce.data, nonce.data(), nonce.size());
  assert_int_equal(claims.mode, want_mode);
  return claims.board_nonce;
}

// Full life cycle on one board: first boot on blank storage; the host installs the verifier
// key and a DeviceID certificate, fetches evidence and applies a 2 s license: the board goes
// FULL, then drops to RESTRICTED by itself when the lease ends. After QEMU is restarted on the
// same storage file, boot_count is 2 and the license counter, the verifier key and the
// DeviceID certificate are still there; the old license (stale nonce) is refused and the
// board stays RESTRICTED.
void lifecycle_and_persistence(void**) {
  const std::string dir = locus::qemutest::make_temp_dir("qemu-fw");
  assert_false(dir.empty());
  uint8_t uds[32];
  for (size_t i = 0; i < sizeof(uds); ++i) uds[i] = static_cast<uint8_t>(0xA0 ^ (i * 13));
  assert_true(locus::qemutest::write_uds(dir, uds));

  crypto::P256PrivateKey vkey, ca_key;
  crypto::P256PublicKey vpub, ca_pub;
  derive("verifier", &vkey, &vpub);
  derive("manufacturer-ca", &ca_key, &ca_pub);

  proto::Ueid ueid{};
  proto::Fwid fwid{};
  std::vector<uint8_t> cert;
  std::vector<uint8_t> first_license;
  {
    QemuBoard b;
    assert_true(b.start(g_spec, dir));
    assert_true(b.wait_ready());
    proto::StatusInfo s = get_status(b);
    assert_int_equal(s.mode, proto::kModeRestricted);
    assert_int_equal(s.boot_count, 1);
    assert_false(s.has_verifier_key);

    Reply r;
    assert_true(b.request(proto::kMsgGetIdentity, null_body(), &r));
    assert_int_equal(r.type, proto::response_type(proto::kMsgGetIdentity));
    proto::IdentityResponse id;
    assert_true(proto::decode_body(ByteSpan(r.body.data(), r.body.size()), &id).ok());
    ueid = id.ueid;
    fwid = id.fwid;
    assert_int_equal(id.devid_cert.size, 0);

    // Manufacturer CA certifies the DeviceID key (from the identity response).
    crypto::P256PublicKey devid_pub;
    devid_pub.q = id.devid_pub;
    crypto::CertSpec spec;
    spec.subject = "CN=locus DeviceID,O=locus qemu test";
    spec.issuer = "CN=locus test manufacturer CA";
    const uint8_t serial[1] = {7};
    spec.serial = ByteSpan(serial);
    cert.resize(1536);
    size_t clen = 0;
    assert_true(
        crypto::x509_issue(spec, devid_pub, ca_key, MutByteSpan(cert.data(), cert.size()), &clen)
            .ok());
    cert.resize(clen);
    proto::InstallDevidCertRequest ic;
    ic.cert = ByteSpan(cert.data(), cert.size());
    assert_true(b.request(proto::kMsgInstallDevidCert, encode(ic), &r));
    assert_int_equal(r.type, proto::response_type(proto::kMsgInstallDevidCert));

    proto::InstallVerifierKeyRequest ik;
    ik.key = vpub.q;
    assert_true(b.request(proto::kMsgInstallVerifierKey, encode(ik), &r));
    assert_int_equal(r.type, proto::response_type(proto::kMsgInstallVerifierKey));

    const std::vector<uint8_t> nonce = fresh_nonce(1);
    const proto::BoardNonce bn = get_evidence(b, nonce, proto::kModeRestricted);

    first_license = locus_test::sign_full_license(vkey, ueid, nonce, bn, 1, 2, fwid, "qemu-lab");
    proto::ApplyLicenseRequest al;
    al.cose_sign1 = ByteSpan(first_license.data(), first_license.size());
    assert_true(b.request(proto::kMsgApplyLicense, encode(al), &r));
    assert_int_equal(r.type, proto::response_type(proto::kMsgApplyLicense));
    proto::ApplyLicenseResponse ar;
    assert_true(proto::decode_body(ByteSpan(r.body.data(), r.body.size()), &ar).ok());
    assert_int_equal(ar.status.mode, proto::kModeFull);
    assert_int_equal(ar.status.license_counter, 1);
    assert_true(ar.status.lease_remaining_ms > 0 && ar.status.lease_remaining_ms <= 2000);

    // The lease runs out on the board's own clock: poll (bounded) until RESTRICTED.
    const int64_t t0 = now_ms();
    bool restricted = false;
    for (int i = 0; i < 200 && now_ms() - t0 < 15000; ++i) {
      s = get_status(b);
      if (s.mode == proto::kModeRestricted) {
        restricted = true;
        break;
      }
      assert_true(s.lease_remaining_ms <= 2000);
      struct timespec ts = {0, 100L * 1000 * 1000};
      nanosleep(&ts, nullptr);  // polling interval, not a readiness wait
    }
    assert_true(restricted);
    assert_true(now_ms() - t0 >= 500);  // it did not drop at once
    assert_int_equal(s.lease_remaining_ms, 0);
    // The boot log (semihosting console) says the board is an emulation, and the lease end
    // was logged by the board's interconnect driver.
    const std::string log = b.console();
    assert_true(log.find("EMULATION ONLY") != std::string::npos);
    assert_true(log.find("interconnect: FULL") != std::string::npos);
    assert_true(log.find("interconnect: RESTRICTED (400 GB/s)") != std::string::npos);
    b.stop();
  }
  if (g_spec.machine == "ast1030-evb") {
    // On the AST1030 the journal lives in the SPI NOR flash image (-drive if=mtd), not in a
    // semihosting file: the storage sectors (flash offsets 0..8 KiB) hold records, and no
    // storage file exists.
    FILE* f = fopen((dir + "/flash.bin").c_str(), "rb");
    assert_non_null(f);
    std::vector<uint8_t> head(8192, 0xFF);
    assert_int_equal(fread(head.data(), 1, head.size(), f), head.size());
    fclose(f);
    size_t programmed = 0;
    for (uint8_t v : head) programmed += static_cast<unsigned long>(v != 0xFF);
    assert_true(programmed > 64);
    FILE* st = fopen((dir + "/locus-storage.bin").c_str(), "rb");
    assert_null(st);
    st = fopen((dir + "/storage.bin").c_str(), "rb");
    assert_null(st);
  }
  {
    QemuBoard b;
    assert_true(b.start(g_spec, dir));
    assert_true(b.wait_ready());
    const proto::StatusInfo s = get_status(b);
    assert_int_equal(s.mode, proto::kModeRestricted);
    assert_int_equal(s.boot_count, 2);
    assert_int_equal(s.license_counter, 1);
    assert_true(s.has_devid_cert);
    assert_true(s.has_verifier_key);

    Reply r;
    assert_true(b.request(proto::kMsgGetIdentity, null_body(), &r));
    proto::IdentityResponse id;
    assert_true(proto::decode_body(ByteSpan(r.body.data(), r.body.size()), &id).ok());
    assert_memory_equal(id.ueid.data(), ueid.data(), ueid.size());
    assert_int_equal(id.devid_cert.size, cert.size());
    assert_memory_equal(id.devid_cert.data, cert.data(), cert.size());

    // Replaying the first license after the reboot is refused; the board stays RESTRICTED.
    proto::ApplyLicenseRequest al;
    al.cose_sign1 = ByteSpan(first_license.data(), first_license.size());
    assert_true(b.request(proto::kMsgApplyLicense, encode(al), &r));
    assert_int_equal(r.type, proto::kMsgError);
    assert_int_not_equal(r.error_code, 0);
    assert_int_equal(get_status(b).mode, proto::kModeRestricted);
    b.stop();
  }
  locus::qemutest::remove_dir(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <machine> <image.elf> <uds address>\n", argv[0]);
    return 2;
  }
  g_spec.machine = argv[1];
  g_spec.image = argv[2];
  g_spec.uds_addr = static_cast<uint32_t>(strtoul(argv[3], nullptr, 0));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lifecycle_and_persistence),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
