// ECDSA (RFC 6979) and ECDH on NIST P-256 over OpenSSL 3 libcrypto.
//
// Verification goes through EVP_PKEY_verify (OpenSSL's own range checks on r and s, its
// point decoding with the on-curve check). OpenSSL 3.0 has no deterministic ECDSA, so signing
// derives k per RFC 6979 section 3.2 with HMAC-SHA256 and computes r = x(kG) mod n,
// s = k^-1 (e + r d) mod n with libcrypto's constant-time primitives: the generator
// multiplication (fixed-window table, constant-time gather on x86-64), a Fermat inversion with
// BN_mod_exp_mont_consttime, and BN_FLG_CONSTTIME on every secret. The signature is exactly
// RFC 6979's, as the mbed TLS backend's is (tests/crypto run the same KATs on both).
#include "locus/crypto/p256.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <string.h>

#include <memory>
#include <utility>

#include "locus/crypto/ct.h"
#include "ossl_glue.h"

namespace locus::crypto {

P256PrivateKey::~P256PrivateKey() {
  zeroize(d.data(), d.size());
}

namespace ossl {

namespace {
struct GroupHolder {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  ~GroupHolder() { EC_GROUP_free(group); }
};
}  // namespace

const EC_GROUP* p256_group() {
  thread_local GroupHolder h;
  return h.group;
}

const BIGNUM* p256_order() {
  const EC_GROUP* g = p256_group();
  return g == nullptr ? nullptr : EC_GROUP_get0_order(g);
}

}  // namespace ossl

namespace {

constexpr size_t kScalar = 32;
constexpr int kMaxDeriveTries = 16;
constexpr int kMaxSignTries = 16;  // RFC 6979 retries happen with probability ~2^-128 each
constexpr char kDeriveInfo[] = "locus P-256";  // without the terminating NUL

// The group order n of P-256, big-endian.
constexpr uint8_t kOrder[kScalar] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

// 1 <= v <= n-1 for a 32-byte big-endian v, without branches on v's bytes: v is a secret.
bool scalar_in_range(const uint8_t* v) {
  // Borrow of v - n over all bytes: set iff v < n.
  unsigned borrow = 0;
  unsigned nonzero = 0;
  for (size_t i = kScalar; i-- > 0;) {
    const unsigned diff = static_cast<unsigned>(v[i]) - kOrder[i] - borrow;
    borrow = (diff >> 8) & 1u;
    nonzero |= v[i];
  }
  return (borrow & static_cast<unsigned>(nonzero != 0)) == 1u;
}

// Loads 32 big-endian bytes into a BIGNUM marked constant-time (for secrets).
bool load_secret(const uint8_t* v, ossl::SecretBn* out) {
  BIGNUM* bn = BN_secure_new();
  if (bn == nullptr) {
    return false;
  }
  BN_set_flags(bn, BN_FLG_CONSTTIME);
  if (BN_bin2bn(v, static_cast<int>(kScalar), bn) == nullptr) {
    BN_clear_free(bn);
    return false;
  }
  *out->out() = bn;
  return true;
}

// Decodes an uncompressed point and checks that it is on the curve (EC_POINT_oct2point
// rejects coordinates >= p and points off the curve) and not the point at infinity.
Status load_public(const EC_GROUP* g, const P256PublicKey& pub, BN_CTX* ctx, ossl::Point* q) {
  if (pub.q[0] != 0x04) {
    return CryptoError::kBadKey;  // only uncompressed points
  }
  ossl::Point p(EC_POINT_new(g));
  if (!p) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  if (EC_POINT_oct2point(g, p.get(), pub.q.data(), pub.q.size(), ctx) != 1 ||
      EC_POINT_is_on_curve(g, p.get(), ctx) != 1 || EC_POINT_is_at_infinity(g, p.get()) == 1) {
    return ossl::fail(CryptoError::kBadKey);
  }
  *q->out() = nullptr;
  std::swap(*q->out(), *p.out());
  return Status::Ok();
}

Status write_point(const EC_GROUP* g, const EC_POINT* p, BN_CTX* ctx, P256PublicKey* out) {
  P256PublicKey pub;
  if (EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pub.q.data(), pub.q.size(), ctx) !=
      pub.q.size()) {
    return ossl::fail(CryptoError::kBackend);
  }
  *out = pub;
  return Status::Ok();
}

// Draws candidates with next(i, cand) for i = 0.. until one is a valid scalar (at most
// kMaxDeriveTries); a failing next() ends the search with its status.
template <typename Next>
Status first_valid_scalar(Next next, P256PrivateKey* out) {
  uint8_t cand[kScalar];
  Status result = CryptoError::kKeyDerivationExhausted;
  for (int i = 0; i < kMaxDeriveTries; ++i) {
    const Status s = next(i, MutByteSpan(cand, kScalar));
    if (!s.ok()) {
      result = s;
      break;
    }
    if (scalar_in_range(cand)) {
      memcpy(out->d.data(), cand, kScalar);
      result = Status::Ok();
      break;
    }
  }
  zeroize(cand, sizeof(cand));
  return result;
}

// RFC 6979 section 3.2 with HMAC-SHA256 for a 256-bit order (qlen = hlen = 256, so
// bits2int is the identity on 32 bytes). Holds K and V; zeroised on destruction.
class Rfc6979 {
 public:
  // x = int2octets(d), h1 = bits2octets(H(m)) = (H(m) mod n) as 32 bytes.
  Rfc6979(const uint8_t* x, const uint8_t* h1) {
    memset(v_, 0x01, sizeof(v_));
    memset(k_, 0x00, sizeof(k_));
    ok_ = step(0x00, x, h1) && step(0x01, x, h1);
  }
  ~Rfc6979() {
    zeroize(k_, sizeof(k_));
    zeroize(v_, sizeof(v_));
  }
  Rfc6979(const Rfc6979&) = delete;
  Rfc6979& operator=(const Rfc6979&) = delete;

