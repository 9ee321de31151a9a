// RFC 9162 Merkle tree over the audit log; signed tree heads.
#include "locus/audit/merkle.h"

#include <chrono>
#include <fstream>

namespace locus::audit {

using host::HostError;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxLine = 1u << 20;
constexpr uint64_t kMaxLeaves = 1ull << 32;
const char kSthLabel[] = "locus-audit-sth-v1";

// Largest power of two strictly less than n (n >= 2).
uint64_t split(uint64_t n) {
  uint64_t k = 1;
  while ((k << 1) < n) k <<= 1;
  return k;
}

Hash root_range(const std::vector<Hash>& l, uint64_t begin, uint64_t end) {
  uint64_t n = end - begin;
  if (n == 1) return l[begin];
  uint64_t k = split(n);
  return node_hash(root_range(l, begin, begin + k), root_range(l, begin + k, end));
}

void path_range(const std::vector<Hash>& l, uint64_t m, uint64_t begin, uint64_t end,
                std::vector<Hash>* out) {
  uint64_t n = end - begin;
  if (n == 1) return;
  uint64_t k = split(n);
  if (m < k) {
    path_range(l, m, begin, begin + k, out);
    out->push_back(root_range(l, begin + k, end));
  } else {
    path_range(l, m - k, begin + k, end, out);
    out->push_back(root_range(l, begin, begin + k));
  }
}

// SUBPROOF(m, D[begin:end], b) of RFC 9162 §2.1.4.1.
void subproof(const std::vector<Hash>& l, uint64_t m, uint64_t begin, uint64_t end, bool b,
              std::vector<Hash>* out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!b) out->push_back(root_range(l, begin, end));
    return;
  }
  uint64_t k = split(n);
  if (m <= k) {
    subproof(l, m, begin, begin + k, b, out);
    out->push_back(root_range(l, begin + k, end));
  } else {
    subproof(l, m - k, begin + k, end, false, out);
    out->push_back(root_range(l, begin, begin + k));
  }
}

void put_u64(Bytes& b, uint64_t v) {
  for (int i = 7; i >= 0; i--) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

Hash leaf_hash(ByteSpan leaf) {
  crypto::Sha256 h;
  Hash d{};
  const uint8_t pre = 0x00;
  (void)h.update(ByteSpan(&pre, 1)).ok();
  (void)h.update(leaf).ok();
  (void)h.finish(&d).ok();
  return d;
}

Hash node_hash(const Hash& left, const Hash& right) {
  crypto::Sha256 h;
  Hash d{};
  const uint8_t pre = 0x01;
  (void)h.update(ByteSpan(&pre, 1)).ok();
  (void)h.update(ByteSpan(left.data(), left.size())).ok();
  (void)h.update(ByteSpan(right.data(), right.size())).ok();
  (void)h.finish(&d).ok();
  return d;
}

Hash tree_root(const std::vector<Hash>& leaves, uint64_t n) {
  if (n == 0 || n > leaves.size()) {
    Hash d{};
    (void)crypto::sha256(ByteSpan(), &d).ok();
    if (n == 0) return d;
    return Hash{};  // out of range: callers check n first
  }
  return root_range(leaves, 0, n);
}

HostResult<std::vector<Hash>> inclusion_proof(const std::vector<Hash>& leaves, uint64_t index,
                                              uint64_t n) {
  if (n > leaves.size())
    return {HostError::kUsage, "tree size " + std::to_string(n) + " is larger than the log (" +
                                   std::to_string(leaves.size()) + " records)"};
  if (index >= n)
    return {HostError::kUsage,
            "leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(n)};
  std::vector<Hash> out;
  path_range(leaves, index, 0, n, &out);
  return out;
}

HostResult<std::vector<Hash>> consistency_proof(const std::vector<Hash>& leaves, uint64_t m,
                                                uint64_t n) {
  if (n > leaves.size())
    return {HostError::kUsage, "tree size " + std::to_string(n) + " is larger than the log (" +
                                   std::to_string(leaves.size()) + " records)"};
  if (m == 0 || m > n) return {HostError::kUsage, "old tree size must be 1.." + std::to_string(n)};
  std::vector<Hash> out;
  if (m < n) subproof(leaves, m, 0, n, true, &out);
  return out;
}

namespace {
HStatus broken(const char* what) {
  return {HostError::kAuditBroken, what};
}
}  // namespace

HStatus verify_inclusion(uint64_t index, uint64_t n, const Hash& leaf,
                         const std::vector<Hash>& path, const Hash& root) {
  if (index >= n) {
    return broken("leaf index is not below the tree size");
  }
  uint64_t fn = index, sn = n - 1;
  Hash r = leaf;
  for (const Hash& p : path) {
    if (sn == 0) {
      return broken("inclusion proof is longer than the tree allows");
    }
    if (((fn & 1) != 0u) || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0u)
        while (fn != 0 && ((fn & 1) == 0u)) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return broken("inclusion proof is shorter than the tree needs");
  }
  if (r != root) {
    return broken("inclusion proof does not lead to the tree head's root");
  }
  return HStatus::Ok();
}

HStatus verify_consistency(uint64_t m, uint64_t n, const Hash& old_root, const Hash& new_root,
                           const std::vector<Hash>& proof) {
  if (m == 0 || m > n) {
    return broken("old tree size must be 1..new tree size");
  }
  if (m == n) {
    if (!proof.empty()) {
      return broken("a proof between equal sizes must be empty");
    }
    if (old_root != new_root) {
      return broken("same tree size, different roots: the log was rewritten");
    }
    return HStatus::Ok();
  }
  if (proof.empty()) {
    return broken("empty consistency proof");
  }
  std::vector<Hash> p = proof;
  // RFC 9162 §2.1.4.2: if first is an exact power of 2, prepend first_hash.
  if ((m & (m - 1)) == 0) p.insert(p.begin(), old_root);
  uint64_t fn = m - 1, sn = n - 1;
  while ((fn & 1) != 0u) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = p[0], sr = p[0];
  for (size_t i = 1; i < p.size(); i++) {
    if (sn == 0) {
      return broken("consistency proof is longer than the trees allow");
    }
    const Hash& c = p[i];
    if (((fn & 1) != 0u) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if ((fn & 1) == 0u)
        while (fn != 0 && ((fn & 1) == 0u)) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return broken("consistency proof is shorter than the trees need");
  }
  if (fr != old_root) {
    return broken(
        "the old tree head's root is not a prefix of the new tree: records were rewritten");
  }
  if (sr != new_root) {
    return broken("consistency proof does not lead to the new tree head's root");
  }
  return HStatus::Ok();
}

HostResult<LogLeaves> read_leaves(const std::string& log_path) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) return {HostError::kIo, log_path + ": cannot open"};
  LogLeaves out;
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    n++;
    if (in.eof())
      return {HostError::kAuditBroken,
              log_path + ": line " + std::to_string(n) + " is not terminated (torn write)"};
    if (line.size() > kMaxLine || n > kMaxLeaves)
      return {HostError::kAuditBroken, log_path + ": line " + std::to_string(n) + " too long"};
    out.hashes.push_back(
        leaf_hash(ByteSpan(reinterpret_cast<const uint8_t*>(line.data()), line.size())));
    out.lines.push_back(std::move(line));
  }
  return out;
}

