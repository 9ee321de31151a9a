// locus/protocol/dbound.h: distance-bounding session key, response table and answers
// (DESIGN §4). Shared by the firmware (answers) and the landmark (checks answers).
//
//   K = HKDF-SHA256(salt = lm_nonce || session_id, ikm = ECDH shared secret,
//                   info = "locus/dbound/v1" || lm_eph_pub || dev_eph_pub || verifier_nonce)
//   material = HKDF-Expand(PRK = K, info = "locus/dbound/table", L = 24*16*12 + rounds*12)
//            = T[24][16][12] || R[rounds][12]
//   answer(i, c) = R[i] XOR  XOR_{j<24} T[j][nibble_j(c)],  nibble_j = high nibble first.
// answer() is a table lookup plus XOR: no hashing, no branches on secret data.
// Freestanding, no heap.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/span.h"
#include "locus/status.h"

namespace locus::protocol::dbound {

constexpr size_t kChallengeSize = 12;
constexpr size_t kAnswerSize = 12;
constexpr size_t kNibbles = 2 * kChallengeSize;  // 24
constexpr size_t kMinRounds = 1;
constexpr size_t kMaxRounds = 64;
constexpr size_t kSessionIdSize = 16;
constexpr size_t kKeySize = 32;
constexpr size_t kTSize = kNibbles * 16 * kAnswerSize;  // 4608
constexpr size_t kMaxMaterial = kTSize + kMaxRounds * kAnswerSize;
constexpr char kKeyLabel[] = "locus/dbound/v1";
constexpr char kTableLabel[] = "locus/dbound/table";

constexpr size_t kAnswerWords = kAnswerSize / 4;  // 3

// The derived material, held as 32-bit words so that an answer is 24 x 3 word XORs. Word w of
// an entry holds its bytes 4w..4w+3 little-endian (byte 4w in bits 0..7), whatever the CPU's
// byte order; on a little-endian CPU the memory image is exactly the derived byte string.
struct Table {
  uint32_t t[kNibbles][16][kAnswerWords];
  uint32_t r[kMaxRounds][kAnswerWords];
  uint8_t rounds;
};

// K from the ECDH shared secret and the session values (sizes as in docs/protocol.md:
// lm_nonce and verifier_nonce 16..64, session_id 16, public keys 65).
Status derive_session_key(ByteSpan shared, ByteSpan lm_nonce, ByteSpan session_id,
                          ByteSpan lm_eph_pub, ByteSpan dev_eph_pub, ByteSpan verifier_nonce,
                          uint8_t key[kKeySize]);

// Expands K into the table for `rounds` (1..64) rounds. On failure *out is zeroised.
Status derive_table(const uint8_t key[kKeySize], size_t rounds, Table* out);

// The answer for round `round` (< table.rounds; the caller enforces order) to challenge c:
// 24 nibble lookups, 72 word XORs, no branches on secret data. One step per challenge byte
// (its two nibbles) keeps the three accumulators in registers (Cortex-M4: ~22 instructions
// a step, ~300 for the whole answer).
inline void answer(const Table& table, size_t round, const uint8_t c[kChallengeSize],
                   uint8_t out[kAnswerSize]) {
  uint32_t a0 = table.r[round][0];
  uint32_t a1 = table.r[round][1];
  uint32_t a2 = table.r[round][2];
  const uint32_t* pos = &table.t[0][0][0];  // T[2k][0]: walks two nibble positions a step
  for (size_t k = 0; k < kChallengeSize; ++k, pos += kAnswerWords * 2 * 16) {
    const uint32_t* hi = pos + (c[k] >> 4) * kAnswerWords;
    const uint32_t* lo = pos + (16 + (c[k] & 0xF)) * kAnswerWords;
    a0 ^= hi[0] ^ lo[0];
    a1 ^= hi[1] ^ lo[1];
    a2 ^= hi[2] ^ lo[2];
  }
  const uint32_t acc[kAnswerWords] = {a0, a1, a2};
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(out, acc, kAnswerSize);  // the words' memory image is the answer's byte string
#else
  for (size_t w = 0; w < kAnswerWords; ++w) {
    out[4 * w] = static_cast<uint8_t>(acc[w]);
    out[4 * w + 1] = static_cast<uint8_t>(acc[w] >> 8);
    out[4 * w + 2] = static_cast<uint8_t>(acc[w] >> 16);
    out[4 * w + 3] = static_cast<uint8_t>(acc[w] >> 24);
  }
#endif
}

// Wipes the table (after close or on error).
void zeroize(Table* table);

}  // namespace locus::protocol::dbound
