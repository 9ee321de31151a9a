// The board suite (CMocka, on the real board code: no fake): the crypto primitives the
// firmware relies on, through the same locus::crypto contracts and the same mbed TLS build as
// the firmware image, plus the board's own services (time, storage on the board's medium,
// write-once region, entropy, UDS, measurement, interconnect latch). Run under QEMU with
// semihosting (tests/qemu: qemu_suite_board_<board>); the exit status is the number of
// failed tests.
//
// Vectors: FIPS 180-2 (SHA-256), RFC 4231 (HMAC-SHA256), RFC 5869 A.1 (HKDF), RFC 6979 A.2.5
// (deterministic ECDSA P-256 / SHA-256), ECDH on the RFC 6979 keys (cross-checked with
// python3-cryptography).
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/board.h"
#include "locus_test/cmocka.h"

using locus::ByteSpan;
using locus::MutByteSpan;
namespace crypto = locus::crypto;
namespace board = locus::board;

namespace {

bool bytes_equal(const uint8_t* a, const uint8_t* b, size_t n) {
  return memcmp(a, b, n) == 0;
}
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// Hex string (even length, no separators) into out; the byte count, or 0 on a bad digit.
size_t from_hex(const char* hex, uint8_t* out, size_t cap) {
  const size_t len = strlen(hex);
  if (len % 2 != 0 || len / 2 > cap) return 0;
  for (size_t i = 0; i < len / 2; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return len / 2;
}

const char kRfc6979Priv[] = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
const char kRfc6979Pub[] =
    "0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
    "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";

ByteSpan str(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), strlen(s));
}

bool digest_is(const crypto::Digest& d, const char* hex) {
  uint8_t want[32];
  return from_hex(hex, want, sizeof(want)) == 32 && bytes_equal(d.data(), want, 32);
}

