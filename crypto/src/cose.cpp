// COSE_Sign1 with ES256 (RFC 9052 §4.2, §4.4; RFC 9360 x5chain). Allocation-free: the
// Sig_structure is never materialised, its encoding is fed to SHA-256 piece by piece, so a
// payload of any size needs no extra buffer.
#include "locus/crypto/cose.h"

#include <string.h>

#include "locus/crypto/cbor.h"

namespace locus::cose {

namespace {

using cbor::CborError;
using cbor::Decoder;
using cbor::Encoder;
using cbor::MajorType;

// The only protected header we write: {1: -7}.
constexpr uint8_t kProtectedEs256[] = {0xA1, 0x01, 0x26};
constexpr uint8_t kSigContext[] = {'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'};
constexpr size_t kSigSize = 64;
constexpr int64_t kHeaderCrit = 2;
constexpr int64_t kHeaderContentType = 3;

// Encodes a byte-string head for n content bytes into h[9]; returns its length.
size_t bstr_head(uint64_t n, uint8_t h[9]) {
  Encoder e(h, 9);
  e.uint(n);
  h[0] = static_cast<uint8_t>(h[0] | 0x40);  // major type 0 -> 2, same argument
  return e.size();
}

// SHA-256 over Sig_structure = ["Signature1", protected, external_aad, payload], encoded
// deterministically, fed to the hash in pieces.
Status sig_structure_digest(ByteSpan protected_bytes, ByteSpan aad, ByteSpan payload,
                            crypto::Digest* out) {
  crypto::Sha256 h;
  uint8_t head[16];
  Encoder e(head, sizeof head);
  e.array(4).text(ByteSpan(kSigContext, sizeof kSigContext));
  auto r = e.finish();
  if (!r.ok()) {
    return r.status();
  }
  LOCUS_TRY(h.update(ByteSpan(head, r.value())));
  const ByteSpan parts[3] = {protected_bytes, aad, payload};
  for (const ByteSpan& p : parts) {
    uint8_t bh[9];
    const size_t n = bstr_head(p.size, bh);
    LOCUS_TRY(h.update(ByteSpan(bh, n)));
    if (p.size != 0) {
      LOCUS_TRY(h.update(p));
    }
  }
  return h.finish(out);
}

Status map_encoder(Status s) {
  if (s == Status(CborError::kBufferFull)) {
    return CoseError::kBufferTooSmall;
  }
  return s;
}

// Reads a header label. Integer labels in int64 range are returned in *label with
// *is_int = true; text labels and out-of-range integers are unknown labels (is_int false)
// and are consumed.
Status read_label(Decoder& d, int64_t* label, bool* is_int) {
  auto p = d.peek();
  if (!p.ok()) {
    return CoseError::kMalformed;
  }
  *is_int = false;
  if (p.value() == MajorType::kUnsigned || p.value() == MajorType::kNegative) {
    if (d.read_int(label).ok()) {
      *is_int = true;
      return Status::Ok();
    }
  } else if (p.value() != MajorType::kText) {
    return CoseError::kBadHeader;  // RFC 9052 §3: labels are int or tstr
  }
  if (!d.skip().ok()) {
    return CoseError::kMalformed;
  }
  return Status::Ok();
}

// Bits of the header labels we interpret, to refuse one appearing in both buckets.
enum : uint8_t { kSeenAlg = 1, kSeenKid = 2, kSeenX5 = 4, kSeenCty = 8 };

Status read_x5chain(Decoder& d, Sign1View* v) {
  auto p = d.peek();
  if (!p.ok()) {
    return CoseError::kMalformed;
  }
  if (p.value() == MajorType::kBytes) {
    if (!d.read_bytes(&v->x5chain[0]).ok()) {
      return CoseError::kMalformed;
    }
    v->x5chain_len = 1;
    return Status::Ok();
  }
  if (p.value() != MajorType::kArray) {
    return CoseError::kBadHeader;
  }
  uint64_t n = 0;
  if (!d.read_array(&n).ok()) {
    return CoseError::kMalformed;
  }
  // RFC 9360: a single certificate is a bstr; an array holds two or more. Accept one in an
  // array too (some producers do that), but never an empty one.
  if (n == 0) {
    return CoseError::kBadHeader;
  }
  if (n > kMaxX5Chain) {
    return CoseError::kTooManyCerts;
  }
  for (uint64_t i = 0; i < n; ++i) {
    auto q = d.peek();
    if (!q.ok()) {
      return CoseError::kMalformed;
    }
    if (q.value() != MajorType::kBytes) {
      return CoseError::kBadHeader;
    }
    if (!d.read_bytes(&v->x5chain[i]).ok()) {
      return CoseError::kMalformed;
    }
  }
  v->x5chain_len = static_cast<size_t>(n);
  return Status::Ok();
}

// Parses one header map. in_protected selects the rules of that bucket.
Status read_headers(Decoder& d, bool in_protected, uint8_t* seen, Sign1View* v) {
  uint64_t n = 0;
  if (!d.read_map(&n).ok()) {
    return in_protected ? CoseError::kBadHeader : CoseError::kMalformed;
  }
  for (uint64_t i = 0; i < n; ++i) {
    int64_t label = 0;
    bool is_int = false;
    LOCUS_TRY(read_label(d, &label, &is_int));
    if (!is_int) {
      if (!d.skip().ok()) {
        return CoseError::kMalformed;  // unknown text label: ignored
      }
      continue;
    }
    uint8_t bit = 0;
    switch (label) {
      case kHeaderAlg: {
        if (!in_protected) {
          return CoseError::kAlgInUnprotected;
        }
        int64_t alg = 0;
        if (!d.read_int(&alg).ok()) {
          // A text alg or one outside int64 is well-formed COSE, just not ES256.
          auto t = d.peek();
          if (t.ok() && (t.value() == MajorType::kText || t.value() == MajorType::kUnsigned ||
                         t.value() == MajorType::kNegative)) {
            return CoseError::kUnsupportedAlg;
          }
          return CoseError::kBadHeader;
        }
        if (alg != kAlgES256) {
          return CoseError::kUnsupportedAlg;
        }
        v->alg = alg;
        bit = kSeenAlg;
        break;
      }
      case kHeaderCrit:
        // We understand no extension header, so any critical list is refused (§3.1).
        return CoseError::kBadHeader;
      case kHeaderContentType:
        if (!d.skip().ok()) {
          return CoseError::kMalformed;
        }
        bit = kSeenCty;
        break;
      case kHeaderKid:
        if (!d.read_bytes(&v->kid).ok()) {
          return CoseError::kBadHeader;
        }
        bit = kSeenKid;
        break;
      case kHeaderX5Chain:
        LOCUS_TRY(read_x5chain(d, v));
        bit = kSeenX5;
        break;
      default:
        if (!d.skip().ok()) {
          return CoseError::kMalformed;  // unknown int label: ignored
        }
        break;
    }
    // RFC 9052 §3: a label must not occur in both buckets (within a bucket, validate()
    // has already refused duplicate keys).
    if ((*seen & bit) != 0) {
      return CoseError::kBadHeader;
    }
    *seen = static_cast<uint8_t>(*seen | bit);
  }
  return Status::Ok();
}

}  // namespace

const char* to_string(CoseError e) {
  switch (e) {
    case CoseError::kMalformed: return "COSE_Sign1 structure malformed";
    case CoseError::kMissingTag: return "COSE_Sign1 tag 18 missing";
    case CoseError::kWrongTag: return "COSE tag other than COSE_Sign1 (18)";
    case CoseError::kUnsupportedAlg: return "COSE alg missing or not ES256";
    case CoseError::kBadSignature: return "COSE signature does not verify";
    case CoseError::kBufferTooSmall: return "COSE output buffer too small";
    case CoseError::kTooManyCerts: return "COSE x5chain longer than supported";
    case CoseError::kBadHeader: return "COSE header of wrong type or unknown critical header";
    case CoseError::kAlgInUnprotected: return "COSE alg in the unprotected header";
    default: return "unknown COSE error";
  }
}

Status sign1_es256(const crypto::P256PrivateKey& key, ByteSpan payload, const Sign1Options& opt,
                   MutByteSpan out, size_t* out_len) {
  if (out_len == nullptr || (out.data == nullptr && out.size != 0)) {
    return CoreError::kInvalidArgument;
  }
  if (opt.x5chain_len > kMaxX5Chain) {
    return CoseError::kTooManyCerts;
  }
  if (opt.x5chain_len != 0 && opt.x5chain == nullptr) {
    return CoreError::kInvalidArgument;
  }
  *out_len = 0;

  crypto::Digest digest{};
  LOCUS_TRY(sig_structure_digest(ByteSpan(kProtectedEs256, sizeof kProtectedEs256),
                                 opt.external_aad, payload, &digest));
  crypto::P256Signature sig;
  LOCUS_TRY(crypto::ecdsa_sign_digest(key, digest, &sig));

  Encoder e(out);
  e.tag(kTagSign1).array(4).bytes(ByteSpan(kProtectedEs256, sizeof kProtectedEs256));
  const bool has_kid = !opt.kid.empty();
  const bool has_x5 = opt.x5chain_len != 0;
  // Keys in bytewise order of their encodings: 4 (0x04) before 33 (0x18 0x21).
  e.map(static_cast<uint64_t>(has_kid) + static_cast<uint64_t>(has_x5));
  if (has_kid) {
    e.uint(static_cast<uint64_t>(kHeaderKid)).bytes(opt.kid);
  }
  if (has_x5) {
    e.uint(static_cast<uint64_t>(kHeaderX5Chain));
    if (opt.x5chain_len == 1) {
      e.bytes(opt.x5chain[0]);
    } else {
      e.array(opt.x5chain_len);
      for (size_t i = 0; i < opt.x5chain_len; ++i) {
        e.bytes(opt.x5chain[i]);
      }
    }
  }
  e.bytes(payload).bytes(ByteSpan(sig.rs.data(), sig.rs.size()));
  auto r = e.finish();
  if (!r.ok()) {
    return map_encoder(r.status());
  }
  *out_len = r.value();
  return Status::Ok();
}

Status sign1_decode(ByteSpan in, Sign1View* out, bool require_tag) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  // One bounded pass over the whole message first: after this every read below is on
  // well-formed, deterministic CBOR with sorted, unique map keys.
  if (!cbor::validate(in).ok()) {
    return CoseError::kMalformed;
  }
  Decoder d(in);
  Sign1View v;
  auto p = d.peek();
  if (!p.ok()) {
    return CoseError::kMalformed;
  }
  if (p.value() == MajorType::kTag) {
    uint64_t t = 0;
    if (!d.read_tag(&t).ok()) {
      return CoseError::kMalformed;
    }
    if (t != kTagSign1) {
      return CoseError::kWrongTag;
    }
  } else if (require_tag) {
    return CoseError::kMissingTag;
  }
  uint64_t n = 0;
  if (!d.read_array(&n).ok() || n != 4) {
    return CoseError::kMalformed;
  }