  // Next candidate k (step h): V = HMAC_K(V), T = V. Candidates after the first are
  // preceded by K = HMAC_K(V || 0x00), V = HMAC_K(V).
  bool next(uint8_t* k) {
    if (!ok_) {
      return false;
    }
    if (drawn_ && !step(0x00, nullptr, nullptr)) {
      return false;
    }
    drawn_ = true;
    if (!mac(v_, nullptr, 0, nullptr, nullptr, v_)) {
      return false;
    }
    memcpy(k, v_, kScalar);
    return true;
  }

 private:
  // K = HMAC_K(V || sep || x || h1); V = HMAC_K(V). x and h1 may be absent (retry step).
  bool step(uint8_t sep, const uint8_t* x, const uint8_t* h1) {
    uint8_t nk[kScalar];
    const bool ok = mac(v_, &sep, 1, x, h1, nk);
    memcpy(k_, nk, kScalar);
    zeroize(nk, sizeof(nk));
    return ok && mac(v_, nullptr, 0, nullptr, nullptr, v_);
  }
  bool mac(const uint8_t* v, const uint8_t* sep, size_t sep_len, const uint8_t* x,
           const uint8_t* h1, uint8_t* out) {
    uint8_t buf[kScalar + 1 + 2 * kScalar];
    size_t n = 0;
    memcpy(buf, v, kScalar);
    n += kScalar;
    if (sep_len != 0) {
      buf[n++] = *sep;
    }
    if (x != nullptr) {
      memcpy(buf + n, x, kScalar);
      n += kScalar;
      memcpy(buf + n, h1, kScalar);
      n += kScalar;
    }
    Digest d;
    const bool ok = hmac_sha256(ByteSpan(k_, kScalar), ByteSpan(buf, n), &d).ok();
    zeroize(buf, sizeof(buf));
    memcpy(out, d.data(), kScalar);
    zeroize(d.data(), d.size());
    return ok;
  }

