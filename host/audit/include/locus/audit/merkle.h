// locus/audit/merkle.h: the audit log as an RFC 9162 (Certificate Transparency v2) Merkle
// tree, and signed tree heads (docs/audit.md).
//
// Leaves are the log's records in order, each leaf the exact bytes of its JSON line without
// the trailing newline. leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left ||
// right), the tree shape of RFC 9162 §2.1.1 (split at the largest power of two below n);
// the empty tree's hash is SHA-256(""). Inclusion and consistency proofs are those of
// RFC 9162 §2.1.3 / §2.1.4, verified with the algorithms given there.
//
// A signed tree head (STH) is ES256 (raw r||s) with the verifier's audit key over
//   "locus-audit-sth-v1" (18 bytes) || tree_size (u64 big-endian) ||
//   timestamp_ms (u64 big-endian) || root_hash (32 bytes).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"

namespace locus::audit {

using host::Bytes;
using host::HostResult;
using host::HStatus;
using Hash = crypto::Digest;

Hash leaf_hash(ByteSpan leaf);
Hash node_hash(const Hash& left, const Hash& right);
// MTH over leaf hashes [0, n).
Hash tree_root(const std::vector<Hash>& leaves, uint64_t n);
// PATH(m, D[n]) and PROOF(m, D[n]); preconditions checked (kUsage when out of range).
HostResult<std::vector<Hash>> inclusion_proof(const std::vector<Hash>& leaves, uint64_t index,
                                              uint64_t n);
HostResult<std::vector<Hash>> consistency_proof(const std::vector<Hash>& leaves, uint64_t m,
                                                uint64_t n);
// RFC 9162 §2.1.3.2 and §2.1.4.2 verification. Errors: kAuditBroken, saying what does not hold.
HStatus verify_inclusion(uint64_t index, uint64_t n, const Hash& leaf,
                         const std::vector<Hash>& path, const Hash& root);
HStatus verify_consistency(uint64_t m, uint64_t n, const Hash& old_root, const Hash& new_root,
                           const std::vector<Hash>& proof);

// The log's leaves: every line of the file (bounded), with its hash.
struct LogLeaves {
  std::vector<std::string> lines;
  std::vector<Hash> hashes;
};
HostResult<LogLeaves> read_leaves(const std::string& log_path);

struct SignedHead {
  uint64_t tree_size = 0;
  Hash root{};
  uint64_t timestamp_ms = 0;
  crypto::P256Signature sig{};
  Hash key_id{};  // SHA-256 of the signer's SEC1 public key
};
Bytes head_tbs(const SignedHead& h);
HostResult<SignedHead> sign_head(uint64_t tree_size, const Hash& root,
                                 const crypto::P256PrivateKey& key);
// Checks the signature (and key id) with the audit public key.
HStatus verify_head(const SignedHead& h, const crypto::P256PublicKey& pub);
nlohmann::json head_to_json(const SignedHead& h);
HostResult<SignedHead> head_from_json(const nlohmann::json& j);

std::string hash_hex(const Hash& h);
HostResult<Hash> hash_from_hex(const std::string& s);

}  // namespace locus::audit
