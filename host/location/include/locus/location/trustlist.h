// locus/location/trustlist.h: the signed list of landmarks the verifier trusts.
//
// File = COSE_Sign1 (ES256, tag 18) by the trust-list signing key over a UTF-8 JSON payload
//   {"version":1, "landmarks":[{"id":"sg-1","lat":1.29,"lon":103.85,
//     "public_key":"<hex, 65-byte SEC1>","operator":"...","host":"127.0.0.1",
//     "tcp_port":7001,"udp_port":7002}, ...]}
// JSON rather than CBOR because positions are decimal degrees (our CBOR has no floats).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/crypto/p256.h"
#include "locus/status.h"

namespace locus::location {

struct LandmarkEntry {
  std::string id;
  double lat_deg = 0, lon_deg = 0;
  crypto::P256PublicKey key;
  std::string operator_name;
  std::string host;
  uint16_t tcp_port = 0, udp_port = 0;
};

struct TrustList {
  std::vector<LandmarkEntry> landmarks;
  const LandmarkEntry* find(const std::string& id) const;
};

// Errors are host::HStatus / HostResult with module kGeo codes: kBadTrustList (the message
// names the entry and field), kBadSignature, kBadConfig (not a P-256 key), kIo.

// Unsigned JSON list <-> entries.
host::HStatus parse_trust_list_json(const std::string& json_text, TrustList* out);
std::string trust_list_to_json(const TrustList& t);
// Signs the JSON payload (validated first).
host::HStatus sign_trust_list(const std::string& json_text, const crypto::P256PrivateKey& signer,
                              std::vector<uint8_t>* cose_out);
// Verifies and parses a signed list (bytes or file).
host::HostResult<TrustList> verify_trust_list(const std::vector<uint8_t>& cose,
                                              const crypto::P256PublicKey& signer);
host::HostResult<TrustList> load_trust_list(const std::string& path,
                                            const crypto::P256PublicKey& trust_list_signer);

// Key files: PEM or DER (SEC1 / PKCS#8 private, SubjectPublicKeyInfo public; a raw 65-byte
// SEC1 point or its hex is also accepted for public keys).
host::HStatus load_private_key(const std::string& path, crypto::P256PrivateKey* out);
host::HStatus load_public_key(const std::string& path, crypto::P256PublicKey* out);
// Writes a PKCS#8/SEC1 PEM private key (mode 0600, refuses to overwrite).
host::HStatus write_private_key_pem(const std::string& path, const crypto::P256PrivateKey& key);
host::HStatus write_public_key_pem(const std::string& path, const crypto::P256PublicKey& key);

// Hex and whole-file reads: locus/common/common.h (host::hex_encode, hex_decode, read_file).

}  // namespace locus::location