// SHA-256 of "abc", the empty string and the two-block message: the FIPS 180-2 digests.
void sha256_fips180(void**) {
  crypto::Digest d{};
  ASSERT_OK(crypto::sha256(str("abc"), &d));
  assert_true(digest_is(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  ASSERT_OK(crypto::sha256(ByteSpan(), &d));
  assert_true(digest_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  ASSERT_OK(crypto::sha256(str("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), &d));
  assert_true(digest_is(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

// Incremental SHA-256 fed in uneven pieces gives the one-shot digest.
void sha256_incremental(void**) {
  crypto::Sha256 h;
  assert_true(h.update(str("abcdbcdecdefdefgefghfghighijhijk")).ok());
  assert_true(h.update(str("ijkljklmklmnlmnomnopnopq")).ok());
  crypto::Digest d{};
  assert_true(h.finish(&d).ok());
  assert_true(digest_is(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

// RFC 4231 test cases 1 and 2 give the published HMAC-SHA256 tags.
void hmac_rfc4231(void**) {
  uint8_t key1[20];
  memset(key1, 0x0b, sizeof(key1));
  crypto::Digest d{};
  ASSERT_OK(crypto::hmac_sha256(ByteSpan(key1), str("Hi There"), &d));
  assert_true(digest_is(d, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  ASSERT_OK(crypto::hmac_sha256(str("Jefe"), str("what do ya want for nothing?"), &d));
  assert_true(digest_is(d, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

// RFC 5869 A.1: HKDF-SHA256 with salt and info gives the published 42-byte OKM.
void hkdf_rfc5869(void**) {
  uint8_t ikm[22], salt[13], info[10], okm[42], want[42];
  memset(ikm, 0x0b, sizeof(ikm));
  for (size_t i = 0; i < sizeof(salt); ++i) salt[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < sizeof(info); ++i) info[i] = static_cast<uint8_t>(0xf0 + i);
  ASSERT_OK(crypto::hkdf_sha256(ByteSpan(salt), ByteSpan(ikm), ByteSpan(info), MutByteSpan(okm)));
  assert_true(from_hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                       "34007208d5b887185865",
                       want, sizeof(want)) == 42);
  assert_true(bytes_equal(okm, want, sizeof(okm)));
}

bool load_rfc6979_key(crypto::P256PrivateKey* k) {
  return from_hex(kRfc6979Priv, k->d.data(), k->d.size()) == 32;
}

// The RFC 6979 private key yields the published public point.
void p256_public_from_private(void**) {
  crypto::P256PrivateKey k;
  assert_true(load_rfc6979_key(&k));
  crypto::P256PublicKey pub;
  ASSERT_OK(crypto::p256_public_key(k, &pub));
  uint8_t want[65];
  assert_true(from_hex(kRfc6979Pub, want, sizeof(want)) == 65);
  assert_true(bytes_equal(pub.q.data(), want, 65));
  ASSERT_OK(crypto::p256_check_public(pub));
}

// RFC 6979 A.2.5: signing "sample" and "test" gives exactly the published (r, s), and the
// signatures verify.
void ecdsa_rfc6979_sign(void**) {
  crypto::P256PrivateKey k;
  assert_true(load_rfc6979_key(&k));
  crypto::P256PublicKey pub;
  assert_true(from_hex(kRfc6979Pub, pub.q.data(), pub.q.size()) == 65);
  struct V {
    const char* msg;
    const char* rs;
  };
  const V vs[] = {
      {"sample",
       "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
       "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
      {"test",
       "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
       "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
  };
  for (const V& v : vs) {
    crypto::P256Signature sig;
    ASSERT_OK(crypto::ecdsa_sign(k, str(v.msg), &sig));
    uint8_t want[64];
    assert_true(from_hex(v.rs, want, sizeof(want)) == 64);
    assert_true(bytes_equal(sig.rs.data(), want, 64));
    ASSERT_OK(crypto::ecdsa_verify(pub, str(v.msg), sig));
  }
}

// A published signature with one bit flipped in s, or over another message, is rejected.
void ecdsa_rejects_tampered(void**) {
  crypto::P256PublicKey pub;
  assert_true(from_hex(kRfc6979Pub, pub.q.data(), pub.q.size()) == 65);
  crypto::P256Signature sig;
  assert_true(from_hex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
                       "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
                       sig.rs.data(), sig.rs.size()) == 64);
  ASSERT_OK(crypto::ecdsa_verify(pub, str("sample"), sig));
  assert_true(!crypto::ecdsa_verify(pub, str("samplf"), sig).ok());
  sig.rs[63] ^= 0x01;
  assert_true(!crypto::ecdsa_verify(pub, str("sample"), sig).ok());
}

// ECDH between the RFC 6979 private key and the point k*G (k = the "sample" nonce) gives the
// shared X coordinate computed independently with python3-cryptography.
void ecdh_known_answer(void**) {
  crypto::P256PrivateKey k;
  assert_true(load_rfc6979_key(&k));
  crypto::P256PublicKey peer;
  assert_true(from_hex("04efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
                       "34a7e72c423213443152c82df94fe0f6851bf894fd91c64b19555346093ff492",
                       peer.q.data(), peer.q.size()) == 65);
  std::array<uint8_t, 32> shared{};
  ASSERT_OK(crypto::ecdh_p256(k, peer, &shared));
  uint8_t want[32];
  assert_true(from_hex("3ffbbd4fe496a30ea456822f31c21e76482462fca119bece403abf00bed50fbb", want,
                       sizeof(want)) == 32);
  assert_true(bytes_equal(shared.data(), want, 32));
}

// ct_equal: equal spans compare equal; one differing byte or a length mismatch does not.
void ct_equal_basic(void**) {
  const uint8_t a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, c[4] = {1, 2, 3, 5};
  assert_true(crypto::ct_equal(ByteSpan(a), ByteSpan(b)));
  assert_true(!crypto::ct_equal(ByteSpan(a), ByteSpan(c)));
  assert_true(!crypto::ct_equal(ByteSpan(a), ByteSpan(b, 3)));
}

// ---- board services ------------------------------------------------------------------

// Monotonic time (the board's 32-bit timer) never goes backwards over many readings and
// advances; SysTick ticks() stay monotonic across more than one 24-bit wrap.
void board_monotonic(void**) {
  uint64_t prev = board::monotonic_us();
  const uint64_t start = prev;
  for (uint32_t i = 0; i < 50000000u && prev - start < 200000u; ++i) {
    const uint64_t now = board::monotonic_us();
    assert_true(now >= prev);
    prev = now;
  }
  assert_true(prev - start >= 200000u);
  uint64_t t_prev = locus::cm::ticks();
  const uint64_t t_start = t_prev;
  for (uint32_t i = 0; i < 50000000u && t_prev - t_start < (uint64_t{3} << 24); ++i) {
    const uint64_t t = locus::cm::ticks();
    assert_true(t >= t_prev);
    t_prev = t;
  }
  assert_true(t_prev - t_start >= (uint64_t{3} << 24));
}

// The board's declared clocks are QEMU's: over ~300 ms of board time, the host's elapsed
// time (semihosting SYS_ELAPSED; without -icount QEMU's virtual clock follows the host's)
// agrees within 10 % (kTimerHz), and over 20 ms SysTick agrees with the timer (kCpuHz).
// A wrong rate would scale every lease.
void board_clock_rate(void**) {
  // Against the host clock over 300 ms, within 10%. A host that deschedules QEMU for tens of
  // ms between the paired reads skews one window (seen at load average 28 on 2 cores): up to
  // three windows; a wrong timer rate fails all of them.
  bool host_agree = false;
  for (int attempt = 0; attempt < 3 && !host_agree; ++attempt) {
    const uint64_t h0 = locus::cm::semi::elapsed_ns();
    const uint64_t b0 = board::monotonic_us();
    assert_true(h0 != 0);
    uint64_t b1 = b0;
    for (uint32_t i = 0; i < 100000000u && b1 - b0 < 300000u; ++i) b1 = board::monotonic_us();
    const uint64_t h1 = locus::cm::semi::elapsed_ns();
    const uint64_t board_us = b1 - b0;
    const uint64_t host_us = (h1 - h0) / 1000u;
    assert_true(board_us >= 300000u);
    host_agree = host_us * 10 >= board_us * 9 && host_us * 10 <= board_us * 11;
  }
  assert_true(host_agree);

  // SysTick can drop a wrap (65 ms at 200 MHz) when the host deschedules QEMU: up to three
  // attempts; a wrong kCpuHz fails all of them.
  bool agree = false;
  for (int attempt = 0; attempt < 3 && !agree; ++attempt) {
    const uint64_t t0 = locus::cm::ticks();
    const uint64_t m0 = board::monotonic_us();
    uint64_t m1 = m0;
    for (uint32_t i = 0; i < 10000000u && m1 - m0 < 20000u; ++i) m1 = board::monotonic_us();
    const uint64_t tick_us = locus::cm::ticks_to_ns(locus::cm::ticks() - t0) / 1000u;
    const uint64_t timer_us = m1 - m0;
    agree = tick_us * 10 >= timer_us * 9 && tick_us * 10 <= timer_us * 11;
  }
  assert_true(agree);
}

// Storage: a write reads back, out-of-range access is refused with kStorageRange.
void board_storage_roundtrip(void**) {
  const size_t size = board::storage_size();
  assert_true(size >= 4096);
  uint8_t w[64], r[64];
  for (size_t i = 0; i < sizeof(w); ++i) w[i] = static_cast<uint8_t>(i * 7 + 1);
  ASSERT_OK(board::storage_write(size - sizeof(w), w, sizeof(w)));
  ASSERT_OK(board::storage_flush());
  ASSERT_OK(board::storage_read(size - sizeof(r), r, sizeof(r)));
  assert_true(bytes_equal(w, r, sizeof(w)));
  assert_true(board::storage_read(size - 1, r, 2) ==
              locus::Status(board::BoardError::kStorageRange));
  assert_true(board::storage_write(size + 1, w, 0) ==
              locus::Status(board::BoardError::kStorageRange));
}

// Storage on NOR rules (ast1030-evb: SPI NOR flash; mps2-an386: a semihosting file): two
// sectors, one journal slot each. A slot written over a different slot image reads back
// exactly (the sector was erased first: programming alone could only clear bits), and
// rewriting slot B never disturbs slot A.
void board_storage_sectors(void**) {
  assert_true(board::storage_size() == 2 * board::kStorageSectorSize);
  static uint8_t a[1280], b1[1280], b2[1280], r[1280];
  for (size_t i = 0; i < sizeof(a); ++i) {
    a[i] = static_cast<uint8_t>(i * 3 + 5);
    b1[i] = static_cast<uint8_t>(~i);
    b2[i] = static_cast<uint8_t>(i ^ 0x5A);  // needs 0 -> 1 changes over b1
  }
  const size_t kB = board::kStorageSectorSize;
  ASSERT_OK(board::storage_write(0, a, sizeof(a)));
  ASSERT_OK(board::storage_write(kB, b1, sizeof(b1)));
  ASSERT_OK(board::storage_write(kB, b2, sizeof(b2)));
  ASSERT_OK(board::storage_flush());
  ASSERT_OK(board::storage_read(kB, r, sizeof(r)));
  assert_true(bytes_equal(b2, r, sizeof(r)));
  ASSERT_OK(board::storage_read(0, r, sizeof(r)));
  assert_true(bytes_equal(a, r, sizeof(r)));
}

// Write-once region: programming only clears bits. Re-programming the same bytes is
// allowed; any request needing a 0 -> 1 change is refused with kOtpConflict and writes
// nothing, not even its conflict-free bytes; access past the end is kStorageRange. (Safe to
// re-run on a region kept from an earlier run: every step is idempotent.)
void board_otp_rules(void**) {
  assert_true(board::otp_size() == 512);
  const uint8_t p[4] = {0xA5, 0x0F, 0xF0, 0x00};
  uint8_t r[4];
  ASSERT_OK(board::otp_program(32, p, sizeof(p)));
  ASSERT_OK(board::otp_program(32, p, sizeof(p)));
  ASSERT_OK(board::otp_read(32, r, sizeof(r)));
  assert_true(bytes_equal(p, r, sizeof(p)));
  const uint8_t ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  assert_true(board::otp_program(32, ones, sizeof(ones)) ==
              locus::Status(board::BoardError::kOtpConflict));
  // Byte 31 is never programmed (erased, 0xFF): clearing its bits would be allowed, but the
  // request also needs 0 -> 1 at byte 32, so nothing at all is written.
  const uint8_t mixed[2] = {0x0F, 0xFF};
  assert_true(board::otp_program(31, mixed, sizeof(mixed)) ==
              locus::Status(board::BoardError::kOtpConflict));
  uint8_t b31 = 0;
  ASSERT_OK(board::otp_read(31, &b31, 1));
  assert_true(b31 == 0xFF);
  ASSERT_OK(board::otp_read(32, r, sizeof(r)));
  assert_true(bytes_equal(p, r, sizeof(p)));
  assert_true(board::otp_read(511, r, 2) == locus::Status(board::BoardError::kStorageRange));
  assert_true(board::otp_program(513, p, 0) == locus::Status(board::BoardError::kStorageRange));
}

// Entropy: two draws differ. ast1030-evb draws from its SCU RNG (not an emulation
// substitute); mps2-an386 has no RNG QEMU models and says its source is emulated.
void board_entropy(void**) {
  uint8_t a[48], b[48];
  ASSERT_OK(board::entropy(a, sizeof(a)));
  ASSERT_OK(board::entropy(b, sizeof(b)));
  assert_true(!bytes_equal(a, b, sizeof(a)));
  const bool ast = strcmp(locus::cm::port::kHwModel, "locus-qemu-ast1030-evb") == 0;
  assert_true(board::entropy_is_emulated() == !ast);
}

// UDS: the provisioned value (the test provisions 00 01 .. 1f) is read once; the region is
// then wiped, so a second read fails with kUdsUnavailable.
void board_uds_read_once(void**) {
  uint8_t uds[32];
  ASSERT_OK(board::read_uds(uds));
  for (uint8_t i = 0; i < 32; ++i) assert_true(uds[i] == i);
  assert_true(board::read_uds(uds) == locus::Status(board::BoardError::kUdsUnavailable));
}

// Measurement: the FWID is stable between calls and not all zeros.
void board_measure_stable(void**) {
  uint8_t a[32], b[32], zero[32] = {};
  ASSERT_OK(board::measure_image(a));
  ASSERT_OK(board::measure_image(b));
  assert_true(bytes_equal(a, b, 32));
  assert_true(!bytes_equal(a, zero, 32));
}

// Interconnect: the line follows the mode; anything but FULL drives it RESTRICTED.
void board_interconnect(void**) {
  board::set_interconnect(board::InterconnectMode::kRestricted);
  assert_true(locus::cm::g_interconnect_line == 0x3C);
  board::set_interconnect(board::InterconnectMode::kFull);
  assert_true(locus::cm::g_interconnect_line == 0xC3);
  board::set_interconnect(static_cast<board::InterconnectMode>(0xC2));
  assert_true(locus::cm::g_interconnect_line == 0x3C);
}

}  // namespace

int main() {
  print_message("locus board suite on %s (EMULATION ONLY, not secure)\n",
                locus::cm::port::kHwModel);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sha256_fips180),
      cmocka_unit_test(sha256_incremental),
      cmocka_unit_test(hmac_rfc4231),
      cmocka_unit_test(hkdf_rfc5869),
      cmocka_unit_test(p256_public_from_private),
      cmocka_unit_test(ecdsa_rfc6979_sign),
      cmocka_unit_test(ecdsa_rejects_tampered),
      cmocka_unit_test(ecdh_known_answer),
      cmocka_unit_test(ct_equal_basic),
      cmocka_unit_test(board_monotonic),
      cmocka_unit_test(board_clock_rate),
      cmocka_unit_test(board_storage_roundtrip),
      cmocka_unit_test(board_storage_sectors),
      cmocka_unit_test(board_otp_rules),
      cmocka_unit_test(board_entropy),
      cmocka_unit_test(board_uds_read_once),
      cmocka_unit_test(board_measure_stable),
      cmocka_unit_test(board_interconnect),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
