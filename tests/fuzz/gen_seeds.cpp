// Writes the seed corpora of the fuzz targets with the real encoders (tests only):
//   build/<dir>/tests/fuzz/locus_fuzz_gen_seeds tests/fuzz/corpus
// Every file it writes is named gen_*; other seeds (gen_corpus.py's CBOR/COSE ones, the
// protocol doc examples) are left alone. The output is committed. ECDSA signatures are
// randomised (mbed TLS), so re-running changes the signed seeds' bytes, not their meaning.
#include <stdio.h>
#include <string.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fake_board.h"
#include "harness.h"
#include "locus/audit/audit.h"
#include "locus/common/common.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"
#include "locus/crypto/x509_host.h"
#include "locus/firmware/store.h"
#include "locus/location/records.h"
#include "locus/location/trustlist.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "locus/tpm/quote.h"
#include "locus/tpm/quote_json.h"

using namespace locus;
namespace proto = locus::protocol;
using Bytes = std::vector<uint8_t>;
using json = nlohmann::json;

namespace {

std::string g_root;

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "gen_seeds: %s\n", what);
  exit(1);
}

void write(const std::string& target, const std::string& name, const Bytes& b) {
  const std::string dir = g_root + "/" + target;
  std::filesystem::create_directories(dir);
  std::ofstream f(dir + "/gen_" + name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!f) die("write failed");
}
void write(const std::string& target, const std::string& name, const std::string& s) {
  write(target, name, Bytes(s.begin(), s.end()));
}

crypto::P256PrivateKey key_of(const char* label) {
  static const uint8_t seed[4] = {'f', 'u', 'z', 'z'};
  crypto::P256PrivateKey k;
  if (!crypto::p256_derive_key(ByteSpan(seed, 4),
                               ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)), &k)
           .ok())
    die("key");
  return k;
}
crypto::P256PublicKey pub_of(const crypto::P256PrivateKey& k) {
  crypto::P256PublicKey p;
  if (!crypto::p256_public_key(k, &p).ok()) die("pub");
  return p;
}

template <typename Body>
Bytes message(uint32_t id, const Body& b) {
  uint8_t buf[proto::kMaxPayload];
  size_t n = 0;
  if (!proto::encode_message(id, b, MutByteSpan(buf, sizeof buf), &n).ok()) die("encode_message");
  return Bytes(buf, buf + n);
}

Bytes frame(uint8_t rev, const Bytes& payload) {
  uint8_t buf[proto::kMaxFrameSize];
  size_t n = 0;
  if (!proto::encode_frame(rev, ByteSpan(payload.data(), payload.size()),
                           MutByteSpan(buf, sizeof buf), &n)
           .ok())
    die("encode_frame");
  return Bytes(buf, buf + n);
}

Bytes fast(uint8_t round, uint8_t fill) {
  proto::FastRound r;
  r.round = round;
  r.value.fill(fill);
  uint8_t buf[proto::kFastRoundSize];
  size_t n = 0;
  if (!proto::encode_fast_round(r, MutByteSpan(buf, sizeof buf), &n).ok()) die("fast");
  return Bytes(buf, buf + n);
}

// ---- board side ----------------------------------------------------------------------------

void frames() {
  proto::GetStatusRequest st;
  const Bytes status = message(1, st);
  write("frame", "status", frame(proto::kRevMessage, status));
  write("frame", "fast", frame(proto::kRevFast, fast(3, 0x7E)));
  Bytes stuffed(300);
  for (size_t i = 0; i < stuffed.size(); ++i)
    stuffed[i] = static_cast<uint8_t>(i % 3 == 0 ? 0x7E : i % 3 == 1 ? 0x7D : i);
  write("frame", "stuffed_300", frame(proto::kRevMessage, stuffed));
  Bytes idle = {proto::kFlag, proto::kFlag};
  const Bytes f = frame(proto::kRevMessage, status);
  idle.insert(idle.end(), f.begin(), f.end());
  write("frame", "idle_flags", idle);
  // A stream: two frames, garbage between, a truncated one at the end.
  Bytes s = frame(proto::kRevMessage, status);
  const Bytes g = {0x00, 0x7D, 0x7E, 0x55, 0x7E};
  s.insert(s.end(), g.begin(), g.end());
  const Bytes f2 = frame(proto::kRevFast, fast(0, 0x11));
  s.insert(s.end(), f2.begin(), f2.end());
  s.insert(s.end(), f.begin(), f.begin() + 5);
  write("deframer", "stream", s);
  write("deframer", "stuffed_300", frame(proto::kRevMessage, stuffed));
  write("fast_round", "r0", fast(0, 0x00));
  write("fast_round", "r63", fast(63, 0xFF));
}

