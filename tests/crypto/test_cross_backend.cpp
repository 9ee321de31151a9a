// Cross-backend interop (crypto_cross_<from>_to_<to>): runs crypto_vectors_<from> (path in
// argv[1]) and checks every line with the backend this test is linked with: the public key
// of d, the signature verifies (and fails for a changed message or signature), signing again
// gives the identical RFC 6979 signature, and ECDH, HMAC, HKDF and SHA-256 give the same bytes.
#include <stdio.h>
#include <sys/wait.h>

#include <sstream>
#include <string>

#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

const char* g_tool = nullptr;
constexpr long kLines = 32;

std::vector<uint8_t> field(const std::string& f) {
  return f == "-" ? std::vector<uint8_t>() : hex(f.c_str());
}

// Runs the other backend's tool; returns its stdout (bounded) and exit status.
std::string run_tool(int* status) {
  const std::string cmd = std::string("'") + g_tool + "' " + std::to_string(kLines);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) fail_msg("cannot run %s", g_tool);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    out.append(buf, n);
    if (out.size() > (4u << 20)) fail_msg("%s printed more than 4 MiB", g_tool);
  }
  *status = pclose(p);
  return out;
}

void vectors_from_other_backend_check_here(void**) {
  int status = -1;
  const std::string out = run_tool(&status);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::istringstream lines(out);
  std::string line;
  long count = 0;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::string f[9];
    for (std::string& s : f) {
      if (!(in >> s)) fail_msg("line %ld: fewer than 9 fields", count);
    }
    P256PrivateKey d;
    P256PublicKey want_pub, pub2;
    P256Signature sig;
    const auto dv = field(f[0]), pv = field(f[1]), msg = field(f[2]), sv = field(f[3]),
               p2 = field(f[4]);
    assert_int_equal(dv.size(), 32);
    assert_int_equal(pv.size(), 65);
    assert_int_equal(sv.size(), 64);
    assert_int_equal(p2.size(), 65);
    memcpy(d.d.data(), dv.data(), 32);
    memcpy(want_pub.q.data(), pv.data(), 65);
    memcpy(sig.rs.data(), sv.data(), 64);
    memcpy(pub2.q.data(), p2.data(), 65);

    P256PublicKey pub;
    ASSERT_OK(p256_public_key(d, &pub));
    assert_bytes_equal(pub.q, want_pub.q);
    const ByteSpan m(msg.data(), msg.size());
    ASSERT_OK(ecdsa_verify(pub, m, sig));
    P256Signature mine;
    ASSERT_OK(ecdsa_sign(d, m, &mine));
    assert_bytes_equal(mine.rs, sig.rs);
    P256Signature bad = sig;
    bad.rs[static_cast<size_t>(count) % 64] ^= 0x01;
    ASSERT_ERR(ecdsa_verify(pub, m, bad), CryptoError::kBadSignature);
    std::vector<uint8_t> msg2 = msg;
    msg2.push_back(0x00);
    ASSERT_ERR(ecdsa_verify(pub, ByteSpan(msg2.data(), msg2.size()), sig),
               CryptoError::kBadSignature);

    std::array<uint8_t, 32> z{};
    ASSERT_OK(ecdh_p256(d, pub2, &z));
    assert_bytes_equal(z, field(f[5]));
    Digest mac{}, h{};
    ASSERT_OK(hmac_sha256(d.d, m, &mac));
    assert_bytes_equal(mac, field(f[6]));
    std::vector<uint8_t> okm(40);
    const uint8_t x = 'x';
    ASSERT_OK(hkdf_sha256(d.d, m, ByteSpan(&x, 1), MutByteSpan(okm.data(), okm.size())));
    assert_bytes_equal(okm, field(f[7]));
    ASSERT_OK(sha256(m, &h));
    assert_bytes_equal(h, field(f[8]));
    ++count;
  }
  assert_int_equal(count, kLines);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <crypto_vectors binary of the other backend>\n", argv[0]);
    return 2;
  }
  g_tool = argv[1];
  const struct CMUnitTest tests[] = {cmocka_unit_test(vectors_from_other_backend_check_here)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
