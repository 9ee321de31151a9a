// Landmark record and transcript payloads (CBOR) and their verification.
#include "locus/location/records.h"

#include <memory>

#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/location/trustlist.h"
#include "locus/protocol/claims.h"

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
    default: return "unknown location error";
  }
}

host::HostError host_class(LocationError e) {
  using host::HostError;
  switch (e) {
    case LocationError::kMalformed:
    case LocationError::kBadTrustList: return HostError::kParse;
    case LocationError::kBadSignature:
    case LocationError::kUnknownLandmark:
    case LocationError::kNonceMismatch:
    case LocationError::kUeidMismatch:
    case LocationError::kTranscriptHashMismatch:
    case LocationError::kTranscriptInconsistent: return HostError::kRefused;
    case LocationError::kBadConfig: return HostError::kConfig;
    case LocationError::kIo: return HostError::kIo;
    default: return HostError::kInternal;
  }
}

// The payload codecs are protocol/'s (the ones the firmware uses), wrapped into vectors.
template <size_t N>
bool to_array(const std::vector<uint8_t>& v, std::array<uint8_t, N>* a) {
  if (v.size() != N) return false;
  std::copy(v.begin(), v.end(), a->begin());
  return true;
}

std::vector<uint8_t> encode_transcript(const Transcript& t) {
  auto pt = std::make_unique<protocol::DboundTranscript>();
  if (!to_array(t.session_id, &pt->session_id) || !to_array(t.lm_eph_pub, &pt->lm_eph_pub) ||
      !to_array(t.dev_eph_pub, &pt->dev_eph_pub) || !to_array(t.ueid, &pt->ueid) ||
      t.rounds.size() > protocol::kMaxRounds) {
    return {};
  }
  pt->lm_nonce = ByteSpan(t.lm_nonce);
  pt->verifier_nonce = ByteSpan(t.verifier_nonce);
  pt->round_count = t.rounds.size();
  for (size_t i = 0; i < t.rounds.size(); ++i) {
    if (t.rounds[i].round > 255) return {};
    pt->rounds[i].round = uint8_t(t.rounds[i].round);
    pt->rounds[i].challenge = t.rounds[i].challenge;
    pt->rounds[i].answer = t.rounds[i].answer;
  }
  std::vector<uint8_t> out(protocol::kMaxTranscriptSize);
  size_t len = 0;
  if (!protocol::encode_transcript(*pt, MutByteSpan(out.data(), out.size()), &len).ok()) return {};
  out.resize(len);
  return out;
}

Status decode_transcript(ByteSpan payload, Transcript* out) {
  auto pt = std::make_unique<protocol::DboundTranscript>();
  const Status s = protocol::decode_transcript(payload, pt.get());
  if (!s.ok())
    return s == Status(protocol::ProtocolError::kRoundOutOfOrder)
               ? Status(LocationError::kTranscriptInconsistent)
               : Status(LocationError::kMalformed);
  Transcript t;
  t.session_id.assign(pt->session_id.begin(), pt->session_id.end());
  t.lm_nonce.assign(pt->lm_nonce.begin(), pt->lm_nonce.end());
  t.verifier_nonce.assign(pt->verifier_nonce.begin(), pt->verifier_nonce.end());
  t.lm_eph_pub.assign(pt->lm_eph_pub.begin(), pt->lm_eph_pub.end());
  t.dev_eph_pub.assign(pt->dev_eph_pub.begin(), pt->dev_eph_pub.end());
  t.ueid.assign(pt->ueid.begin(), pt->ueid.end());
  for (size_t i = 0; i < pt->round_count; ++i) {
    Transcript::Round r;
    r.round = pt->rounds[i].round;
    if (r.round != i) return LocationError::kTranscriptInconsistent;
    r.challenge = pt->rounds[i].challenge;
    r.answer = pt->rounds[i].answer;
    t.rounds.push_back(r);
  }
  *out = std::move(t);
  return Status::Ok();
}

std::vector<uint8_t> encode_record(const LandmarkRecord& r) {
  protocol::LandmarkRecord pr;
  pr.landmark_id =
      ByteSpan(reinterpret_cast<const uint8_t*>(r.landmark_id.data()), r.landmark_id.size());
  if (!to_array(r.ueid, &pr.ueid) || r.transcript_hash.size() != 32 || r.rounds > 255) return {};
  std::copy(r.transcript_hash.begin(), r.transcript_hash.end(), pr.transcript_hash.begin());
  pr.verifier_nonce = ByteSpan(r.verifier_nonce);
  pr.lm_nonce = ByteSpan(r.lm_nonce);
  pr.rtt_min_ns = r.rtt_min_ns;
  pr.rounds = uint8_t(r.rounds);
  std::vector<uint8_t> out(512 + r.landmark_id.size());
  size_t len = 0;
  if (!protocol::encode_landmark_record(pr, MutByteSpan(out.data(), out.size()), &len).ok())
    return {};
  out.resize(len);
  return out;
}

