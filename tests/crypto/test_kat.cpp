// Known-answer tests of the crypto primitives against published vectors:
// FIPS 180-2 (SHA-256), RFC 4231 (HMAC-SHA256), RFC 5869 (HKDF-SHA256), RFC 6979 A.2.5 (ECDSA
// P-256).
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

// FIPS 180-2 / NIST examples: "abc", the 448-bit message, the empty string, one million 'a'.
// The one-shot and incremental APIs must both give the published digests.
void sha256_fips180(void**) {
  struct V {
    std::vector<uint8_t> msg;
    const char* digest;
  };
  const V vs[] = {
      {bytes("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {{}, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {repeat('a', 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const V& v : vs) {
    Digest d{};
    ASSERT_OK(sha256(ByteSpan(v.msg.data(), v.msg.size()), &d));
    assert_bytes_equal(d, hex(v.digest));
    // Incremental, in uneven pieces.
    Sha256 h;
    size_t off = 0, step = 1;
    while (off < v.msg.size()) {
      size_t n = std::min(step, v.msg.size() - off);
      ASSERT_OK(h.update(ByteSpan(v.msg.data() + off, n)));
      off += n;
      step = step * 3 + 1;
    }
    Digest d2{};
    ASSERT_OK(h.finish(&d2));
    assert_bytes_equal(d2, hex(v.digest));
  }
}

// A finished Sha256 refuses further use (the contract says it must not be updated).
void sha256_finish_twice_fails(void**) {
  Sha256 h;
  Digest d{};
  ASSERT_OK(h.finish(&d));
  assert_false(h.finish(&d).ok());
  assert_false(h.update(ByteSpan()).ok());
}

// RFC 4231 test cases 1-7 for HMAC-SHA-256; case 5 is compared on its truncated 128 bits.
void hmac_rfc4231(void**) {
  struct V {
    std::vector<uint8_t> key, data;
    const char* mac;
  };
  std::vector<uint8_t> key4;
  for (uint8_t i = 1; i <= 25; ++i) key4.push_back(i);
  const V vs[] = {
      {repeat(0x0b, 20), bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {bytes("Jefe"), bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {repeat(0xaa, 20), repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {key4, repeat(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {repeat(0x0c, 20), bytes("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"},
      {repeat(0xaa, 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {repeat(0xaa, 131),
       bytes("This is a test using a larger than block-size key and a larger than block-size "
             "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const V& v : vs) {
    Digest mac{};
    ASSERT_OK(hmac_sha256(ByteSpan(v.key.data(), v.key.size()),
                          ByteSpan(v.data.data(), v.data.size()), &mac));
    const std::vector<uint8_t> want = hex(v.mac);
    assert_memory_equal(mac.data(), want.data(), want.size());  // 16 bytes for case 5
  }
}

// RFC 5869 test cases 1-3 (SHA-256): OKM of length L from IKM, salt, info.
void hkdf_rfc5869(void**) {
  auto range = [](int a, int b) {
    std::vector<uint8_t> v;
    for (int i = a; i < b; ++i) v.push_back(static_cast<uint8_t>(i));
    return v;
  };
  struct V {
    std::vector<uint8_t> ikm, salt, info;
    const char* okm;
  };
  const V vs[] = {
      {repeat(0x0b, 22), range(0x00, 0x0d), range(0xf0, 0xfa),
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      {range(0x00, 0x50), range(0x60, 0xb0), range(0xb0, 0x100),
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e5"
       "90e09da"
       "3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      {repeat(0x0b, 22),
       {},
       {},
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
  for (const V& v : vs) {
    const std::vector<uint8_t> want = hex(v.okm);
    std::vector<uint8_t> okm(want.size());
    ASSERT_OK(
        hkdf_sha256(ByteSpan(v.salt.data(), v.salt.size()), ByteSpan(v.ikm.data(), v.ikm.size()),
                    ByteSpan(v.info.data(), v.info.size()), MutByteSpan(okm.data(), okm.size())));
    assert_bytes_equal(okm, want);
  }
}

// HKDF refuses an output longer than 255 * 32 bytes and an empty output.
void hkdf_rejects_bad_lengths(void**) {
  std::vector<uint8_t> okm(255 * 32 + 1);
  const uint8_t ikm[4] = {1, 2, 3, 4};
  ASSERT_ERR(hkdf_sha256(ByteSpan(), ikm, ByteSpan(), MutByteSpan(okm.data(), okm.size())),
             CryptoError::kBadInputLength);
  ASSERT_ERR(hkdf_sha256(ByteSpan(), ikm, ByteSpan(), MutByteSpan(okm.data(), 0)),
             CryptoError::kBadInputLength);
  ASSERT_OK(hkdf_sha256(ByteSpan(), ikm, ByteSpan(), MutByteSpan(okm.data(), size_t{255} * 32)));
}

// RFC 6979 A.2.5: the P-256 key x gives the public point (Ux, Uy), and deterministic ECDSA
// with SHA-256 over "sample" and "test" gives exactly the published (r, s); both verify.
void ecdsa_rfc6979_p256_sha256(void**) {
  P256PrivateKey key;
  const auto x = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
  memcpy(key.d.data(), x.data(), 32);
  P256PublicKey pub;
  ASSERT_OK(p256_public_key(key, &pub));
  assert_int_equal(pub.q[0], 0x04);
  assert_memory_equal(
      pub.q.data() + 1,
      hex("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6").data(), 32);
  assert_memory_equal(
      pub.q.data() + 33,
      hex("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299").data(), 32);

  struct V {
    const char* msg;
    const char* r;
    const char* s;
  };
  const V vs[] = {
      {"sample", "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
       "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
      {"test", "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
       "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
  };
  for (const V& v : vs) {
    const auto msg = bytes(v.msg);
    P256Signature sig;
    ASSERT_OK(ecdsa_sign(key, ByteSpan(msg.data(), msg.size()), &sig));
    assert_memory_equal(sig.rs.data(), hex(v.r).data(), 32);
    assert_memory_equal(sig.rs.data() + 32, hex(v.s).data(), 32);
    ASSERT_OK(ecdsa_verify(pub, ByteSpan(msg.data(), msg.size()), sig));
    // The digest API gives the same signature.
    Digest h{};
    ASSERT_OK(sha256(ByteSpan(msg.data(), msg.size()), &h));
    P256Signature sig2;
    ASSERT_OK(ecdsa_sign_digest(key, h, &sig2));
    assert_bytes_equal(sig.rs, sig2.rs);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sha256_fips180),
      cmocka_unit_test(sha256_finish_twice_fails),
      cmocka_unit_test(hmac_rfc4231),
      cmocka_unit_test(hkdf_rfc5869),
      cmocka_unit_test(hkdf_rejects_bad_lengths),
      cmocka_unit_test(ecdsa_rfc6979_p256_sha256),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
