// Distance-bounding key and table derivation (see dbound.h).
#include "locus/protocol/dbound.h"

#include <string.h>

#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/protocol/errors.h"

namespace locus::protocol::dbound {
namespace {
constexpr size_t kMaxNonce = 64;
constexpr size_t kPubSize = 65;
}  // namespace

Status derive_session_key(ByteSpan shared, ByteSpan lm_nonce, ByteSpan session_id,
                          ByteSpan lm_eph_pub, ByteSpan dev_eph_pub, ByteSpan verifier_nonce,
                          uint8_t key[kKeySize]) {
  if (shared.size != 32 || lm_nonce.size < 16 || lm_nonce.size > kMaxNonce ||
      session_id.size != kSessionIdSize || lm_eph_pub.size != kPubSize ||
      dev_eph_pub.size != kPubSize || verifier_nonce.size < 16 || verifier_nonce.size > kMaxNonce) {
    return ProtocolError::kFieldWrongSize;
  }
  uint8_t salt[kMaxNonce + kSessionIdSize];
  memcpy(salt, lm_nonce.data, lm_nonce.size);
  memcpy(salt + lm_nonce.size, session_id.data, session_id.size);
  constexpr size_t kLabelLen = sizeof(kKeyLabel) - 1;
  uint8_t info[kLabelLen + 2 * kPubSize + kMaxNonce];
  size_t n = 0;
  memcpy(info, kKeyLabel, kLabelLen);
  n += kLabelLen;
  memcpy(info + n, lm_eph_pub.data, kPubSize);
  n += kPubSize;
  memcpy(info + n, dev_eph_pub.data, kPubSize);
  n += kPubSize;
  memcpy(info + n, verifier_nonce.data, verifier_nonce.size);
  n += verifier_nonce.size;
  return crypto::hkdf_sha256(ByteSpan(salt, lm_nonce.size + session_id.size), shared,
                             ByteSpan(info, n), MutByteSpan(key, kKeySize));
}

Status derive_table(const uint8_t key[kKeySize], size_t rounds, Table* out) {
  if (rounds < kMinRounds || rounds > kMaxRounds) {
    return ProtocolError::kFieldOutOfRange;
  }
  zeroize(out);
  // HKDF-Expand (RFC 5869 §2.3) with PRK = K: T(i) = HMAC(PRK, T(i-1) || info || i).
  const size_t total = kTSize + rounds * kAnswerSize;
  constexpr size_t kInfoLen = sizeof(kTableLabel) - 1;
  uint8_t msg[32 + kInfoLen + 1];
  crypto::Digest block{};
  size_t done = 0;
  uint8_t counter = 1;
  size_t prev_len = 0;
  Status st = Status::Ok();
  while (done < total) {
    memcpy(msg, block.data(), prev_len);
    memcpy(msg + prev_len, kTableLabel, kInfoLen);
    msg[prev_len + kInfoLen] = counter;
    st = crypto::hmac_sha256(ByteSpan(key, kKeySize), ByteSpan(msg, prev_len + kInfoLen + 1),
                             &block);
    if (!st.ok()) {
      break;
    }
    const size_t take = total - done < block.size() ? total - done : block.size();
    for (size_t i = 0; i < take; ++i) {
      // Byte `pos` of the material goes to byte pos % 12 of its entry: word (pos % 12) / 4,
      // bits 8 * (pos % 4) (the table starts zeroed).
      const size_t pos = done + i;
      const size_t byte = pos % kAnswerSize;
      const uint32_t bits = static_cast<uint32_t>(block[i]) << (8 * (byte % 4));
      if (pos < kTSize) {
        const size_t j = pos / (16 * kAnswerSize);
        const size_t v = (pos / kAnswerSize) % 16;
        out->t[j][v][byte / 4] |= bits;
      } else {
        const size_t q = pos - kTSize;
        out->r[q / kAnswerSize][byte / 4] |= bits;
      }
    }
    done += take;
    prev_len = block.size();
    ++counter;
  }
  crypto::zeroize(msg, sizeof(msg));
  crypto::zeroize(block.data(), block.size());
  if (!st.ok()) {
    zeroize(out);
    return st;
  }
  out->rounds = static_cast<uint8_t>(rounds);
  return Status::Ok();
}

void zeroize(Table* table) {
  crypto::zeroize(table, sizeof(*table));
}

}  // namespace locus::protocol::dbound
