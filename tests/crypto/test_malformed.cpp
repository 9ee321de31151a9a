// Wycheproof-style rejection cases for locus/crypto/p256.h and hash.h, written out here and
// built against each backend (crypto_malformed_mbedtls, crypto_malformed_openssl): both must
// give exactly the same answers, errors included. Starts from the RFC 6979 A.2.5 key and its
// published signature over "sample", so that every case is a small, named change of a valid
// input.
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

constexpr const char* kD = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
constexpr const char* kUx = "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6";
constexpr const char* kUy = "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";
constexpr const char* kR = "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716";
constexpr const char* kS = "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
// Curve constants (SEC 2 / FIPS 186-4 D.1.2.3).
constexpr const char* kN = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
constexpr const char* kP = "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF";
constexpr const char* kGx = "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296";
constexpr const char* kGy = "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5";

P256PublicKey point(const char* x, const char* y, uint8_t prefix = 0x04) {
  P256PublicKey q;
  q.q[0] = prefix;
  memcpy(q.q.data() + 1, hex(x).data(), 32);
  memcpy(q.q.data() + 33, hex(y).data(), 32);
  return q;
}
P256Signature sig_of(const char* r, const char* s) {
  P256Signature sig;
  memcpy(sig.rs.data(), hex(r).data(), 32);
  memcpy(sig.rs.data() + 32, hex(s).data(), 32);
  return sig;
}
Digest digest_of(const char* msg) {
  Digest h{};
  const auto m = bytes(msg);
  assert_true(sha256(ByteSpan(m.data(), m.size()), &h).ok());
  return h;
}
// a - b for 32-byte big-endian a >= b.
std::vector<uint8_t> sub(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  std::vector<uint8_t> out(32);
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = a[i] - b[i] - borrow;
    borrow = static_cast<int>(d < 0);
    out[i] = static_cast<uint8_t>(d + (borrow != 0 ? 256 : 0));
  }
  return out;
}
std::string to_hex(const std::vector<uint8_t>& v) {
  static const char* k = "0123456789ABCDEF";
  std::string s;
  for (uint8_t b : v) {
    s.push_back(k[b >> 4]);
    s.push_back(k[b & 15]);
  }
  return s;
}

// The published signature verifies (the baseline every case below changes).
void baseline_verifies(void**) {
  ASSERT_OK(ecdsa_verify_digest(point(kUx, kUy), digest_of("sample"), sig_of(kR, kS)));
}

// r or s = 0, = n, = n + 1 is not a small change of a valid signature; r or s out of [1, n-1]
// must be refused as a bad signature, never as a crash or "valid".
void signature_scalars_out_of_range(void**) {
  const P256PublicKey q = point(kUx, kUy);
  const Digest h = digest_of("sample");
  const char* zero = "0000000000000000000000000000000000000000000000000000000000000000";
  const char* n_plus_1 = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632552";
  const char* ones = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
  const char* bad[] = {zero, kN, n_plus_1, ones};
  for (const char* v : bad) {
    ASSERT_ERR(ecdsa_verify_digest(q, h, sig_of(v, kS)), CryptoError::kBadSignature);
    ASSERT_ERR(ecdsa_verify_digest(q, h, sig_of(kR, v)), CryptoError::kBadSignature);
  }
  ASSERT_ERR(ecdsa_verify_digest(q, h, sig_of(zero, zero)), CryptoError::kBadSignature);
}

