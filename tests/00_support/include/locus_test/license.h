// locus_test/license.h: a FULL license signed as the verifier would sign it (host tests that
// drive a real board: host-sim process, QEMU). Link locus_test_license.
#pragma once

#include <stdint.h>

#include <vector>

#include "locus/crypto/p256.h"
#include "locus/protocol/claims.h"

namespace locus_test {

// COSE_Sign1 ES256 (signed with key) over the encoded license {ueid, nonce, counter,
// mode FULL, lease_s, site, fwid, board nonce}. Any encoding or signing error fails the
// running test.
std::vector<uint8_t> sign_full_license(const locus::crypto::P256PrivateKey& key,
                                       const locus::protocol::Ueid& ueid,
                                       const std::vector<uint8_t>& nonce,
                                       const locus::protocol::BoardNonce& board_nonce,
                                       uint64_t counter, uint32_t lease_s,
                                       const locus::protocol::Fwid& fwid, const char* site);

// The board nonce claim of an evidence COSE_Sign1 (fails the running test if it is not one).
locus::protocol::BoardNonce evidence_board_nonce(const std::vector<uint8_t>& evidence_cose);

}  // namespace locus_test
