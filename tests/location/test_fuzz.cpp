// Seeded mutation fuzzing of every decoder of untrusted input in host/location and the
// landmark config (label fuzz; deterministic, bounded): record pairs, signed trust lists,
// trust-list JSON, GeoJSON, location policy TOML, landmark config TOML. Must: no crash / no
// sanitizer report, and no mutated signed object ever verifies.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "locus/crypto/hash.h"
#include "locus/landmark/server.h"
#include "locus/location/geojson.h"
#include "locus/location/location.h"
#include "locus/location/records.h"
#include "locus/location/trustlist.h"
#include "locus/verifier/policy.h"
#include "locus_test/cmocka.h"
#include "locus_test/mutate.h"

using namespace locus;
using namespace locus::location;

namespace {

constexpr int kMutations = 4000;

// The suites' one seeded mutator (locus_test/mutate.h); text inputs also get JSON/TOML
// punctuation spliced in.
std::vector<uint8_t> mutate(locus_test::Rng& rng, const std::vector<uint8_t>& b) {
  return locus_test::mutated(b, rng);
}

std::string mutate_text(locus_test::Rng& rng, const std::string& s) {
  static const std::vector<std::vector<uint8_t>> kTokens = [] {
    std::vector<std::vector<uint8_t>> t;
    for (const char* tok : {"{", "}", "[", "]", ",", ":", "\"", "0", "-", "e", "\\", "=", "\n"})
      t.emplace_back(tok, tok + std::char_traits<char>::length(tok));
    return t;
  }();
  std::vector<uint8_t> b(s.begin(), s.end());
  locus_test::mutate(b, rng, &kTokens);
  return std::string(b.begin(), b.end());
}

struct Fixture {
  crypto::P256PrivateKey lm, alias, tl;
  crypto::P256PublicKey lm_pub, alias_pub, tl_pub;
  RecordPair pair;
  std::vector<uint8_t> nonce = std::vector<uint8_t>(32, 0x33),
                       ueid = std::vector<uint8_t>(33, 0x44);
  TrustList trust;
  std::vector<uint8_t> tl_cose;
  std::string tl_json;
};

void make(Fixture* f) {
  const uint8_t s1[16] = {1}, s2[16] = {2}, s3[16] = {3};
  assert_true(crypto::p256_derive_key(ByteSpan(s1, 16), ByteSpan(s1, 1), &f->lm).ok());
  assert_true(crypto::p256_derive_key(ByteSpan(s2, 16), ByteSpan(s2, 1), &f->alias).ok());
  assert_true(crypto::p256_derive_key(ByteSpan(s3, 16), ByteSpan(s3, 1), &f->tl).ok());
  assert_true(crypto::p256_public_key(f->lm, &f->lm_pub).ok());
  assert_true(crypto::p256_public_key(f->alias, &f->alias_pub).ok());
  assert_true(crypto::p256_public_key(f->tl, &f->tl_pub).ok());
  f->ueid[0] = 1;
  Transcript t;
  t.session_id.assign(16, 0x55);
  t.lm_nonce.assign(32, 0x66);
  t.verifier_nonce = f->nonce;
  t.lm_eph_pub.assign(f->lm_pub.q.begin(), f->lm_pub.q.end());
  t.dev_eph_pub.assign(f->alias_pub.q.begin(), f->alias_pub.q.end());
  t.ueid = f->ueid;
  for (uint64_t i = 0; i < 3; ++i) {
    Transcript::Round r;
    r.round = i;
    r.challenge.fill(uint8_t(i));
    r.answer.fill(uint8_t(0x80 + i));
    t.rounds.push_back(r);
  }
  const auto tp = encode_transcript(t);
  assert_false(tp.empty());
  assert_true(sign_cose(f->alias, ByteSpan(tp), ByteSpan(), {}, &f->pair.transcript).ok());
  LandmarkRecord rec;
  rec.landmark_id = "sg-1";
  rec.ueid = f->ueid;
  rec.verifier_nonce = f->nonce;
  rec.rtt_min_ns = 123456;
  rec.rounds = 3;
  rec.lm_nonce = t.lm_nonce;
  crypto::Digest h{};
  assert_true(crypto::sha256(ByteSpan(f->pair.transcript), &h).ok());
  rec.transcript_hash.assign(h.begin(), h.end());
  const auto rp = encode_record(rec);
  assert_false(rp.empty());
  assert_true(sign_cose(f->lm, ByteSpan(rp), ByteSpan(reinterpret_cast<const uint8_t*>("sg-1"), 4),
                        {}, &f->pair.record)
                  .ok());
  LandmarkEntry e;
  e.id = "sg-1";
  e.lat_deg = 1.35;
  e.lon_deg = 103.8;
  e.key = f->lm_pub;
  f->trust.landmarks.push_back(e);
  f->tl_json = trust_list_to_json(f->trust);
  assert_true(sign_trust_list(f->tl_json, f->tl, &f->tl_cose).ok());
}

// Record pairs: the original verifies; no mutation of the record or the transcript does.
void test_fuzz_record_pairs(void**) {
  Fixture f;
  make(&f);
  LandmarkRecord rec;
  size_t idx = 0;
  assert_true(verify_record_pair(f.pair, f.trust, ByteSpan(f.nonce), ByteSpan(f.ueid), f.alias_pub,
                                 &rec, &idx)
                  .ok());
  locus_test::Rng rng(7);
  int accepted = 0;
  for (int i = 0; i < kMutations; ++i) {
    RecordPair p = f.pair;
    if ((i % 2) != 0)
      p.record = mutate(rng, p.record);
    else
      p.transcript = mutate(rng, p.transcript);
    if (p.record == f.pair.record && p.transcript == f.pair.transcript) continue;
    if (verify_record_pair(p, f.trust, ByteSpan(f.nonce), ByteSpan(f.ueid), f.alias_pub, &rec, &idx)
            .ok())
      ++accepted;
    Transcript t;
    (void)decode_transcript(ByteSpan(p.transcript), &t);
    (void)decode_record(ByteSpan(p.record), &rec);
  }
  assert_int_equal(accepted, 0);
}

// Signed trust lists and their JSON: no mutation yields different verified content; parsing
// never crashes.
void test_fuzz_trust_list(void**) {
  Fixture f;
  make(&f);
  assert_true(verify_trust_list(f.tl_cose, f.tl_pub).ok());
  locus_test::Rng rng(8);
  int accepted = 0;
  for (int i = 0; i < kMutations; ++i) {
    // Unprotected headers (the kid) are not signed: a mutation there may still verify, but
    // must never change the landmarks that come out.
    auto m = mutate(rng, f.tl_cose);
    auto r = verify_trust_list(m, f.tl_pub);
    if (r.ok() && trust_list_to_json(r.value()) != trust_list_to_json(f.trust)) ++accepted;
    TrustList t;
    (void)parse_trust_list_json(mutate_text(rng, f.tl_json), &t);
  }
  assert_int_equal(accepted, 0);
}

// GeoJSON, location policy TOML and landmark config TOML: bounded, never crash.
void test_fuzz_text_inputs(void**) {
  const std::string geo[] = {
      R"({"type":"Polygon","coordinates":[[[103.6,1.2],[104.1,1.2],[104.1,1.5],[103.6,1.5],[103.6,1.2]],[[103.8,1.3],[103.9,1.3],[103.9,1.4],[103.8,1.3]]]})",
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}]})",
  };
  const std::string pol =
      "f = 1\nmargin_km = 2\nmargin_fraction = 0.01\nlandmarks = [\"a\", \"b\"]\n"
      "zones = [{name = \"z\", lat = 1, lon = 2, radius_km = 30}]\n"
      "forbidden = [{lat = 5, lon = 6, radius_km = 10}]\n";
  const std::string cfg =
      "id = \"sg-1\"\nlat = 1.3\nlon = 103.8\nkey_file = \"k.pem\"\nlisten = "
      "\"127.0.0.1\"\ntcp_port = 0\n";
  locus_test::Rng rng(9);
  int ok = 0;
  for (int i = 0; i < kMutations; ++i) {
    auto parsed = parse_geojson(mutate_text(rng, geo[i % 2]), "x");
    if (parsed.ok()) {
      const std::vector<Zone>& zs = parsed.value();
      ++ok;
      Region r({{"a", {0.5, 0.5}, 50}});
      for (const auto& z : zs) {
        (void)r.inside(z);
        (void)r.disjoint(z);
      }
    }
    (void)verifier::parse_location_policy(mutate_text(rng, pol), "/nonexistent/p.toml");
    landmark::LandmarkConfig c;
    (void)landmark::parse_config_toml(mutate_text(rng, cfg), ".", &c);
  }
  std::printf("  %d mutated GeoJSON inputs still parsed (and were evaluated)\n", ok);
  assert_true(ok > 0);
}

