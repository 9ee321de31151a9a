// Robustness of the dispatcher against hostile input (deterministic mutation fuzzing; a
// bounded number of iterations so that it runs in every test pass). Seeds are valid
// requests of every type, except that the license answers a stale nonce and the rotation is
// signed by an unknown key, so no mutation can legitimately grant FULL or change the key.
// For every mutated input: the core answers with a well-formed response (or a fast frame),
// never crashes (ASan/UBSan builds), never goes FULL, and the journaled state stays put.
#include <string.h>

#include "harness.h"
#include "locus/protocol/frame.h"
#include "locus_test/cmocka.h"
#include "locus_test/mutate.h"
#include "state_eq.h"

using locus::ByteSpan;
using locus::MutByteSpan;
namespace proto = locus::protocol;
using th::Bytes;

namespace {

locus_test::Rng g_rng;

template <typename Req>
Bytes enc(const Req& r) {
  uint8_t buf[4096];
  size_t n = 0;
  if (!proto::encode_message(1, r, MutByteSpan(buf, sizeof(buf)), &n).ok()) abort();
  return Bytes(buf, buf + n);
}

std::vector<Bytes> seeds() {
  std::vector<Bytes> s;
  s.push_back(enc(proto::GetIdentityRequest{}));
  s.push_back(enc(proto::GetStatusRequest{}));
  static Bytes cert(300, 0x30);
  proto::InstallDevidCertRequest c;
  c.cert = ByteSpan(cert.data(), cert.size());
  s.push_back(enc(c));
  proto::InstallVerifierKeyRequest k;
  k.key[0] = 4;
  s.push_back(enc(k));
  locus::crypto::P256PrivateKey p;
  locus::crypto::P256PublicKey q;
  th::verifier_key(3, &p, &q);
  static Bytes rot = th::sign_rotation(q, 9, 3);  // unknown signer
  proto::RotateVerifierKeyRequest rr;
  rr.cose_sign1 = ByteSpan(rot.data(), rot.size());
  s.push_back(enc(rr));
  static Bytes nonce = th::nonce_of(5);
  proto::GetEvidenceRequest ev;
  ev.nonce = ByteSpan(nonce.data(), nonce.size());
  s.push_back(enc(ev));
  static Bytes lic = th::sign_license(th::good_license(th::nonce_of(77), 3), 1);  // stale nonce
  proto::ApplyLicenseRequest al;
  al.cose_sign1 = ByteSpan(lic.data(), lic.size());
  s.push_back(enc(al));
  proto::LmSetupRequest ls;
  ls.lm_nonce = ev.nonce;
  ls.verifier_nonce = ev.nonce;
  memcpy(ls.lm_eph_pub.data(), q.q.data(), 65);
  ls.rounds = 3;
  s.push_back(enc(ls));
  proto::LmRoundRequest lr;
  s.push_back(enc(lr));
  proto::LmCloseRequest lc;
  s.push_back(enc(lc));
  return s;
}

// Mutated requests through handle() (rev 1 and rev 2) and mutated frames through the link.
void test_mutations(void**) {
  fake::reset_board();
  assert_true(th::boot().ok());
  assert_true(th::install_verifier_key(1).ok());
  const locus::firmware::PersistentState before = th::core().state();
  const std::vector<Bytes> base = seeds();
  static uint8_t out[proto::kMaxPayload];
  for (int i = 0; i < 3000; ++i) {
    const Bytes m = locus_test::mutated(base[g_rng.below(base.size())], g_rng);
    const uint8_t rev = (g_rng.below(8) == 0) ? proto::kRevFast : proto::kRevMessage;
    uint8_t orev = 0;
    size_t n = 0;
    th::core().handle(rev, ByteSpan(m.data(), m.size()), &orev, MutByteSpan(out, sizeof(out)), &n);
    if (orev == proto::kRevMessage) {
      proto::Envelope env;
      assert_true(proto::decode_envelope(ByteSpan(out, n), &env).ok());
    } else {
      assert_int_equal(orev, proto::kRevFast);
      assert_int_equal(n, 13);
    }
    assert_true(th::is_restricted());
  }
  for (int i = 0; i < 300; ++i) {
    uint8_t f[proto::kMaxFrameSize];
    size_t n = 0;
    const Bytes& m = base[g_rng.below(base.size())];
    assert_true(proto::encode_frame(proto::kRevMessage, ByteSpan(m.data(), m.size()),
                                    MutByteSpan(f, sizeof(f)), &n)
                    .ok());
    const Bytes bad = locus_test::mutated(Bytes(f, f + n), g_rng);
    th::core().on_link_bytes(bad.data(), bad.size());
    assert_true(th::is_restricted());
  }
  fake::board().link_out.clear();
  assert_int_equal(th::core().state().license_counter, before.license_counter);
  assert_memory_equal(th::core().state().verifier_key, before.verifier_key, 65);
  assert_int_equal(th::core().state().rotation_counter, 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_mutations)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
