// Landmark record and transcript payloads (CBOR) and their verification.
#include "locus/location/records.h"

#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/location/trustlist.h"

namespace locus::location {

const char* to_string(LocationError e) {
  switch (e) {
    case LocationError::kMalformed: return "malformed payload";
    case LocationError::kBadSignature: return "bad signature";
    case LocationError::kUnknownLandmark: return "landmark not in the trust list";
    case LocationError::kNonceMismatch: return "verifier nonce mismatch";
    case LocationError::kUeidMismatch: return "ueid mismatch";
    case LocationError::kTranscriptHashMismatch: return "transcript hash mismatch";
    case LocationError::kTranscriptInconsistent: return "transcript inconsistent with record";
    case LocationError::kBadTrustList: return "bad trust list";
    case LocationError::kBadConfig: return "bad configuration";
    case LocationError::kIo: return "I/O error";
    case LocationError::kNetwork: return "network error";
    case LocationError::kTimeout: return "timeout";
    case LocationError::kProtocol: return "landmark protocol error";
    case LocationError::kWrongAnswer: return "wrong timed-round answer";
    case LocationError::kBoard: return "board link error";
    case LocationError::kSessionRefused: return "session refused by the landmark";
    default: return "unknown location error";
  }
}

namespace {

using cbor::Decoder;
using cbor::Encoder;

Status read_key(Decoder& d, uint64_t want) {
  uint64_t k = 0;
  if (!d.read_uint(&k).ok() || k != want) return LocationError::kMalformed;
  return Status::Ok();
}

Status read_bytes(Decoder& d, std::vector<uint8_t>* out, size_t min, size_t max) {
  ByteSpan b;
  if (!d.read_bytes(&b).ok() || b.size < min || b.size > max) return LocationError::kMalformed;
  out->assign(b.begin(), b.end());
  return Status::Ok();
}

std::vector<uint8_t> finish(std::vector<uint8_t>& buf, const Encoder& e) {
  auto r = e.finish();
  if (!r.ok()) return {};
  buf.resize(*r);
  return buf;
}

}  // namespace

std::vector<uint8_t> encode_transcript(const Transcript& t) {
  std::vector<uint8_t> buf(1024 + t.rounds.size() * 40 + t.lm_nonce.size() + t.verifier_nonce.size());
  Encoder e(buf.data(), buf.size());
  e.map(7);
  e.uint(1).bytes(ByteSpan(t.session_id));
  e.uint(2).bytes(ByteSpan(t.lm_nonce));
  e.uint(3).bytes(ByteSpan(t.verifier_nonce));
  e.uint(4).bytes(ByteSpan(t.lm_eph_pub));
  e.uint(5).bytes(ByteSpan(t.dev_eph_pub));
  e.uint(6).bytes(ByteSpan(t.ueid));
  e.uint(7).array(t.rounds.size());
  for (const auto& r : t.rounds) {
    e.array(3).uint(r.round).bytes(ByteSpan(r.challenge)).bytes(ByteSpan(r.answer));
  }
  return finish(buf, e);
}

Status decode_transcript(ByteSpan payload, Transcript* out) {
  if (!cbor::validate(payload).ok()) return LocationError::kMalformed;
  Decoder d(payload);
  uint64_t n = 0;
  if (!d.read_map(&n).ok() || n != 7) return LocationError::kMalformed;
  Transcript t;
  LOCUS_TRY(read_key(d, 1));
  LOCUS_TRY(read_bytes(d, &t.session_id, 16, 16));
  LOCUS_TRY(read_key(d, 2));
  LOCUS_TRY(read_bytes(d, &t.lm_nonce, 16, 64));
  LOCUS_TRY(read_key(d, 3));
  LOCUS_TRY(read_bytes(d, &t.verifier_nonce, 16, 64));
  LOCUS_TRY(read_key(d, 4));
  LOCUS_TRY(read_bytes(d, &t.lm_eph_pub, 65, 65));
  LOCUS_TRY(read_key(d, 5));
  LOCUS_TRY(read_bytes(d, &t.dev_eph_pub, 65, 65));
  LOCUS_TRY(read_key(d, 6));
  LOCUS_TRY(read_bytes(d, &t.ueid, 33, 33));
  LOCUS_TRY(read_key(d, 7));
  uint64_t rounds = 0;
  if (!d.read_array(&rounds).ok() || rounds < 1 || rounds > 64) return LocationError::kMalformed;
  for (uint64_t i = 0; i < rounds; ++i) {
    uint64_t m = 0;
    if (!d.read_array(&m).ok() || m != 3) return LocationError::kMalformed;
    TranscriptRound r;
    ByteSpan c, a;
    if (!d.read_uint(&r.round).ok() || !d.read_bytes(&c).ok() || !d.read_bytes(&a).ok() || c.size != 12 ||
        a.size != 12) {
      return LocationError::kMalformed;
    }
    if (r.round != i) return LocationError::kTranscriptInconsistent;
    std::copy(c.begin(), c.end(), r.challenge.begin());
    std::copy(a.begin(), a.end(), r.answer.begin());
    t.rounds.push_back(r);
  }
  if (!d.at_end()) return LocationError::kMalformed;
  *out = std::move(t);
  return Status::Ok();
}

std::vector<uint8_t> encode_record(const LandmarkRecord& r) {
  std::vector<uint8_t> buf(512 + r.landmark_id.size() + r.lm_nonce.size() + r.verifier_nonce.size());
  Encoder e(buf.data(), buf.size());
  e.map(7);
  e.uint(1).text(ByteSpan(r.landmark_id));
  e.uint(2).bytes(ByteSpan(r.ueid));
  e.uint(3).bytes(ByteSpan(r.verifier_nonce));
  e.uint(4).uint(r.rtt_min_ns);
  e.uint(5).uint(r.rounds);
  e.uint(6).bytes(ByteSpan(r.transcript_hash));
  e.uint(7).bytes(ByteSpan(r.lm_nonce));
  return finish(buf, e);
}

Status decode_record(ByteSpan payload, LandmarkRecord* out) {
  if (!cbor::validate(payload).ok()) return LocationError::kMalformed;
  Decoder d(payload);
  uint64_t n = 0;
  if (!d.read_map(&n).ok() || n != 7) return LocationError::kMalformed;
  LandmarkRecord r;
  LOCUS_TRY(read_key(d, 1));
  ByteSpan id;
  if (!d.read_text(&id).ok() || id.size < 1 || id.size > 64) return LocationError::kMalformed;
  r.landmark_id.assign(reinterpret_cast<const char*>(id.data), id.size);
  LOCUS_TRY(read_key(d, 2));
  LOCUS_TRY(read_bytes(d, &r.ueid, 33, 33));
  LOCUS_TRY(read_key(d, 3));
  LOCUS_TRY(read_bytes(d, &r.verifier_nonce, 16, 64));
  LOCUS_TRY(read_key(d, 4));
  if (!d.read_uint(&r.rtt_min_ns).ok()) return LocationError::kMalformed;
  LOCUS_TRY(read_key(d, 5));
  if (!d.read_uint(&r.rounds).ok() || r.rounds < 1 || r.rounds > 64) return LocationError::kMalformed;
  LOCUS_TRY(read_key(d, 6));
  LOCUS_TRY(read_bytes(d, &r.transcript_hash, 32, 32));
  LOCUS_TRY(read_key(d, 7));
  LOCUS_TRY(read_bytes(d, &r.lm_nonce, 16, 64));
  if (!d.at_end()) return LocationError::kMalformed;
  *out = std::move(r);
  return Status::Ok();
}

Status sign_cose(const crypto::P256PrivateKey& key, ByteSpan payload, ByteSpan kid,
                 const std::vector<std::vector<uint8_t>>& x5chain, std::vector<uint8_t>* out) {
  if (x5chain.size() > cose::kMaxX5Chain) return LocationError::kMalformed;
  ByteSpan chain[cose::kMaxX5Chain];
  size_t total = 256 + payload.size + kid.size;
  for (size_t i = 0; i < x5chain.size(); ++i) {
    chain[i] = ByteSpan(x5chain[i]);
    total += x5chain[i].size() + 8;
  }
  cose::Sign1Options opt;
  opt.kid = kid;
  if (!x5chain.empty()) {
    opt.x5chain = chain;
    opt.x5chain_len = x5chain.size();
  }
  out->assign(total, 0);
  size_t len = 0;
  LOCUS_TRY(cose::sign1_es256(key, payload, opt, MutByteSpan(out->data(), out->size()), &len));
  out->resize(len);
  return Status::Ok();
}

Status verify_transcript(ByteSpan transcript_cose, const crypto::P256PublicKey& alias_pub, Transcript* out) {
  cose::Sign1View v;
  if (!cose::sign1_decode(transcript_cose, &v).ok()) return LocationError::kMalformed;
  if (!cose::sign1_verify_es256(v, alias_pub).ok()) return LocationError::kBadSignature;
  return decode_transcript(v.payload, out);
}

Status verify_record_pair(const RecordPair& pair, const TrustList& trust, ByteSpan verifier_nonce,
                          ByteSpan ueid, const crypto::P256PublicKey& alias_pub, LandmarkRecord* rec_out,
                          size_t* index, std::string* why) {
  auto fail = [&](LocationError e, const std::string& w) -> Status {
    if (why) *why = w;
    return e;
  };
  cose::Sign1View v;
  if (!cose::sign1_decode(ByteSpan(pair.record), &v).ok()) return fail(LocationError::kMalformed, "record is not a COSE_Sign1");
  const std::string kid(reinterpret_cast<const char*>(v.kid.data), v.kid.size);
  const LandmarkEntry* e = trust.find(kid);
  if (kid.empty() || e == nullptr) return fail(LocationError::kUnknownLandmark, "record kid '" + kid + "' is not in the trust list");
  if (!cose::sign1_verify_es256(v, e->key).ok()) {
    return fail(LocationError::kBadSignature, "landmark " + kid + ": record signature does not verify with its trust-list key");
  }
  LandmarkRecord rec;
  if (!decode_record(v.payload, &rec).ok()) return fail(LocationError::kMalformed, "landmark " + kid + ": malformed record payload");
  if (rec.landmark_id != kid) return fail(LocationError::kTranscriptInconsistent, "landmark " + kid + ": record id differs from kid");
  if (!crypto::ct_equal(ByteSpan(rec.verifier_nonce), verifier_nonce)) {
    return fail(LocationError::kNonceMismatch, "landmark " + kid + ": record answers another verifier nonce");
  }
  if (!crypto::ct_equal(ByteSpan(rec.ueid), ueid)) return fail(LocationError::kUeidMismatch, "landmark " + kid + ": record is for another device (ueid)");
  crypto::Digest h{};
  if (!crypto::sha256(ByteSpan(pair.transcript), &h).ok() || !crypto::ct_equal(ByteSpan(h), ByteSpan(rec.transcript_hash))) {
    return fail(LocationError::kTranscriptHashMismatch, "landmark " + kid + ": transcript hash does not match the record");
  }
  Transcript t;
  const Status ts = verify_transcript(ByteSpan(pair.transcript), alias_pub, &t);
  if (!ts.ok()) {
    return fail(ts == Status(LocationError::kBadSignature) ? LocationError::kBadSignature : LocationError::kMalformed,
                "landmark " + kid + ": transcript " +
                    (ts == Status(LocationError::kBadSignature) ? "not signed by the device's Alias key" : "malformed"));
  }
  if (!crypto::ct_equal(ByteSpan(t.verifier_nonce), verifier_nonce) || !crypto::ct_equal(ByteSpan(t.ueid), ueid) ||
      !crypto::ct_equal(ByteSpan(t.lm_nonce), ByteSpan(rec.lm_nonce)) || t.rounds.size() != rec.rounds) {
    return fail(LocationError::kTranscriptInconsistent, "landmark " + kid + ": transcript fields (nonce, ueid, lm_nonce, rounds) disagree with the record");
  }
  if (rec.rtt_min_ns == 0) return fail(LocationError::kMalformed, "landmark " + kid + ": rtt_min_ns is 0");
  *rec_out = rec;
  *index = size_t(e - trust.landmarks.data());
  return Status::Ok();
}

}  // namespace locus::location
