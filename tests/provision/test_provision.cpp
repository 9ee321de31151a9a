// Provisioning units: CA and license key files, PEM round trips, CSR checks, batch files.
#include <sys/stat.h>

#include <cstring>
#include <string>

#include "cli.h"
#include "locus/certs/certs.h"
#include "locus/common/keys.h"
#include "locus/crypto/x509.h"
#include "locus/provision/provision.h"
#include "locus_test/testproc.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;

namespace {

std::string g_dir;
std::string P(const std::string& n) {
  return g_dir + "/" + n;
}

unsigned mode_of(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// init-ca writes a 0600 key and a self-signed CA certificate that load_ca accepts; a second
// run refuses (kExists, message says --force) and leaves the files untouched; --force replaces.
void test_init_ca(void**) {
  provision::CaFiles f{P("ca.key"), P("ca.pem")};
  assert_true(provision::init_ca(f, "CN=Test Root,O=locus", false).ok());
  assert_int_equal(mode_of(f.key_path), 0600);
  auto ca = provision::load_ca(f);
  if (!ca.ok()) fail_msg("%s", ca.message().c_str());
  assert_true(ca.value().cert.is_ca);
  assert_true(
      certs::verify_signed_by(ca.value().cert, ca.value().cert.pub, ca.value().cert.subject_raw)
          .ok());
  std::string before = host::read_text_file(f.key_path).value();
  auto again = provision::init_ca(f, "CN=Other", false);
  assert_false(again.ok());
  assert_int_equal(again.code().code(), locus::Status(host::HostError::kExists).code());
  assert_non_null(strstr(again.message().c_str(), "--force"));
  assert_string_equal(host::read_text_file(f.key_path).value().c_str(), before.c_str());
  assert_true(provision::init_ca(f, "CN=Other", true).ok());
  assert_true(host::read_text_file(f.key_path).value() != before);
  assert_int_equal(mode_of(f.key_path), 0600);
}

// A CA key that does not match the certificate is refused by load_ca.
void test_ca_mismatch(void**) {
  assert_true(provision::init_ca({P("a.key"), P("a.pem")}, "CN=A", false).ok());
  assert_true(provision::init_ca({P("b.key"), P("b.pem")}, "CN=B", false).ok());
  auto r = provision::load_ca({P("a.key"), P("b.pem")});
  assert_false(r.ok());
  assert_non_null(strstr(r.message().c_str(), "does not match"));
}

// License key: 0600 private key; the public key loads from either file and agrees.
void test_license_key(void**) {
  assert_true(provision::init_license_key(P("lk.key"), P("lk.pub"), false).ok());
  assert_int_equal(mode_of(P("lk.key")), 0600);
  crypto::P256PublicKey a, b;
  assert_true(provision::load_license_public(P("lk.key"), &a).ok());
  assert_true(provision::load_license_public(P("lk.pub"), &b).ok());
  assert_memory_equal(a.q.data(), b.q.data(), 65);
  assert_false(provision::init_license_key(P("lk.key"), P("lk.pub"), false).ok());
}

// A corrupted private key PEM is refused (no partial key).
void test_bad_key_pem(void**) {
  crypto::P256PrivateKey k;
  assert_false(host::private_key_from_pem(
                   "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", &k)
                   .ok());
  assert_false(host::private_key_from_pem("garbage", &k).ok());
}

// CSR: a good one parses with a valid self-signature; one flipped byte in the signature
// makes signature_ok false (or the parse fail); truncation is refused.
void test_csr(void**) {
  crypto::P256PrivateKey key;
  const uint8_t seed[] = {1, 2, 3};
  assert_true(crypto::p256_derive_key(seed, seed, &key).ok());
  uint8_t der[1024];
  size_t n = 0;
  assert_true(crypto::x509_write_csr(key, "CN=locus DeviceID,serialNumber=01ab",
                                     MutByteSpan(der, sizeof der), &n)
                  .ok());
  auto good = certs::parse_csr(ByteSpan(der, n));
  assert_true(good.ok());
  assert_true(good.value().signature_ok);
  assert_non_null(strstr(good.value().subject.c_str(), "serialNumber=01ab"));
  host::Bytes bad(der, der + n);
  bad[n - 5] ^= 0x01;  // inside the signature
  auto b = certs::parse_csr(bad);
  assert_true(!b.ok() || !b.value().signature_ok);
  assert_false(certs::parse_csr(ByteSpan(der, n - 1)).ok());
}

// Batch files: whitespace and CSV forms, comments, header; errors name file:line.
void test_parse_batch(void**) {
  auto r = provision::parse_batch(
      "# boards\nlink,site,host,hwmodel\n"
      "tcp:127.0.0.1:4000 sg-1 rack1   # first\n"
      "tcp:127.0.0.1:4001,sg-2,rack2,locus-host-sim\n\n",
      "b.txt");
  assert_true(r.ok());
  assert_int_equal(r.value().size(), 2);
  assert_string_equal(r.value()[1].site.c_str(), "sg-2");
  assert_string_equal(r.value()[1].hwmodel.c_str(), "locus-host-sim");
  auto e = provision::parse_batch("tcp:127.0.0.1:1 sg-1 h\nudp:1 x y\n", "b.txt");
  assert_false(e.ok());
  assert_non_null(strstr(e.message().c_str(), "b.txt:2"));
  auto e2 = provision::parse_batch("tcp:127.0.0.1:1 onlysite\n", "c.txt");
  assert_non_null(strstr(e2.message().c_str(), "c.txt:1"));
  assert_false(provision::parse_batch("# nothing\n", "d.txt").ok());
}

// Enrolling over an unreachable link fails with a network error and registers nothing.
void test_enroll_unreachable(void**) {
  assert_true(provision::init_ca({P("u.key"), P("u.pem")}, "CN=U", false).ok());
  auto ca = provision::load_ca({P("u.key"), P("u.pem")});
  auto reg = registry::open_sqlite(P("u.db"));
  crypto::P256PublicKey lpub;
  assert_true(provision::load_license_public(P("lk.pub"), &lpub).ok());
  int port = host::test::free_port();
  provision::EnrollOptions o{"tcp:127.0.0.1:" + std::to_string(port), "sg-1", "h1", ""};
  auto r = provision::enroll(o, ca.value(), lpub, reg.value().get(), nullptr);
  assert_false(r.ok());
  assert_int_equal(cli::exit_code_for(r.code()), 4);
  assert_int_equal(reg.value()->list_devices().value().size(), 0);
  provision::EnrollOptions bad{"serial:/dev/ttyS0", "sg-1", "h1", ""};
  assert_int_equal(cli::exit_code_for(
                       provision::enroll(bad, ca.value(), lpub, reg.value().get(), nullptr).code()),
                   2);
}

}  // namespace

int main() {
  g_dir = host::test::make_temp_dir("locus-provision-");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_init_ca),
      cmocka_unit_test(test_ca_mismatch),
      cmocka_unit_test(test_license_key),
      cmocka_unit_test(test_bad_key_pem),
      cmocka_unit_test(test_csr),
      cmocka_unit_test(test_parse_batch),
      cmocka_unit_test(test_enroll_unreachable),
  };
  int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  host::test::remove_tree(g_dir);
  return rc;
}