#ifndef LOCUS_FUZZ_STORE_KEYED
#define LOCUS_FUZZ_STORE_KEYED 0
#endif

// Storage images for targets/store.cpp: [mode][slot A (kStorageNeeded / 2 bytes)][slot B].
void store() {
  using firmware::PersistentState;
  using firmware::Store;
  constexpr size_t kHalf = firmware::kStorageNeeded / 2;
  PersistentState s;
  s.boot_count = 3;
  s.license_counter = 7;
  s.min_svn = 2;
  s.rotation_counter = 0;
  s.devid_cert_len = 40;
  memset(s.devid_cert, 0x30, 40);
  fake::reset_board(1, 1);
  auto rec = [](const PersistentState& st, uint64_t seq) {
    Bytes b(kHalf, 0xFF);
#if LOCUS_FUZZ_STORE_KEYED
    uint8_t key[firmware::kStoreKeySize];
    fake::store_key(key);
    if (Store::encode(key, st, seq, b.data(), firmware::kSlotSize) == 0) die("store encode");
#else
    if (Store::encode(st, seq, b.data(), firmware::kSlotSize) == 0) die("store encode");
#endif
    return b;
  };
  auto image = [](uint8_t mode, const Bytes& a, const Bytes& b) {
    Bytes out = {mode};
    out.insert(out.end(), a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
  };
  const Bytes blank(kHalf, 0xFF);
  PersistentState s2 = s;
  s2.boot_count = 4;
  s2.license_counter = 9;
  write("store", "blank", image(0, blank, blank));
  write("store", "slot_a", image(0, rec(s, 5), blank));
  write("store", "both_b_newer", image(0, rec(s, 5), rec(s2, 6)));
  write("store", "both_a_newer_fixup", image(1, rec(s2, 8), rec(s, 7)));
  Bytes torn = rec(s2, 6);
  std::fill(torn.begin() + 100, torn.end(), 0xFF);
  write("store", "torn_b", image(0, rec(s, 5), torn));
  PersistentState empty;
  write("store", "default_fixup", image(1, rec(empty, 1), blank));
  PersistentState keyed = s;  // a verifier key in the journal (the keyed store wants its anchor)
  keyed.has_verifier_key = true;
  memset(keyed.verifier_key, 0x04, sizeof keyed.verifier_key);
  keyed.rotation_counter = 1;
  write("store", "with_key", image(0, rec(keyed, 2), blank));
}

// A core op chunk: [len u16][op][arg...].
void op(Bytes* seq, uint8_t code, const Bytes& arg) {
  const size_t n = arg.size() + 1;
  seq->push_back(static_cast<uint8_t>(n >> 8));
  seq->push_back(static_cast<uint8_t>(n));
  seq->push_back(code);
  seq->insert(seq->end(), arg.begin(), arg.end());
}

Bytes license_payload(const Bytes& nonce, uint64_t counter, uint64_t mode, uint64_t lease_s) {
  fake::reset_board(1, 1);
  if (!th::boot().ok()) die("boot");
  th::LicenseFields f = th::good_license(nonce, counter);
  uint8_t buf[512];
  cbor::Encoder e(buf, sizeof buf);
  e.map(7);
  e.uint(1).bytes(ByteSpan(f.ueid.data(), f.ueid.size()));
  e.uint(2).bytes(ByteSpan(f.nonce.data(), f.nonce.size()));
  e.uint(3).uint(counter);
  e.uint(4).uint(mode);
  e.uint(5).uint(lease_s);
  e.uint(6).text("test-site");
  e.uint(7).bytes(ByteSpan(f.fwid.data(), f.fwid.size()));
  auto r = e.finish();
  if (!r.ok()) die("license payload");
  return Bytes(buf, buf + r.value());
}

void core() {
  const Bytes nonce = th::nonce_of(9, 32);
  proto::GetEvidenceRequest ge;
  ge.nonce = ByteSpan(nonce.data(), nonce.size());
  proto::GetStatusRequest gs;
  proto::GetIdentityRequest gi;
  const Bytes be4 = {0, 0, 0x27, 0x10};  // 10 s
  {
    Bytes s;
    op(&s, 0, message(1, gi));
    op(&s, 0, message(2, gs));
    write("core", "identity_status", s);
  }
  {
    Bytes s;  // evidence, a good license, status, half the lease, expiry
    op(&s, 0, message(1, ge));
    op(&s, 4, license_payload(nonce, 1, 2, 60));
    op(&s, 0, message(2, gs));
    op(&s, 3, be4);
    op(&s, 3, {0, 0, 0xEA, 0x60});
    op(&s, 0, message(3, gs));
    write("core", "license_flow", s);
  }
  {
    Bytes s;  // banked license: evidence twice, the license answers the first nonce
    op(&s, 0, message(1, ge));
    const Bytes n2 = th::nonce_of(10, 32);
    proto::GetEvidenceRequest ge2;
    ge2.nonce = ByteSpan(n2.data(), n2.size());
    op(&s, 0, message(2, ge2));
    op(&s, 4, license_payload(nonce, 2, 2, 60));
    write("core", "banked_license", s);
  }
  {
    Bytes s;  // power cut during the license commit, reboot, status
    op(&s, 0, message(1, ge));
    op(&s, 6, {0, 40});
    op(&s, 4, license_payload(nonce, 3, 2, 600));
    op(&s, 7, {});
    op(&s, 0, message(2, gs));
    write("core", "powercut_license", s);
  }
  {
    Bytes s;  // a landmark session: setup, rounds (fast frames), close
    proto::LmSetupRequest su;
    su.session_id.fill(0x51);
    const Bytes lmn = th::nonce_of(3, 32);
    su.lm_nonce = ByteSpan(lmn.data(), lmn.size());
    const crypto::P256PublicKey lp = pub_of(key_of("landmark eph"));
    memcpy(su.lm_eph_pub.data(), lp.q.data(), 65);
    su.rounds = 4;
    su.verifier_nonce = ByteSpan(nonce.data(), nonce.size());
    op(&s, 0, message(1, su));
    for (uint8_t i = 0; i < 4; ++i) op(&s, 1, fast(i, static_cast<uint8_t>(0x30 + i)));
    proto::LmCloseRequest cl;
    cl.session_id.fill(0x51);
    op(&s, 0, message(2, cl));
    write("core", "lm_session", s);
    Bytes r;  // the same over the raw link (framed)
    op(&r, 2, frame(proto::kRevMessage, message(1, su)));
    op(&r, 2, frame(proto::kRevFast, fast(0, 1)));
    op(&r, 2, frame(proto::kRevFast, fast(2, 1)));
    write("core", "lm_link_out_of_order", r);
  }
  {
    Bytes s;  // rotation to verifier key 2, signed by key 1
    crypto::P256PrivateKey k2;
    crypto::P256PublicKey p2;
    th::verifier_key(2, &k2, &p2);
    uint8_t buf[128];
    cbor::Encoder e(buf, sizeof buf);
    e.map(2).uint(1).bytes(ByteSpan(p2.q.data(), 65)).uint(2).uint(1);
    auto r = e.finish();
    if (!r.ok()) die("rotation");
    op(&s, 5, Bytes(buf, buf + r.value()));
    op(&s, 0, message(1, gs));
    write("core", "rotation", s);
  }
  {
    Bytes s;  // install a DeviceID certificate (any DER; the core checks the key), then identity
    proto::InstallDevidCertRequest ic;
    const Bytes cert(200, 0x30);
    ic.cert = ByteSpan(cert.data(), cert.size());
    op(&s, 0, message(1, ic));
    op(&s, 0, message(2, gi));
    write("core", "install_cert", s);
  }
}

// ---- host side -----------------------------------------------------------------------------

Bytes issue(const char* subject, bool ca, const crypto::TcbInfo* tcb) {
  const crypto::P256PrivateKey issuer = key_of("ca");
  const crypto::P256PublicKey subj = pub_of(key_of(subject));
  crypto::CertSpec spec;
  spec.subject = subject;
  spec.issuer = "CN=locus fuzz root,O=locus";
  const uint8_t serial[2] = {0x12, 0x34};
  spec.serial = ByteSpan(serial, 2);
  spec.is_ca = ca;
  spec.tcb_info = tcb;
  uint8_t der[1536];
  size_t n = 0;
  if (!crypto::x509_issue(spec, subj, issuer, MutByteSpan(der, sizeof der), &n).ok()) die("issue");
  return Bytes(der, der + n);
}

void x509() {
  crypto::TcbInfo tcb;
  tcb.fwid.fill(0xA5);
  tcb.svn = 3;
  const Bytes alias = issue("CN=locus Alias,O=locus", false, &tcb);
  write("x509_cert", "alias_tcbinfo", alias);
  write("x509_cert", "root_ca", issue("CN=locus fuzz root,O=locus", true, nullptr));
  std::string pem;
  if (!crypto::der_to_pem(ByteSpan(alias.data(), alias.size()), "CERTIFICATE", &pem).ok())
    die("pem");
  write("x509_cert", "alias_pem", pem);
  uint8_t csr[1024];
  size_t n = 0;
  if (!crypto::x509_write_csr(key_of("devid"), "CN=locus DeviceID,O=locus,serialNumber=01ab",
                              MutByteSpan(csr, sizeof csr), &n)
           .ok())
    die("csr");
  write("x509_csr", "devid", Bytes(csr, csr + n));
  std::string cpem;
  if (!crypto::der_to_pem(ByteSpan(csr, n), "CERTIFICATE REQUEST", &cpem).ok()) die("csr pem");
  write("x509_csr", "devid_pem", cpem);
}

Bytes attest_bytes() {
  Bytes a = {0xff, 0x54, 0x43, 0x47, 0x80, 0x18, 0x00, 0x22, 0x00, 0x0b};
  a.insert(a.end(), 32, 0x11);  // qualifiedSigner (nameAlg + digest)
  a.push_back(0x00);
  a.push_back(0x20);
  a.insert(a.end(), 32, 0x22);                     // extraData
  a.insert(a.end(), 8, 0x01);                      // clock
  a.insert(a.end(), {0, 0, 0, 1, 0, 0, 0, 0, 1});  // resetCount, restartCount, safe
  a.insert(a.end(), 8, 0x02);                      // firmwareVersion
  a.insert(a.end(), {0, 0, 0, 1, 0x00, 0x0b, 3, 0x83, 0, 0, 0x00, 0x20});  // PCR 0,1,7
  a.insert(a.end(), 32, 0x33);                                             // pcrDigest
  return a;
}

Bytes tpmt_signature(size_t rn, size_t sn) {
  Bytes s = {0x00, 0x18, 0x00, 0x0b, 0x00, static_cast<uint8_t>(rn)};
  s.insert(s.end(), rn, 0x5A);
  s.push_back(0x00);
  s.push_back(static_cast<uint8_t>(sn));
  s.insert(s.end(), sn, 0x6B);
  return s;
}

tpm::QuoteBundle bundle() {
  tpm::QuoteBundle q;
  q.attest = attest_bytes();
  q.signature = tpmt_signature(32, 32);
  for (uint32_t i : {0u, 1u, 7u}) {
    tpm::PcrValue v;
    v.index = i;
    v.value.fill(static_cast<uint8_t>(i));
    q.pcrs.push_back(v);
  }
  q.ak_name = Bytes(34, 0x0b);
  q.ak_name[0] = 0x00;
  return q;
}

void tpm_seeds() {
  write("tpm_attest", "quote_pcr017", attest_bytes());
  write("tpm_signature", "ecdsa_32_32", tpmt_signature(32, 32));
  write("tpm_signature", "ecdsa_31_32", tpmt_signature(31, 32));
  write("tpm_quote_json", "bundle", tpm::quote_to_json(bundle()));
}

void verifier_http() {
  const std::string ueid = host::hex_encode(Bytes(33, 0x01));
  write("verifier_http", "nonce", std::string(1, '\0') + json{{"ueid", ueid}}.dump());
  write("verifier_http", "nonce_unknown",
        std::string(1, '\0') + json{{"ueid", host::hex_encode(Bytes(33, 0x02))}}.dump());
  json a = {{"ueid", ueid},
            {"nonce", host::b64_encode(Bytes(32, 0x44))},
            {"evidence", host::b64_encode(Bytes(40, 0xd2))},
            {"landmark_records", json::array({json{{"record", "AAAA"}, {"transcript", "AAAA"}}})},
            {"tpm", json::parse(tpm::quote_to_json(bundle()))}};
  write("verifier_http", "attest", std::string(1, '\1') + a.dump());
  write("verifier_http", "required", std::string(1, '\2') + ueid);
  write("verifier_http", "quote_policy", std::string(1, '\3') + ueid);
}

// A landmark TCP message: 4-byte big-endian length + JSON.
std::string lm_msg(const json& j) {
  const std::string t = j.dump();
  std::string out(4, '\0');
  out[0] = static_cast<char>(t.size() >> 24);
  out[1] = static_cast<char>(t.size() >> 16);
  out[2] = static_cast<char>(t.size() >> 8);
  out[3] = static_cast<char>(t.size());
  return out + t;
}

void landmark() {
  const std::string vn = host::hex_encode(Bytes(32, 0x44)),
                    ueid = host::hex_encode(Bytes(33, 0x01));
  const json setup = {{"type", "setup"}, {"verifier_nonce", vn}, {"ueid", ueid}, {"rounds", 4}};
  const crypto::P256PublicKey dev = pub_of(key_of("device eph"));
  const json dev_key = {{"type", "dev_key"},
                        {"dev_eph_pub", host::hex_encode(ByteSpan(dev.q.data(), 65))}};
  write("landmark_tcp", "setup", lm_msg(setup));
  write("landmark_tcp", "setup_devkey", lm_msg(setup) + lm_msg(dev_key));
  write("landmark_tcp", "setup_badpoint",
        lm_msg(setup) + lm_msg({{"type", "dev_key"}, {"dev_eph_pub", std::string(130, '4')}}));
  write("landmark_tcp", "error", lm_msg({{"type", "error"}, {"error", "x"}}));
  write("landmark_tcp", "close_first",
        lm_msg({{"type", "close"}, {"transcript", std::string(64, 'a')}}));
  // landmark_udp: [rounds-1 u8] then per-datagram chunks [len u16][op][bytes]
  // (targets/landmark_udp.cpp).
  Bytes u = {3};
  auto chunk = [&u](uint8_t opc, const Bytes& b) { op(&u, opc, b); };
  chunk(1, {});               // round 0: correct answer
  chunk(0, Bytes(30, 0x03));  // junk of the right size
  chunk(1, {});               // round 1: correct
  chunk(2, {0x55});           // round 2: well-formed, wrong answer
  write("landmark_udp", "two_good_one_wrong", u);
  Bytes all = {1};
  u.swap(all);
  chunk(1, {});
  chunk(1, {});
  write("landmark_udp", "two_good", u);
  write("landmark_config", "full",
        "id = \"sg-1\"\nlat = 1.3521\nlon = 103.8198\nkey_file = \"sg-1.pem\"\nlisten = "
        "\"127.0.0.1\"\n"
        "tcp_port = 7001\nudp_port = 7002\ntimeout_ms = 10000\n");
}

void records() {
  location::LandmarkRecord r;
  r.landmark_id = "sg-1";
  r.ueid = Bytes(33, 0x01);
  r.verifier_nonce = Bytes(32, 0x44);
  r.transcript_hash = Bytes(32, 0x99);
  r.lm_nonce = Bytes(32, 0x55);
  r.rtt_min_ns = 1234567;
  r.rounds = 16;
  Bytes rec = {0};
  const Bytes re = location::encode_record(r);
  rec.insert(rec.end(), re.begin(), re.end());
  write("lm_records", "record", rec);
  location::Transcript t;
  t.session_id = Bytes(16, 0x51);
  t.lm_nonce = Bytes(32, 0x55);
  t.verifier_nonce = Bytes(32, 0x44);
  t.lm_eph_pub = Bytes(65, 0x04);
  t.dev_eph_pub = Bytes(65, 0x04);
  t.ueid = Bytes(33, 0x01);
  for (uint64_t i = 0; i < 3; ++i) {
    location::Transcript::Round tr;
    tr.round = i;
    tr.challenge.fill(static_cast<uint8_t>(i));
    tr.answer.fill(static_cast<uint8_t>(0x80 + i));
    t.rounds.push_back(tr);
  }
  Bytes tb = {1};
  const Bytes te = location::encode_transcript(t);
  tb.insert(tb.end(), te.begin(), te.end());
  write("lm_records", "transcript", tb);
  // The board-side codec's landmark record and transcript too.
  proto::LandmarkRecord pr;
  pr.landmark_id = ByteSpan(reinterpret_cast<const uint8_t*>("sg-1"), 4);
  pr.ueid.fill(0x01);
  pr.verifier_nonce = ByteSpan(r.verifier_nonce.data(), r.verifier_nonce.size());
  pr.rtt_min_ns = 1234567;
  pr.rounds = 16;
  pr.transcript_hash.fill(0x99);
  pr.lm_nonce = ByteSpan(r.lm_nonce.data(), r.lm_nonce.size());
  uint8_t buf[proto::kMaxTranscriptSize];
  size_t n = 0;
  if (!proto::encode_landmark_record(pr, MutByteSpan(buf, sizeof buf), &n).ok())
    die("proto record");
  write("landmark_record", "sg1", Bytes(buf, buf + n));
  static proto::DboundTranscript pt;
  pt.session_id.fill(0x51);
  pt.lm_nonce = pr.lm_nonce;
  pt.verifier_nonce = pr.verifier_nonce;
  pt.lm_eph_pub.fill(0x04);
  pt.dev_eph_pub.fill(0x04);
  pt.ueid.fill(0x01);
  pt.round_count = 3;
  for (uint8_t i = 0; i < 3; ++i) pt.rounds[i].round = i;
  if (!proto::encode_transcript(pt, MutByteSpan(buf, sizeof buf), &n).ok()) die("proto transcript");
  write("transcript", "three_rounds", Bytes(buf, buf + n));
}

void trust_lists() {
  location::TrustList t;
  for (int i = 0; i < 2; ++i) {
    location::LandmarkEntry e;
    e.id = i == 0 ? "sg-1" : "jp-1";
    e.lat_deg = i == 0 ? 1.3521 : 35.6762;
    e.lon_deg = i == 0 ? 103.8198 : 139.6503;
    e.key = pub_of(key_of(i == 0 ? "lm sg-1" : "lm jp-1"));
    e.operator_name = "locus ops";
    e.host = "127.0.0.1";
    e.tcp_port = static_cast<uint16_t>(7001 + 2 * i);
    e.udp_port = static_cast<uint16_t>(7002 + 2 * i);
    t.landmarks.push_back(e);
  }
  const std::string text = location::trust_list_to_json(t);
  write("trustlist_json", "two", text);
  std::vector<uint8_t> cose;
  if (!location::sign_trust_list(text, key_of("locus fuzz trust-list signer"), &cose).ok())
    die("sign trust list");
  write("trustlist_cose", "two", cose);
}

void policies() {
  write("policy_toml", "full",
        "verifier_id = \"unit\"\nlease_s = 600\nnonce_ttl_s = 60\n"
        "[hwmodel.\"locus-host-sim\"]\nfwids = [\"" +
            std::string(64, 'a') +
            "\"]\nmin_svn = 2\nallow_debug = false\n"
            "[site.sg-1]\nzones = [{lat = 1.35, lon = 103.82, radius_km = 40}]\n"
            "forbidden = [{lat = 22.54, lon = 114.06, radius_km = 300}]\n"
            "[site.sg-lm]\nzones = [{lat = 1.35, lon = 103.82, radius_km = 40}]\nlandmarks = "
            "[\"lm-1\", \"lm-2\", \"lm-3\"]\n"
            "f = 1\nrounds = 16\nmargin_km = 2.5\nlease_s = 300\n"
            "[tpm]\nrequired = true\naccept_reboot = false\nhash = \"sha256\"\npcrs = [0, 1, 7]\n");
  write("policy_toml", "minimal", "verifier_id = \"v\"\n");
  const std::string poly =
      R"({"type":"Polygon","coordinates":[[[103.6,1.2],[104.1,1.2],[104.1,1.5],[103.6,1.5],[103.6,1.2]]]})";
  write(
      "location_toml", "full",
      "f = 1\nmargin_km = 1.0\nmargin_fraction = 0.005\nrequired_landmarks = [\"sg-1\", \"sg-2\"]\n"
      "[[zone]]\nname = \"sg-dc\"\nlat = 1.3337\nlon = 103.7437\nradius_km = 60\n"
      "[[zone]]\nname = \"sg-island\"\ngeojson_inline = '" +
          poly +
          "'\n"
          "[[forbidden]]\nname = \"prc-south\"\nlat = 22.5431\nlon = 114.0579\nradius_km = 300\n");
  write("geojson", "polygon", poly);
  write(
      "geojson", "multipolygon_hole",
      R"({"type":"MultiPolygon","coordinates":[[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[3,2],[3,3],[2,3],[2,2]]],)"
      R"([[[170,-5],[-170,-5],[-170,5],[170,5],[170,-5]]]]})");
  write(
      "geojson", "feature_collection",
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},"geometry":)" +
          poly + "}]}");
}

void audit_log() {
  const std::string dir = std::filesystem::temp_directory_path() / "locus-gen-seeds-audit";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  audit::AuditLog log(dir + "/audit.log", nullptr);
  if (!log.append("decision", R"({"ueid":"01","status":"affirming"})").ok()) die("audit");
  if (!log.append("nonce", R"({"n":1})").ok()) die("audit");
  if (!log.append("revoke", R"({"ueid":"02","reason":"stolen"})").ok()) die("audit");
  auto text = host::read_file(dir + "/audit.log");
  if (!text.ok()) die("audit read");
  write("audit_log", "three", text.value());
  std::filesystem::remove_all(dir);
}

int run(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_ROOT (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  frames();
  store();
  core();
  x509();
  tpm_seeds();
  verifier_http();
  landmark();
  records();
  trust_lists();
  policies();
  audit_log();
  printf("seeds written under %s\n", g_root.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // std::filesystem and the encoders throw on failure
    fprintf(stderr, "gen_seeds: %s\n", e.what());
    return 1;
  } catch (...) {
    fprintf(stderr, "gen_seeds: unknown exception\n");
    return 1;
  }
}