// A landmark config with a latitude or longitude that is NaN or infinite (TOML `nan`, `inf`)
// is refused with kConfig naming the key, like any other out-of-range position.
void test_landmark_config_non_finite_position(void**) {
  const char* bad[] = {"lat = nan\nlon = 1", "lat = 1\nlon = nan", "lat = inf\nlon = 1",
                       "lat = 1\nlon = -inf", "lat = -nan\nlon = 1"};
  for (const char* pos : bad) {
    landmark::LandmarkConfig c;
    const std::string text = std::string("id = \"sg\"\n") + pos + "\nkey_file = \"/k\"\n";
    const host::HStatus s = landmark::parse_config_toml(text, ".", &c);
    assert_false(s.ok());
    assert_true(s.code() == Status(host::HostError::kConfig));
    assert_non_null(std::strstr(s.message().c_str(), "'lat'/'lon'"));
  }
  landmark::LandmarkConfig c;
  assert_true(landmark::parse_config_toml(
                  "id = \"sg\"\nlat = 1.3\nlon = 103.8\nkey_file = \"/k\"\n", ".", &c)
                  .ok());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_fuzz_record_pairs),
                                     cmocka_unit_test(test_fuzz_trust_list),
                                     cmocka_unit_test(test_fuzz_text_inputs),
                                     cmocka_unit_test(test_landmark_config_non_finite_position)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