  uint8_t k_[kScalar] = {};
  uint8_t v_[kScalar] = {};
  bool ok_ = false;
  bool drawn_ = false;
};

// e = digest mod n, as 32 bytes (digest < 2^256 < 2n, so one conditional subtraction).
void reduce_digest(const Digest& digest, uint8_t* e) {
  unsigned borrow = 0;
  uint8_t diff[kScalar];
  for (size_t i = kScalar; i-- > 0;) {
    const unsigned d = static_cast<unsigned>(digest[i]) - kOrder[i] - borrow;
    diff[i] = static_cast<uint8_t>(d);
    borrow = (d >> 8) & 1u;
  }
  memcpy(e, borrow != 0 ? digest.data() : diff, kScalar);  // the digest is public
}

// One signing attempt with candidate k: false with *retry set if r or s came out zero.
Status sign_with_k(const EC_GROUP* g, const BIGNUM* n, BN_CTX* ctx, BN_MONT_CTX* mont,
                   const BIGNUM* n_minus_2, const BIGNUM* d, const BIGNUM* e, const uint8_t* kb,
                   P256Signature* out, bool* retry) {
  *retry = false;
  ossl::SecretBn k, kinv, t;
  ossl::Bn r(BN_new()), s(BN_new()), x(BN_new());
  ossl::Point big_r(EC_POINT_new(g));
  if (!load_secret(kb, &k) || !r || !s || !x || !big_r) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  *kinv.out() = BN_secure_new();
  *t.out() = BN_secure_new();
  if (!kinv || !t) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  BN_set_flags(kinv.get(), BN_FLG_CONSTTIME);
  BN_set_flags(t.get(), BN_FLG_CONSTTIME);
  // R = kG; r = x(R) mod n.
  if (EC_POINT_mul(g, big_r.get(), k.get(), nullptr, nullptr, ctx) != 1 ||
      EC_POINT_get_affine_coordinates(g, big_r.get(), x.get(), nullptr, ctx) != 1 ||
      BN_nnmod(r.get(), x.get(), n, ctx) != 1) {
    return ossl::fail(CryptoError::kBackend);
  }
  if (BN_is_zero(r.get()) == 1) {
    *retry = true;
    return CryptoError::kBackend;
  }
  // kinv = k^(n-2) mod n (Fermat; constant time in k); s = kinv * (e + r*d) mod n.
  if (BN_mod_exp_mont_consttime(kinv.get(), k.get(), n_minus_2, n, ctx, mont) != 1 ||
      BN_mod_mul(t.get(), r.get(), d, n, ctx) != 1 ||
      BN_mod_add(t.get(), t.get(), e, n, ctx) != 1 ||
      BN_mod_mul(s.get(), kinv.get(), t.get(), n, ctx) != 1) {
    return ossl::fail(CryptoError::kBackend);
  }
  if (BN_is_zero(s.get()) == 1) {
    *retry = true;
    return CryptoError::kBackend;
  }
  P256Signature sig;
  if (BN_bn2binpad(r.get(), sig.rs.data(), static_cast<int>(kScalar)) !=
          static_cast<int>(kScalar) ||
      BN_bn2binpad(s.get(), sig.rs.data() + kScalar, static_cast<int>(kScalar)) !=
          static_cast<int>(kScalar)) {
    return ossl::fail(CryptoError::kBackend);
  }
  *out = sig;
  return Status::Ok();
}

// The SubjectPublicKey as an EVP_PKEY (OpenSSL decodes the point and checks it is on the
// curve; load_public has already done so with the same code).
Status make_public_pkey(const P256PublicKey& pub, ossl::Pkey* out) {
  ossl::PkeyCtx pctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!pctx) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  char group[] = "prime256v1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<uint8_t*>(pub.q.data()),
                                        pub.q.size()),
      OSSL_PARAM_construct_end()};
  if (EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
      EVP_PKEY_fromdata(pctx.get(), out->out(), EVP_PKEY_PUBLIC_KEY,
                        const_cast<OSSL_PARAM*>(params)) != 1) {
    return ossl::fail(CryptoError::kBadKey);
  }
  return Status::Ok();
}

}  // namespace

Status p256_derive_key(ByteSpan seed, ByteSpan label, P256PrivateKey* out) {
  if (out == nullptr || seed.data == nullptr || seed.size == 0) {
    return CryptoError::kBadInputLength;
  }
  uint8_t info[sizeof(kDeriveInfo)];  // "locus P-256" (11 bytes) || counter (1 byte)
  memcpy(info, kDeriveInfo, sizeof(kDeriveInfo) - 1);
  auto next = [&](int counter, MutByteSpan cand) {
    info[sizeof(kDeriveInfo) - 1] = static_cast<uint8_t>(counter);
    return hkdf_sha256(label, seed, ByteSpan(info, sizeof(info)), cand);
  };
  return first_valid_scalar(next, out);
}

Status p256_generate_key(Drbg& drbg, P256PrivateKey* out) {
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  if (!drbg.seeded()) {
    return CryptoError::kDrbgNotSeeded;
  }
  return first_valid_scalar([&drbg](int, MutByteSpan cand) { return drbg.generate(cand); }, out);
}

