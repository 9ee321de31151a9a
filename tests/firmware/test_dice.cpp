// DICE layer: derivation matches the documented formulas, is deterministic, the Alias key
// follows the FWID and the DeviceID key does not, UDS/CDI buffers are wiped, the Alias
// certificate carries TcbInfo and names the DeviceID subject as issuer, the CSR is valid.
#include <string.h>

#include <string>

#include "harness.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/x509.h"
#ifndef LOCUS_FIRMWARE
#include "locus/crypto/x509_host.h"  // host only: the firmware's mbed TLS parses no X.509
#endif
#include "locus/firmware/dice.h"
#include "locus_test/cmocka.h"

using locus::ByteSpan;
using locus::MutByteSpan;
using locus::Status;
using locus::firmware::dice_derive;
using locus::firmware::DiceIdentity;
using locus::firmware::DiceSecrets;
namespace crypto = locus::crypto;

namespace {

DiceIdentity g_a, g_b;

bool all_zero(const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

// The keys are exactly p256_derive_key(UDS, "locus DeviceID v1") and
// p256_derive_key(HMAC-SHA256(UDS, FWID), "locus Alias v1"); UEID = 0x01 || SHA-256(pub).
void test_matches_formulas(void**) {
  fake::reset_board(3, 4);
  DiceSecrets s{};
  assert_true(dice_derive(1, &s, &g_a).ok());
  crypto::P256PrivateKey dev, alias;
  const char dl[] = "locus DeviceID v1";
  const char al[] = "locus Alias v1";
  assert_true(crypto::p256_derive_key(ByteSpan(fake::board().uds, 32),
                                      ByteSpan(reinterpret_cast<const uint8_t*>(dl), strlen(dl)),
                                      &dev)
                  .ok());
  crypto::Digest cdi;
  assert_true(
      crypto::hmac_sha256(ByteSpan(fake::board().uds, 32), ByteSpan(fake::board().fwid, 32), &cdi)
          .ok());
  assert_true(crypto::p256_derive_key(ByteSpan(cdi.data(), 32),
                                      ByteSpan(reinterpret_cast<const uint8_t*>(al), strlen(al)),
                                      &alias)
                  .ok());
  assert_memory_equal(dev.d.data(), g_a.devid_priv.d.data(), 32);
  assert_memory_equal(alias.d.data(), g_a.alias_priv.d.data(), 32);
  crypto::Digest h;
  assert_true(crypto::sha256(ByteSpan(g_a.devid_pub.q.data(), 65), &h).ok());
  assert_int_equal(g_a.ueid[0], 0x01);
  assert_memory_equal(g_a.ueid + 1, h.data(), 32);
  assert_memory_equal(g_a.fwid, fake::board().fwid, 32);
}

// Same UDS and image twice -> identical keys, UEID and Alias certificate.
void test_deterministic(void**) {
  fake::reset_board(3, 4);
  DiceSecrets s{};
  assert_true(dice_derive(1, &s, &g_a).ok());
  assert_true(dice_derive(1, &s, &g_b).ok());
  assert_memory_equal(g_a.devid_priv.d.data(), g_b.devid_priv.d.data(), 32);
  assert_memory_equal(g_a.alias_priv.d.data(), g_b.alias_priv.d.data(), 32);
  assert_memory_equal(g_a.ueid, g_b.ueid, 33);
  assert_int_equal(g_a.alias_cert_len, g_b.alias_cert_len);
  assert_memory_equal(g_a.alias_cert, g_b.alias_cert, g_a.alias_cert_len);
}

// Another image (FWID) -> another Alias key, same DeviceID key and UEID.
// Another UDS -> another DeviceID key.
void test_alias_follows_fwid(void**) {
  DiceSecrets s{};
  fake::reset_board(3, 4);
  assert_true(dice_derive(1, &s, &g_a).ok());
  fake::reset_board(3, 5);
  assert_true(dice_derive(1, &s, &g_b).ok());
  assert_memory_equal(g_a.devid_pub.q.data(), g_b.devid_pub.q.data(), 65);
  assert_memory_equal(g_a.ueid, g_b.ueid, 33);
  assert_memory_not_equal(g_a.alias_pub.q.data(), g_b.alias_pub.q.data(), 65);
  fake::reset_board(9, 4);
  assert_true(dice_derive(1, &s, &g_b).ok());
  assert_memory_not_equal(g_a.devid_pub.q.data(), g_b.devid_pub.q.data(), 65);
}

// The UDS and CDI buffers are zero after derivation (filled with a pattern before), also
// when the derivation fails (the UDS cannot be read); the keys are then wiped too.
void test_secrets_wiped(void**) {
  fake::reset_board(3, 4);
  DiceSecrets s{};
  memset(&s, 0xA5, sizeof(s));
  assert_true(dice_derive(1, &s, &g_a).ok());
  assert_true(all_zero(&s, sizeof(s)));
  // The core's own buffers after a boot.
  assert_true(th::boot().ok());
  fake::board().uds_fails = true;
  memset(&s, 0xA5, sizeof(s));
  assert_false(dice_derive(1, &s, &g_a).ok());
  assert_true(all_zero(&s, sizeof(s)));
  assert_true(all_zero(g_a.devid_priv.d.data(), 32));
  assert_true(all_zero(g_a.alias_priv.d.data(), 32));
}

// A board whose UDS cannot be read boots RESTRICTED and answers with kDiceFailed.
void test_boot_without_uds(void**) {
  fake::reset_board();
  fake::board().uds_fails = true;
  assert_int_equal(th::boot().code(), Status(locus::firmware::FirmwareError::kDiceFailed).code());
  assert_true(th::is_restricted());
  locus::protocol::StatusInfo st;
  assert_int_equal(th::status(&st).code(),
                   Status(locus::firmware::FirmwareError::kDiceFailed).code());
}

// The Alias certificate and the CSR are written (DER SEQUENCEs of plausible size), the
// DeviceID subject names the UEID, and a DeviceID certificate can be issued from the CSR's
// key. Runs on every board; the parsed checks below need the host's X.509 parser.
void test_alias_cert_and_csr_written(void**) {
  fake::reset_board(3, 4);
  DiceSecrets s{};
  assert_true(dice_derive(7, &s, &g_a).ok());
  assert_true(g_a.alias_cert_len > 200);
  assert_int_equal(g_a.alias_cert[0], 0x30);
  uint8_t csr[locus::firmware::kMaxCsr];
  size_t n = 0;
  assert_true(locus::firmware::dice_write_csr(g_a, MutByteSpan(csr, sizeof(csr)), &n).ok());
  assert_true(n > 100);
  assert_int_equal(csr[0], 0x30);
  char subj[128];
  assert_true(locus::firmware::dice_devid_subject(g_a, subj, sizeof(subj)));
  assert_non_null(strstr(subj, "locus DeviceID"));
  assert_non_null(strstr(subj, g_a.ueid_hex));
  // Deterministic (RFC 6979): the same board writes the same certificate again.
  DiceIdentity again;
  DiceSecrets s2{};
  assert_true(dice_derive(7, &s2, &again).ok());
  assert_int_equal(again.alias_cert_len, g_a.alias_cert_len);
  assert_memory_equal(again.alias_cert, g_a.alias_cert, g_a.alias_cert_len);
}

#ifndef LOCUS_FIRMWARE
// Alias certificate: issuer = DeviceID subject, subject names the UEID, signed by the
// DeviceID key, TcbInfo = {FWID, SVN}. The CSR is self-signed with the DeviceID subject.
void test_alias_cert_and_csr(void**) {
  fake::reset_board(3, 4);
  DiceSecrets s{};
  assert_true(dice_derive(7, &s, &g_a).ok());
  crypto::Certificate c;
  assert_true(c.parse(ByteSpan(g_a.alias_cert, g_a.alias_cert_len)).ok());
  const std::string hex = g_a.ueid_hex;
  assert_true(c.issuer().find("locus DeviceID") != std::string::npos);
  assert_true(c.issuer().find(hex) != std::string::npos);
  assert_true(c.subject().find("locus Alias") != std::string::npos);
  assert_false(c.is_ca());
  crypto::P256PublicKey pub;
  assert_true(c.public_key(&pub).ok());
  assert_memory_equal(pub.q.data(), g_a.alias_pub.q.data(), 65);
  crypto::TcbInfo tcb;
  assert_true(c.tcb_info(&tcb).ok());
  assert_memory_equal(tcb.fwid.data(), fake::board().fwid, 32);
  assert_int_equal(tcb.svn, 7);
  uint8_t csr[locus::firmware::kMaxCsr];
  size_t n = 0;
  assert_true(locus::firmware::dice_write_csr(g_a, MutByteSpan(csr, sizeof(csr)), &n).ok());
  crypto::CsrInfo info;
  assert_true(crypto::x509_parse_csr(ByteSpan(csr, n), &info).ok());
  assert_memory_equal(info.public_key.q.data(), g_a.devid_pub.q.data(), 65);
  assert_true(info.subject.find(hex) != std::string::npos);
  assert_true(info.subject.find("locus DeviceID") != std::string::npos);
  // The Alias certificate verifies under a DeviceID certificate issued from the CSR.
  uint8_t devid_der[1024];
  size_t devid_len = 0;
  char subj[128];
  assert_true(locus::firmware::dice_devid_subject(g_a, subj, sizeof(subj)));
  crypto::CertSpec spec;
  spec.subject = subj;
  spec.issuer = subj;  // self-issued DeviceID cert as a test trust anchor
  const uint8_t serial[1] = {5};
  spec.serial = ByteSpan(serial, 1);
  spec.is_ca = true;
  spec.max_path_len = 0;
  assert_true(crypto::x509_issue(spec, g_a.devid_pub, g_a.devid_priv,
                                 MutByteSpan(devid_der, sizeof(devid_der)), &devid_len)
                  .ok());
  const std::vector<crypto::Bytes> chain = {
      crypto::Bytes(g_a.alias_cert, g_a.alias_cert + g_a.alias_cert_len)};
  const std::vector<crypto::Bytes> roots = {crypto::Bytes(devid_der, devid_der + devid_len)};
  assert_true(crypto::x509_verify_chain(chain, roots, crypto::ChainProfile::kLocusP256).ok());
}
#endif

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_formulas),   cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_alias_follows_fwid), cmocka_unit_test(test_secrets_wiped),
      cmocka_unit_test(test_boot_without_uds),   cmocka_unit_test(test_alias_cert_and_csr_written),
#ifndef LOCUS_FIRMWARE
      cmocka_unit_test(test_alias_cert_and_csr),
#endif
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
