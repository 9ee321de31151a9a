#include "locus_test/license.h"

#include <string.h>

#include "locus/crypto/cose.h"

// cmocka last: it defines macros that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

namespace locus_test {

std::vector<uint8_t> sign_full_license(const locus::crypto::P256PrivateKey& key,
                                       const locus::protocol::Ueid& ueid,
                                       const std::vector<uint8_t>& nonce,
                                       const locus::protocol::BoardNonce& board_nonce,
                                       uint64_t counter, uint32_t lease_s,
                                       const locus::protocol::Fwid& fwid, const char* site) {
  namespace proto = locus::protocol;
  proto::License l;
  l.ueid = ueid;
  l.nonce = locus::ByteSpan(nonce.data(), nonce.size());
  l.board_nonce = board_nonce;
  l.counter = counter;
  l.mode = proto::kModeFull;
  l.lease_s = lease_s;
  l.site = locus::ByteSpan(reinterpret_cast<const uint8_t*>(site), strlen(site));
  l.fwid = fwid;
  uint8_t payload[512];
  size_t plen = 0;
  assert_true(proto::encode_license(l, locus::MutByteSpan(payload, sizeof(payload)), &plen).ok());
  std::vector<uint8_t> out(1024);
  size_t olen = 0;
  locus::cose::Sign1Options opt;
  assert_true(locus::cose::sign1_es256(key, locus::ByteSpan(payload, plen), opt,
                                       locus::MutByteSpan(out.data(), out.size()), &olen)
                  .ok());
  out.resize(olen);
  return out;
}

locus::protocol::BoardNonce evidence_board_nonce(const std::vector<uint8_t>& evidence_cose) {
  locus::cose::Sign1View v;
  locus::protocol::EatClaims c;
  assert_true(
      locus::cose::sign1_decode(locus::ByteSpan(evidence_cose.data(), evidence_cose.size()), &v)
          .ok());
  assert_true(locus::protocol::decode_claims(v.payload, &c).ok());
  return c.board_nonce;
}

}  // namespace locus_test