// s replaced by n - s is the other valid signature of the same (r, k) (ECDSA is malleable;
// locus does not enforce low-s): both backends accept it. r and s swapped, r or s with one
// bit changed, and r = s are refused.
void signature_variants(void**) {
  const P256PublicKey q = point(kUx, kUy);
  const Digest h = digest_of("sample");
  const std::string neg_s = to_hex(sub(hex(kN), hex(kS)));
  ASSERT_OK(ecdsa_verify_digest(q, h, sig_of(kR, neg_s.c_str())));
  ASSERT_ERR(ecdsa_verify_digest(q, h, sig_of(kS, kR)), CryptoError::kBadSignature);
  ASSERT_ERR(ecdsa_verify_digest(q, h, sig_of(kR, kR)), CryptoError::kBadSignature);
  for (size_t bit = 0; bit < 512; bit += 37) {
    P256Signature sig = sig_of(kR, kS);
    sig.rs[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ASSERT_ERR(ecdsa_verify_digest(q, h, sig), CryptoError::kBadSignature);
  }
  // Another message, and the digest with one bit changed.
  ASSERT_ERR(ecdsa_verify_digest(q, digest_of("samplf"), sig_of(kR, kS)),
             CryptoError::kBadSignature);
  Digest h2 = h;
  h2[31] ^= 1;
  ASSERT_ERR(ecdsa_verify_digest(q, h2, sig_of(kR, kS)), CryptoError::kBadSignature);
}

// Public keys that are not valid points: refused as kBadKey by check, verify and ECDH, before
// any signature arithmetic. Off the curve (y changed), x or y = p (non-reduced coordinate),
// compressed and hybrid prefixes, the all-zero encoding, (0, 0), and the point at infinity's
// SEC1 prefix 0x00. The negated point (x, p - y) is valid but is another key.
void public_keys_not_on_curve(void**) {
  const Digest h = digest_of("sample");
  const P256Signature sig = sig_of(kR, kS);
  std::vector<P256PublicKey> bad;
  P256PublicKey off = point(kUx, kUy);
  off.q[64] ^= 1;
  bad.push_back(off);
  bad.push_back(point(kP, kUy));
  bad.push_back(point(kUx, kP));
  bad.push_back(point(kUx, kUy, 0x02));
  bad.push_back(point(kUx, kUy, 0x03));
  bad.push_back(point(kUx, kUy, 0x06));  // hybrid form
  bad.push_back(point(kUx, kUy, 0x00));
  bad.push_back(P256PublicKey{});  // all zero
  const char* zero = "0000000000000000000000000000000000000000000000000000000000000000";
  bad.push_back(point(zero, zero));
  // G + (p in y): y + p does not fit, so use x = Gx, y = Gy + 1 (off the curve).
  std::vector<uint8_t> gy1 = hex(kGy);
  gy1[31] ^= 1;
  bad.push_back(point(kGx, to_hex(gy1).c_str()));
  P256PrivateKey d;
  memcpy(d.d.data(), hex(kD).data(), 32);
  for (const P256PublicKey& q : bad) {
    ASSERT_ERR(p256_check_public(q), CryptoError::kBadKey);
    ASSERT_ERR(ecdsa_verify_digest(q, h, sig), CryptoError::kBadKey);
    std::array<uint8_t, 32> z{};
    ASSERT_ERR(ecdh_p256(d, q, &z), CryptoError::kBadKey);
  }
  const std::string neg_y = to_hex(sub(hex(kP), hex(kUy)));
  const P256PublicKey neg = point(kUx, neg_y.c_str());
  ASSERT_OK(p256_check_public(neg));
  ASSERT_ERR(ecdsa_verify_digest(neg, h, sig), CryptoError::kBadSignature);
  // The generator itself is a valid public key (of d = 1).
  ASSERT_OK(p256_check_public(point(kGx, kGy)));
}

// Private scalars outside [1, n-1] (0, n, n + 1, 2^256 - 1) are refused by every operation
// that takes one; n - 1 and 1 are accepted, and d = 1 gives the generator.
void private_scalars_out_of_range(void**) {
  const char* bad[] = {"0000000000000000000000000000000000000000000000000000000000000000", kN,
                       "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632552",
                       "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"};
  const P256PublicKey peer = point(kUx, kUy);
  const Digest h = digest_of("sample");
  for (const char* v : bad) {
    P256PrivateKey d;
    memcpy(d.d.data(), hex(v).data(), 32);
    P256PublicKey q;
    ASSERT_ERR(p256_public_key(d, &q), CryptoError::kBadKey);
    P256Signature sig;
    ASSERT_ERR(ecdsa_sign_digest(d, h, &sig), CryptoError::kBadKey);
    std::array<uint8_t, 32> z{};
    ASSERT_ERR(ecdh_p256(d, peer, &z), CryptoError::kBadKey);
  }
  P256PrivateKey one;
  one.d[31] = 1;
  P256PublicKey g;
  ASSERT_OK(p256_public_key(one, &g));
  const P256PublicKey want = point(kGx, kGy);
  assert_memory_equal(g.q.data(), want.q.data(), 65);
  P256PrivateKey top;
  memcpy(
      top.d.data(),
      sub(hex(kN), hex("0000000000000000000000000000000000000000000000000000000000000001")).data(),
      32);
  P256PublicKey minus_g;
  ASSERT_OK(p256_public_key(top, &minus_g));  // (n-1)G = -G = (Gx, p - Gy)
  assert_memory_equal(minus_g.q.data() + 1, hex(kGx).data(), 32);
  assert_memory_equal(minus_g.q.data() + 33, sub(hex(kP), hex(kGy)).data(), 32);
  P256Signature sig;
  ASSERT_OK(ecdsa_sign_digest(top, h, &sig));
  ASSERT_OK(ecdsa_verify_digest(minus_g, h, sig));
}

// DER signatures that are not strict DER are refused with kBadSignatureEncoding, each a
// classic Wycheproof encoding case applied to the published signature.
void der_not_canonical(void**) {
  uint8_t der[kP256SigDerMax];
  size_t len = 0;
  ASSERT_OK(signature_to_der(sig_of(kR, kS), MutByteSpan(der, sizeof(der)), &len));
  // r and s both have their top bit set: 30 46 02 21 00 <r> 02 21 00 <s>.
  assert_int_equal(len, 72);
  const std::vector<uint8_t> good(der, der + len);
  P256Signature out;
  ASSERT_OK(signature_from_der(ByteSpan(good.data(), good.size()), &out));
  assert_memory_equal(out.rs.data(), sig_of(kR, kS).rs.data(), 64);

  std::vector<std::vector<uint8_t>> bad;
  auto with = [&](auto f) {
    std::vector<uint8_t> v = good;
    f(v);
    bad.push_back(v);
  };
  with([](std::vector<uint8_t>& v) { v[0] = 0x31; });                    // SET instead of SEQUENCE
  with([](std::vector<uint8_t>& v) { v[0] = 0x10; });                    // primitive SEQUENCE tag
  with([](std::vector<uint8_t>& v) { v[1] = 0x45; });                    // length too short
  with([](std::vector<uint8_t>& v) { v[1] = 0x47; });                    // length too long
  with([](std::vector<uint8_t>& v) { v[1] = 0x80; });                    // BER indefinite length
  with([](std::vector<uint8_t>& v) { v.insert(v.begin() + 1, 0x81); });  // long form (BER)
  with([](std::vector<uint8_t>& v) { v.push_back(0x00); });              // trailing byte
  with([](std::vector<uint8_t>& v) { v[2] = 0x03; });                    // r is a BIT STRING
  with([](std::vector<uint8_t>& v) {
    v.erase(v.begin() + 4);
    v[1] = 0x45;
    v[3] = 0x20;
  });  // r negative (no 00 pad)
  with([](std::vector<uint8_t>& v) {
    v.insert(v.begin() + 4, 0x00);
    v[1] = 0x47;
    v[3] = 0x22;
  });  // r padded twice
  with([](std::vector<uint8_t>& v) {
    v.resize(2 + 35);
    v[1] = 35;
  });                                                             // s missing
  with([](std::vector<uint8_t>& v) { v.resize(v.size() - 1); });  // truncated
  with([](std::vector<uint8_t>& v) { v[3] = 0x00; });             // empty r
  with([](std::vector<uint8_t>& v) { v[38] = 0x22; });            // s length past the end
  bad.push_back({});                                              // empty
  bad.push_back({0x30, 0x00});                                    // empty SEQUENCE
  // r with 33 significant bytes (a leading 0x01): 2^256 + r.
  {
    std::vector<uint8_t> v = good;
    v[4] = 0x01;
    bad.push_back(v);
  }
  // 73 bytes: longer than any P-256 signature.
  bad.push_back(std::vector<uint8_t>(73, 0x30));
  // A third INTEGER inside the SEQUENCE.
  {
    std::vector<uint8_t> v = good;
    v.insert(v.end(), {0x02, 0x01, 0x01});
    v[1] = static_cast<uint8_t>(v.size() - 2);
    bad.push_back(v);
  }
  for (size_t i = 0; i < bad.size(); ++i) {
    const Status s = signature_from_der(ByteSpan(bad[i].data(), bad[i].size()), &out);
    if (s.code() != Status(CryptoError::kBadSignatureEncoding).code()) {
      fail_msg("DER case %zu: status 0x%04x, want kBadSignatureEncoding", i, s.code());
    }
  }
  // Minimal encodings of small values are accepted: r = 1, s = 0x80 (needs the 00 pad).
  const uint8_t small[] = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80};
  ASSERT_OK(signature_from_der(small, &out));
  assert_int_equal(out.rs[31], 1);
  assert_int_equal(out.rs[63], 0x80);
  // ...and r = 0 encodes fine but is not a valid signature.
  const uint8_t zero_r[] = {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01};
  ASSERT_OK(signature_from_der(zero_r, &out));
  ASSERT_ERR(ecdsa_verify_digest(point(kUx, kUy), digest_of("sample"), out),
             CryptoError::kBadSignature);
}

