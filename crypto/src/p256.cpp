// ECDSA (RFC 6979) and ECDH on NIST P-256 over mbed TLS's legacy ECP API.
#include "locus/crypto/p256.h"

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <string.h>

#include "locus/crypto/ct.h"
#include "mbedtls_glue.h"

namespace locus::crypto {

P256PrivateKey::~P256PrivateKey() {
  zeroize(d.data(), d.size());
}

namespace {

constexpr size_t kScalar = 32;
constexpr int kMaxDeriveTries = 16;
constexpr char kDeriveInfo[] = "locus P-256";  // without the terminating NUL
constexpr uint8_t kBlindSign[] = {'l', 'o', 'c', 'u', 's', ' ', 'b', 'l', 'i', 'n', 'd', ' ', 's'};
constexpr uint8_t kBlindPub[] = {'l', 'o', 'c', 'u', 's', ' ', 'b', 'l', 'i', 'n', 'd', ' ', 'p'};
constexpr uint8_t kBlindEcdh[] = {'l', 'o', 'c', 'u', 's', ' ', 'b', 'l', 'i', 'n', 'd', ' ', 'e'};

// RAII holders so that every exit path frees (and thereby zeroises) mbed TLS objects.
struct Group {
  mbedtls_ecp_group g{};
  int ret = 0;
  Group() {
    mbedtls_ecp_group_init(&g);
    ret = mbedtls_ecp_group_load(&g, MBEDTLS_ECP_DP_SECP256R1);
  }
  ~Group() { mbedtls_ecp_group_free(&g); }
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
};
template <typename T, void (*Init)(T*), void (*Free)(T*)>
struct Holder {
  T v;
  Holder() { Init(&v); }
  ~Holder() { Free(&v); }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
};
using Mpi = Holder<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;
using Point = Holder<mbedtls_ecp_point, mbedtls_ecp_point_init, mbedtls_ecp_point_free>;
using Keypair = Holder<mbedtls_ecp_keypair, mbedtls_ecp_keypair_init, mbedtls_ecp_keypair_free>;

// Loads a private scalar and checks 1 <= d <= n-1.
Status load_private(const Group& grp, const P256PrivateKey& key, Mpi* d) {
  int ret = mbedtls_mpi_read_binary(&d->v, key.d.data(), key.d.size());
  if (ret != 0) {
    return detail::map_error(ret);
  }
  if (mbedtls_ecp_check_privkey(&grp.g, &d->v) != 0) {
    return CryptoError::kBadKey;
  }
  return Status::Ok();
}

// Loads an uncompressed public point and checks that it lies on the curve.
Status load_public(const Group& grp, const P256PublicKey& pub, Point* q) {
  if (pub.q[0] != 0x04) {
    return CryptoError::kBadKey;  // only uncompressed points
  }
  if (mbedtls_ecp_point_read_binary(&grp.g, &q->v, pub.q.data(), pub.q.size()) != 0) {
    return CryptoError::kBadKey;
  }
  if (mbedtls_ecp_check_pubkey(&grp.g, &q->v) != 0) {
    return CryptoError::kBadKey;
  }
  return Status::Ok();
}

// Scalar candidate check without keeping the MPI.
bool is_valid_scalar(const Group& grp, const uint8_t* cand) {
  Mpi d;
  if (mbedtls_mpi_read_binary(&d.v, cand, kScalar) != 0) {
    return false;
  }
  return mbedtls_ecp_check_privkey(&grp.g, &d.v) == 0;
}

// Draws candidates with next(i, cand) for i = 0.. until one is a valid scalar (at most
// kMaxDeriveTries); a failing next() ends the search with its status.
template <typename Next>
Status first_valid_scalar(const Group& grp, Next next, P256PrivateKey* out) {
  uint8_t cand[kScalar];
  Status result = CryptoError::kKeyDerivationExhausted;
  for (int i = 0; i < kMaxDeriveTries; ++i) {
    const Status s = next(i, MutByteSpan(cand, kScalar));
    if (!s.ok()) {
      result = s;
      break;
    }
    if (is_valid_scalar(grp, cand)) {
      memcpy(out->d.data(), cand, kScalar);
      result = Status::Ok();
      break;
    }
  }
  zeroize(cand, sizeof(cand));
  return result;
}

}  // namespace

Status p256_derive_key(ByteSpan seed, ByteSpan label, P256PrivateKey* out) {
  if (out == nullptr || seed.data == nullptr || seed.size == 0) {
    return CryptoError::kBadInputLength;
  }
  Group grp;
  if (grp.ret != 0) {
    return detail::map_error(grp.ret);
  }
  uint8_t info[sizeof(kDeriveInfo)];  // "locus P-256" (11 bytes) || counter (1 byte)
  memcpy(info, kDeriveInfo, sizeof(kDeriveInfo) - 1);
  auto next = [&](int counter, MutByteSpan cand) {
    info[sizeof(kDeriveInfo) - 1] = static_cast<uint8_t>(counter);
    return hkdf_sha256(label, seed, ByteSpan(info, sizeof(info)), cand);
  };
  return first_valid_scalar(grp, next, out);
}

Status p256_generate_key(Drbg& drbg, P256PrivateKey* out) {
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  if (!drbg.seeded()) {
    return CryptoError::kDrbgNotSeeded;
  }
  Group grp;
  if (grp.ret != 0) {
    return detail::map_error(grp.ret);
  }
  return first_valid_scalar(
      grp, [&drbg](int, MutByteSpan cand) { return drbg.generate(cand); }, out);
}

Status p256_public_key(const P256PrivateKey& key, P256PublicKey* out) {
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  Keypair kp;
  int ret = mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, &kp.v, key.d.data(), key.d.size());
  if (ret != 0) {
    return CryptoError::kBadKey;
  }
  detail::BlindRng blind(ByteSpan(key.d.data(), key.d.size()), ByteSpan(kBlindPub));
  LOCUS_TRY(blind.status());
  ret = mbedtls_ecp_keypair_calc_public(&kp.v, detail::BlindRng::rng, &blind);
  if (ret != 0) {
    return detail::map_error(ret);
  }
  size_t olen = 0;
  ret = mbedtls_ecp_write_public_key(&kp.v, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, out->q.data(),
                                     out->q.size());
  if (ret != 0) {
    return detail::map_error(ret);
  }
  if (olen != out->q.size()) {
    return CryptoError::kBackend;
  }
  return Status::Ok();
}