  // protected: bstr .cbor header_map (a zero-length bstr means an empty map, §3).
  if (!d.read_bytes(&v.protected_bytes).ok()) {
    return CoseError::kMalformed;
  }
  uint8_t seen = 0;
  if (!v.protected_bytes.empty()) {
    if (!cbor::validate(v.protected_bytes).ok()) {
      return CoseError::kBadHeader;
    }
    Decoder pd(v.protected_bytes);
    LOCUS_TRY(read_headers(pd, true, &seen, &v));
  }
  LOCUS_TRY(read_headers(d, false, &seen, &v));
  if ((seen & kSeenAlg) == 0 || v.alg != kAlgES256) {
    return CoseError::kUnsupportedAlg;
  }

  // payload: bstr (a detached payload, nil, is not used by locus).
  if (!d.read_bytes(&v.payload).ok()) {
    return CoseError::kMalformed;
  }
  if (!d.read_bytes(&v.signature).ok() || v.signature.size != kSigSize) {
    return CoseError::kMalformed;
  }
  if (!d.at_end()) {
    return CoseError::kMalformed;
  }
  *out = v;
  return Status::Ok();
}

Status sign1_verify_es256(const Sign1View& msg, const crypto::P256PublicKey& pub,
                          ByteSpan external_aad) {
  if (msg.alg != kAlgES256) {
    return CoseError::kUnsupportedAlg;
  }
  if (msg.signature.size != kSigSize || msg.signature.data == nullptr) {
    return CoseError::kMalformed;
  }
  crypto::Digest digest{};
  LOCUS_TRY(sig_structure_digest(msg.protected_bytes, external_aad, msg.payload, &digest));
  crypto::P256Signature sig;
  memcpy(sig.rs.data(), msg.signature.data, kSigSize);
  Status result = CoseError::kBadSignature;  // fail closed: success is set last
  const Status s = crypto::ecdsa_verify_digest(pub, digest, sig);
  if (s == Status(crypto::CryptoError::kBadSignature) ||
      s == Status(crypto::CryptoError::kBadSignatureEncoding)) {
    return CoseError::kBadSignature;
  }
  if (!s.ok()) {
    return s;  // an invalid key or a resource failure, reported as such
  }
  if (s.ok() && s.code() == 0) {
    result = Status::Ok();
  }
  return result;
}

}  // namespace locus::cose