Status p256_public_key(const P256PrivateKey& key, P256PublicKey* out) {
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  if (!scalar_in_range(key.d.data())) {
    return CryptoError::kBadKey;
  }
  const EC_GROUP* g = ossl::p256_group();
  if (g == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  ossl::BnCtx ctx(BN_CTX_secure_new());
  ossl::SecretBn d;
  ossl::Point q(EC_POINT_new(g));
  if (!ctx || !q || !load_secret(key.d.data(), &d)) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  if (EC_POINT_mul(g, q.get(), d.get(), nullptr, nullptr, ctx.get()) != 1) {
    return ossl::fail(CryptoError::kBackend);
  }
  return write_point(g, q.get(), ctx.get(), out);
}

Status p256_check_public(const P256PublicKey& pub) {
  const EC_GROUP* g = ossl::p256_group();
  if (g == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  ossl::BnCtx ctx(BN_CTX_new());
  if (!ctx) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  ossl::Point q;
  return load_public(g, pub, ctx.get(), &q);
}

namespace {

// Montgomery form of the order n and the exponent n - 2 (k^-1 = k^(n-2) mod n): public
// constants, built once per thread instead of once per signature.
struct OrderMont {
  ossl::MontCtx mont;
  ossl::Bn n_minus_2;
};

const OrderMont* order_mont() {
  thread_local const std::unique_ptr<OrderMont> cached = []() -> std::unique_ptr<OrderMont> {
    const BIGNUM* n = ossl::p256_order();
    if (n == nullptr) {
      return nullptr;
    }
    auto m = std::make_unique<OrderMont>();
    ossl::BnCtx ctx(BN_CTX_new());
    *m->mont.out() = BN_MONT_CTX_new();
    *m->n_minus_2.out() = BN_dup(n);
    if (!ctx || !m->mont || !m->n_minus_2 || BN_MONT_CTX_set(m->mont.get(), n, ctx.get()) != 1 ||
        BN_sub_word(m->n_minus_2.get(), 2) != 1) {
      ERR_clear_error();
      return nullptr;
    }
    return m;
  }();
  return cached.get();
}

}  // namespace

Status ecdsa_sign_digest(const P256PrivateKey& key, const Digest& digest, P256Signature* out) {
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  if (!scalar_in_range(key.d.data())) {
    return CryptoError::kBadKey;
  }
  const EC_GROUP* g = ossl::p256_group();
  const BIGNUM* n = ossl::p256_order();
  if (g == nullptr || n == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  ossl::BnCtx ctx(BN_CTX_secure_new());
  const OrderMont* om = order_mont();
  ossl::Bn e;
  ossl::SecretBn d;
  uint8_t eb[kScalar];
  reduce_digest(digest, eb);
  *e.out() = BN_bin2bn(eb, static_cast<int>(kScalar), nullptr);
  if (om == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  if (!ctx || !e || !load_secret(key.d.data(), &d)) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  BN_MONT_CTX* mont = om->mont.get();
  const BIGNUM* n_minus_2 = om->n_minus_2.get();
  Rfc6979 drbg(key.d.data(), eb);
  uint8_t k[kScalar];
  Status result = CryptoError::kBackend;
  for (int i = 0; i < kMaxSignTries; ++i) {
    if (!drbg.next(k)) {
      result = ossl::fail(CryptoError::kBackend);
      break;
    }
    if (!scalar_in_range(k)) {
      continue;  // step h.3: k outside [1, n-1], next candidate
    }
    bool retry = false;
    result = sign_with_k(g, n, ctx.get(), mont, n_minus_2, d.get(), e.get(), k, out, &retry);
    if (!retry) {
      break;
    }
  }
  zeroize(k, sizeof(k));
  return result;
}

Status ecdsa_sign(const P256PrivateKey& key, ByteSpan msg, P256Signature* out) {
  Digest h;
  LOCUS_TRY(sha256(msg, &h));
  return ecdsa_sign_digest(key, h, out);
}

namespace {

// Verification keys recently used by this thread, as ready EVP_PKEY_CTXs (verify initialised).
// Turning a point into an EVP_PKEY and a context costs about a third of a verification, and a
// verifier or landmark checks the same few keys (root, DeviceIDs, landmarks, AKs) over and
// over. Keyed by all 65 bytes of the point, so a different key never hits; an entry exists
// only for a point OpenSSL accepted (on the curve). Public data only: no secret is cached.
class VerifyCache {
 public:
  static constexpr size_t kEntries = 16;
  VerifyCache() = default;
  ~VerifyCache() {
    for (Entry& e : entries_) {
      EVP_PKEY_CTX_free(e.ctx);
    }
  }
  VerifyCache(const VerifyCache&) = delete;
  VerifyCache& operator=(const VerifyCache&) = delete;

  // The context for pub, made and inserted on a miss (evicting the least recently used).
  Status get(const P256PublicKey& pub, EVP_PKEY_CTX** out) {
    ++clock_;
    Entry* victim = &entries_[0];
    for (Entry& e : entries_) {
      if (e.ctx != nullptr && memcmp(e.key.q.data(), pub.q.data(), pub.q.size()) == 0) {
        e.used = clock_;
        *out = e.ctx;
        return Status::Ok();
      }
      if (e.ctx == nullptr || e.used < victim->used) {
        victim = &e;
      }
    }
    ossl::Pkey pkey;
    LOCUS_TRY(make_public_pkey(pub, &pkey));
    EVP_PKEY_CTX* ctx =
        EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr);  // holds a reference
    if (ctx == nullptr) {
      return ossl::fail(CryptoError::kOutOfMemory);
    }
    if (EVP_PKEY_verify_init(ctx) != 1) {
      EVP_PKEY_CTX_free(ctx);
      return ossl::fail(CryptoError::kBackend);
    }
    EVP_PKEY_CTX_free(victim->ctx);
    victim->ctx = ctx;
    victim->key = pub;
    victim->used = clock_;
    *out = ctx;
    return Status::Ok();
  }

 private:
  struct Entry {
    P256PublicKey key;
    EVP_PKEY_CTX* ctx = nullptr;
    uint64_t used = 0;
  };
  Entry entries_[kEntries];
  uint64_t clock_ = 0;
};

}  // namespace

Status ecdsa_verify_digest(const P256PublicKey& pub, const Digest& digest,
                           const P256Signature& sig) {
  // A bad key is reported as such before any signature work (same order as mbed TLS's backend).
  if (pub.q[0] != 0x04) {
    return CryptoError::kBadKey;
  }
  thread_local VerifyCache cache;
  EVP_PKEY_CTX* vctx = nullptr;
  LOCUS_TRY(cache.get(pub, &vctx));
  uint8_t der[kP256SigDerMax];
  size_t der_len = 0;
  LOCUS_TRY(signature_to_der(sig, MutByteSpan(der, sizeof(der)), &der_len));
  // 1: valid. 0: does not verify (including r or s outside [1, n-1]). < 0: error; a signature
  // that could not be checked is not valid either. A verify operation leaves the context
  // initialised for the next one (EVP_PKEY_verify keeps no per-message state).
  const int rc = EVP_PKEY_verify(vctx, der, der_len, digest.data(), digest.size());
  if (rc == 1) {
    return Status::Ok();
  }
  return ossl::fail(CryptoError::kBadSignature);
}

Status ecdsa_verify(const P256PublicKey& pub, ByteSpan msg, const P256Signature& sig) {
  Digest h;
  LOCUS_TRY(sha256(msg, &h));
  return ecdsa_verify_digest(pub, h, sig);
}

Status ecdh_p256(const P256PrivateKey& key, const P256PublicKey& peer,
                 std::array<uint8_t, 32>* shared) {
  if (shared == nullptr) {
    return CryptoError::kBadInputLength;
  }
  if (!scalar_in_range(key.d.data())) {
    return CryptoError::kBadKey;
  }
  const EC_GROUP* g = ossl::p256_group();
  if (g == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  ossl::BnCtx ctx(BN_CTX_secure_new());
  ossl::SecretBn d, x;
  ossl::Point z(EC_POINT_new(g));
  *x.out() = BN_secure_new();
  if (!ctx || !z || !x || !load_secret(key.d.data(), &d)) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  ossl::Point q;
  LOCUS_TRY(load_public(g, peer, ctx.get(), &q));
  // Z = d * Q with the variable-point ladder (constant time in d); the shared secret is x(Z).
  if (EC_POINT_mul(g, z.get(), nullptr, q.get(), d.get(), ctx.get()) != 1 ||
      EC_POINT_is_at_infinity(g, z.get()) == 1 ||
      EC_POINT_get_affine_coordinates(g, z.get(), x.get(), nullptr, ctx.get()) != 1 ||
      BN_bn2binpad(x.get(), shared->data(), static_cast<int>(shared->size())) !=
          static_cast<int>(shared->size())) {
    zeroize(shared->data(), shared->size());
    return ossl::fail(CryptoError::kBackend);
  }
  return Status::Ok();
}

}  // namespace locus::crypto