Status p256_check_public(const P256PublicKey& pub) {
  Group grp;
  if (grp.ret != 0) {
    return detail::map_error(grp.ret);
  }
  Point q;
  return load_public(grp, pub, &q);
}

Status ecdsa_sign_digest(const P256PrivateKey& key, const Digest& digest, P256Signature* out) {
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  Group grp;
  if (grp.ret != 0) {
    return detail::map_error(grp.ret);
  }
  Mpi d, r, s;
  LOCUS_TRY(load_private(grp, key, &d));
  // Blinding randomness bound to this key and this digest (see BlindRng).
  uint8_t ctx[sizeof(kBlindSign) + kSha256Size];
  memcpy(ctx, kBlindSign, sizeof(kBlindSign));
  memcpy(ctx + sizeof(kBlindSign), digest.data(), kSha256Size);
  detail::BlindRng blind(ByteSpan(key.d.data(), key.d.size()), ByteSpan(ctx, sizeof(ctx)));
  LOCUS_TRY(blind.status());
  int ret = mbedtls_ecdsa_sign_det_ext(&grp.g, &r.v, &s.v, &d.v, digest.data(), digest.size(),
                                       MBEDTLS_MD_SHA256, detail::BlindRng::rng, &blind);
  if (ret != 0) {
    return detail::map_error(ret);
  }
  P256Signature sig;
  ret = mbedtls_mpi_write_binary(&r.v, sig.rs.data(), kScalar);
  if (ret == 0) {
    ret = mbedtls_mpi_write_binary(&s.v, sig.rs.data() + kScalar, kScalar);
  }
  if (ret != 0) {
    return detail::map_error(ret);
  }
  *out = sig;
  return Status::Ok();
}

Status ecdsa_sign(const P256PrivateKey& key, ByteSpan msg, P256Signature* out) {
  Digest h;
  LOCUS_TRY(sha256(msg, &h));
  return ecdsa_sign_digest(key, h, out);
}

Status ecdsa_verify_digest(const P256PublicKey& pub, const Digest& digest,
                           const P256Signature& sig) {
  Group grp;
  if (grp.ret != 0) {
    return detail::map_error(grp.ret);
  }
  Point q;
  LOCUS_TRY(load_public(grp, pub, &q));
  Mpi r, s;
  int ret = mbedtls_mpi_read_binary(&r.v, sig.rs.data(), kScalar);
  if (ret == 0) {
    ret = mbedtls_mpi_read_binary(&s.v, sig.rs.data() + kScalar, kScalar);
  }
  if (ret != 0) {
    return detail::map_error(ret);
  }
  ret = mbedtls_ecdsa_verify(&grp.g, digest.data(), digest.size(), &q.v, &r.v, &s.v);
  if (ret == 0) {
    return Status::Ok();
  }
  // Any failure of the verification itself (range checks, point at infinity, mismatch) is a
  // bad signature; only resource failures are reported as such.
  const CryptoError e = detail::map_error(ret);
  return e == CryptoError::kOutOfMemory ? Status(e) : Status(CryptoError::kBadSignature);
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
  Group grp;
  if (grp.ret != 0) {
    return detail::map_error(grp.ret);
  }
  Mpi d, z;
  Point q;
  LOCUS_TRY(load_private(grp, key, &d));
  LOCUS_TRY(load_public(grp, peer, &q));
  uint8_t ctx[sizeof(kBlindEcdh) + 65];
  memcpy(ctx, kBlindEcdh, sizeof(kBlindEcdh));
  memcpy(ctx + sizeof(kBlindEcdh), peer.q.data(), peer.q.size());
  detail::BlindRng blind(ByteSpan(key.d.data(), key.d.size()), ByteSpan(ctx, sizeof(ctx)));
  LOCUS_TRY(blind.status());
  int ret = mbedtls_ecdh_compute_shared(&grp.g, &z.v, &q.v, &d.v, detail::BlindRng::rng, &blind);
  if (ret != 0) {
    return detail::map_error(ret);
  }
  ret = mbedtls_mpi_write_binary(&z.v, shared->data(), shared->size());
  if (ret != 0) {
    zeroize(shared->data(), shared->size());
    return detail::map_error(ret);
  }
  return Status::Ok();
}

}  // namespace locus::crypto