Status decode_record(ByteSpan payload, LandmarkRecord* out) {
  protocol::LandmarkRecord pr;
  if (!protocol::decode_landmark_record(payload, &pr).ok()) return LocationError::kMalformed;
  LandmarkRecord r;
  r.landmark_id.assign(reinterpret_cast<const char*>(pr.landmark_id.data), pr.landmark_id.size);
  r.ueid.assign(pr.ueid.begin(), pr.ueid.end());
  r.verifier_nonce.assign(pr.verifier_nonce.begin(), pr.verifier_nonce.end());
  r.transcript_hash.assign(pr.transcript_hash.begin(), pr.transcript_hash.end());
  r.lm_nonce.assign(pr.lm_nonce.begin(), pr.lm_nonce.end());
  r.rtt_min_ns = pr.rtt_min_ns;
  r.rounds = pr.rounds;
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

Status verify_transcript(ByteSpan transcript_cose, const crypto::P256PublicKey& alias_pub,
                         Transcript* out) {
  cose::Sign1View v;
  if (!cose::sign1_decode(transcript_cose, &v).ok()) return LocationError::kMalformed;
  if (!cose::sign1_verify_es256(v, alias_pub).ok()) return LocationError::kBadSignature;
  return decode_transcript(v.payload, out);
}

host::HStatus verify_record_pair(const RecordPair& pair, const TrustList& trust,
                                 ByteSpan verifier_nonce, ByteSpan ueid,
                                 const crypto::P256PublicKey& alias_pub, LandmarkRecord* rec_out,
                                 size_t* index) {
  auto fail = [](LocationError e, const std::string& w) { return host::HStatus(e, w); };
  cose::Sign1View v;
  if (!cose::sign1_decode(ByteSpan(pair.record), &v).ok())
    return fail(LocationError::kMalformed, "record is not a COSE_Sign1");
  const std::string kid(reinterpret_cast<const char*>(v.kid.data), v.kid.size);
  const LandmarkEntry* e = trust.find(kid);
  if (kid.empty() || e == nullptr)
    return fail(LocationError::kUnknownLandmark,
                "record kid '" + kid + "' is not in the trust list");
  if (!cose::sign1_verify_es256(v, e->key).ok()) {
    return fail(LocationError::kBadSignature,
                "landmark " + kid + ": record signature does not verify with its trust-list key");
  }
  LandmarkRecord rec;
  if (!decode_record(v.payload, &rec).ok())
    return fail(LocationError::kMalformed, "landmark " + kid + ": malformed record payload");
  if (rec.landmark_id != kid)
    return fail(LocationError::kTranscriptInconsistent,
                "landmark " + kid + ": record id differs from kid");
  if (!crypto::ct_equal(ByteSpan(rec.verifier_nonce), verifier_nonce)) {
    return fail(LocationError::kNonceMismatch,
                "landmark " + kid + ": record answers another verifier nonce");
  }
  if (!crypto::ct_equal(ByteSpan(rec.ueid), ueid))
    return fail(LocationError::kUeidMismatch,
                "landmark " + kid + ": record is for another device (ueid)");
  crypto::Digest h{};
  if (!crypto::sha256(ByteSpan(pair.transcript), &h).ok() ||
      !crypto::ct_equal(ByteSpan(h), ByteSpan(rec.transcript_hash))) {
    return fail(LocationError::kTranscriptHashMismatch,
                "landmark " + kid + ": transcript hash does not match the record");
  }
  Transcript t;
  const Status ts = verify_transcript(ByteSpan(pair.transcript), alias_pub, &t);
  if (!ts.ok()) {
    return fail(
        ts == Status(LocationError::kBadSignature) ? LocationError::kBadSignature
                                                   : LocationError::kMalformed,
        "landmark " + kid + ": transcript " +
            (ts == Status(LocationError::kBadSignature) ? "not signed by the device's Alias key"
                                                        : "malformed"));
  }
  if (!crypto::ct_equal(ByteSpan(t.verifier_nonce), verifier_nonce) ||
      !crypto::ct_equal(ByteSpan(t.ueid), ueid) ||
      !crypto::ct_equal(ByteSpan(t.lm_nonce), ByteSpan(rec.lm_nonce)) ||
      t.rounds.size() != rec.rounds) {
    return fail(LocationError::kTranscriptInconsistent,
                "landmark " + kid +
                    ": transcript fields (nonce, ueid, lm_nonce, rounds) disagree with the record");
  }
  if (rec.rtt_min_ns == 0)
    return fail(LocationError::kMalformed, "landmark " + kid + ": rtt_min_ns is 0");
  *rec_out = rec;
  *index = size_t(e - trust.landmarks.data());
  return host::HStatus::Ok();
}

}  // namespace locus::location