Bytes head_tbs(const SignedHead& h) {
  Bytes b(kSthLabel, kSthLabel + sizeof(kSthLabel) - 1);
  put_u64(b, h.tree_size);
  put_u64(b, h.timestamp_ms);
  b.insert(b.end(), h.root.begin(), h.root.end());
  return b;
}

HostResult<SignedHead> sign_head(uint64_t tree_size, const Hash& root,
                                 const crypto::P256PrivateKey& key) {
  SignedHead h;
  h.tree_size = tree_size;
  h.root = root;
  h.timestamp_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  crypto::P256PublicKey pub;
  if (!crypto::p256_public_key(key, &pub).ok())
    return {HostError::kConfig, "audit key is not a P-256 key"};
  if (!crypto::sha256(ByteSpan(pub.q.data(), pub.q.size()), &h.key_id).ok())
    return {HostError::kInternal, "sha256 failed"};
  if (!crypto::ecdsa_sign(key, head_tbs(h), &h.sig).ok())
    return {HostError::kInternal, "signing the tree head failed"};
  return h;
}

HStatus verify_head(const SignedHead& h, const crypto::P256PublicKey& pub) {
  Hash kid{};
  if (!crypto::sha256(ByteSpan(pub.q.data(), pub.q.size()), &kid).ok())
    return {HostError::kInternal, "sha256 failed"};
  if (kid != h.key_id)
    return {HostError::kRefused, "tree head was signed by another key (key_id " +
                                     hash_hex(h.key_id) + ", expected " + hash_hex(kid) + ")"};
  if (!crypto::ecdsa_verify(pub, head_tbs(h), h.sig).ok())
    return {HostError::kRefused, "tree head signature does not verify with the audit key"};
  return HStatus::Ok();
}

std::string hash_hex(const Hash& h) {
  return host::hex_encode(ByteSpan(h.data(), h.size()));
}

HostResult<Hash> hash_from_hex(const std::string& s) {
  auto b = host::hex_decode(s);
  if (!b.ok() || b.value().size() != 32)
    return {HostError::kParse, "not a 32-byte hex hash: '" + s.substr(0, 80) + "'"};
  Hash h{};
  std::copy(b.value().begin(), b.value().end(), h.begin());
  return h;
}

json head_to_json(const SignedHead& h) {
  return {{"tree_size", h.tree_size},
          {"root_hash", hash_hex(h.root)},
          {"timestamp_ms", h.timestamp_ms},
          {"key_id", hash_hex(h.key_id)},
          {"signature", host::hex_encode(ByteSpan(h.sig.rs.data(), h.sig.rs.size()))}};
}

HostResult<SignedHead> head_from_json(const json& j) {
  if (!j.is_object()) return {HostError::kParse, "tree head is not a JSON object"};
  for (const char* k : {"tree_size", "root_hash", "timestamp_ms", "key_id", "signature"})
    if (!j.contains(k)) return {HostError::kParse, std::string("tree head lacks '") + k + "'"};
  if (!j["tree_size"].is_number_unsigned() || !j["timestamp_ms"].is_number_unsigned() ||
      !j["root_hash"].is_string() || !j["key_id"].is_string() || !j["signature"].is_string())
    return {HostError::kParse, "tree head fields have the wrong types"};
  SignedHead h;
  h.tree_size = j["tree_size"].get<uint64_t>();
  h.timestamp_ms = j["timestamp_ms"].get<uint64_t>();
  auto r = hash_from_hex(j["root_hash"].get<std::string>());
  if (!r.ok()) return {HostError::kParse, "tree head root_hash: " + r.message()};
  h.root = r.value();
  auto k = hash_from_hex(j["key_id"].get<std::string>());
  if (!k.ok()) return {HostError::kParse, "tree head key_id: " + k.message()};
  h.key_id = k.value();
  auto s = host::hex_decode(j["signature"].get<std::string>());
  if (!s.ok() || s.value().size() != 64)
    return {HostError::kParse, "tree head signature is not 64 bytes of hex (r||s)"};
  std::copy(s.value().begin(), s.value().end(), h.sig.rs.begin());
  return h;
}

}  // namespace locus::audit