// Wrong lengths and missing buffers are refused with a specific error, not a crash.
void wrong_lengths(void**) {
  Digest h{};
  ASSERT_ERR(sha256(ByteSpan(nullptr, 1), &h), CryptoError::kBadInputLength);
  ASSERT_ERR(sha256(ByteSpan(), nullptr), CryptoError::kBadInputLength);
  ASSERT_OK(sha256(ByteSpan(), &h));  // empty input is fine: SHA-256("")
  assert_memory_equal(
      h.data(), hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855").data(), 32);
  ASSERT_ERR(hmac_sha256(ByteSpan(nullptr, 3), ByteSpan(), &h), CryptoError::kBadInputLength);
  ASSERT_ERR(hmac_sha256(ByteSpan(), ByteSpan(nullptr, 3), &h), CryptoError::kBadInputLength);
  uint8_t okm[32];
  ASSERT_ERR(hkdf_sha256(ByteSpan(nullptr, 1), ByteSpan(), ByteSpan(), MutByteSpan(okm, 32)),
             CryptoError::kBadInputLength);
  ASSERT_ERR(hkdf_sha256(ByteSpan(), ByteSpan(), ByteSpan(), MutByteSpan(nullptr, 32)),
             CryptoError::kBadInputLength);
  Sha256 ctx;
  ASSERT_ERR(ctx.update(ByteSpan(nullptr, 5)), CryptoError::kBadInputLength);
  ASSERT_ERR(ctx.finish(nullptr), CryptoError::kBadInputLength);
  uint8_t small[70];
  size_t n = 0;
  ASSERT_ERR(signature_to_der(sig_of(kR, kS), MutByteSpan(small, sizeof(small)), &n),
             CryptoError::kOutputTooSmall);
  ASSERT_ERR(signature_to_der(sig_of(kR, kS), MutByteSpan(small, sizeof(small)), nullptr),
             CryptoError::kBadInputLength);
  P256PrivateKey d;
  memcpy(d.d.data(), hex(kD).data(), 32);
  ASSERT_ERR(ecdsa_sign_digest(d, h, nullptr), CryptoError::kBadInputLength);
  ASSERT_ERR(p256_public_key(d, nullptr), CryptoError::kBadInputLength);
  ASSERT_ERR(ecdh_p256(d, point(kUx, kUy), nullptr), CryptoError::kBadInputLength);
}

// HKDF with empty salt, empty info and empty IKM (all allowed by RFC 5869) gives the same
// bytes on every backend: the values below are HMAC-based and computed once here.
void hkdf_empty_inputs(void**) {
  uint8_t a[42], b[42];
  const uint8_t ikm[22] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                           0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
  // RFC 5869 A.3 (empty salt and info).
  ASSERT_OK(hkdf_sha256(ByteSpan(), ikm, ByteSpan(), MutByteSpan(a, sizeof(a))));
  assert_memory_equal(
      a,
      hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
          .data(),
      42);
  // An explicit salt of 32 zero bytes is the same as no salt (RFC 5869 2.2).
  const uint8_t zeros[32] = {};
  ASSERT_OK(hkdf_sha256(zeros, ikm, ByteSpan(), MutByteSpan(b, sizeof(b))));
  assert_memory_equal(a, b, sizeof(a));
  // Empty IKM is a valid input; its output is HMAC-SHA256 chained (checked via hmac_sha256).
  ASSERT_OK(hkdf_sha256(ByteSpan(), ByteSpan(), ByteSpan(), MutByteSpan(a, 32)));
  Digest prk{}, t1{};
  ASSERT_OK(hmac_sha256(ByteSpan(), ByteSpan(), &prk));  // PRK = HMAC(salt = "", IKM = "")
  const uint8_t one = 0x01;
  ASSERT_OK(hmac_sha256(prk, ByteSpan(&one, 1), &t1));  // T(1) = HMAC(PRK, "" || 0x01)
  assert_memory_equal(a, t1.data(), 32);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(baseline_verifies),
      cmocka_unit_test(signature_scalars_out_of_range),
      cmocka_unit_test(signature_variants),
      cmocka_unit_test(public_keys_not_on_curve),
      cmocka_unit_test(private_scalars_out_of_range),
      cmocka_unit_test(der_not_canonical),
      cmocka_unit_test(wrong_lengths),
      cmocka_unit_test(hkdf_empty_inputs),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
