#include "fake_device.h"

#include <sys/random.h>
#include <time.h>

#include <cstring>

#include "locus/crypto/ct.h"
#include "locus/crypto/x509.h"
#include "locus/location/records.h"

namespace locus::test {

namespace {
int entropy(void*, uint8_t* out, size_t len) {
  return getrandom(out, len, 0) == ssize_t(len) ? 0 : -1;
}
int64_t now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}
}  // namespace

void spin_ns(int64_t ns) {
  const int64_t end = now() + ns;
  for (long guard = 0; now() < end && guard < 4000000000L; ++guard) {
  }
}

FakeDevice::FakeDevice(uint8_t seed) {
  const uint8_t s[32] = {seed, 0x5a};
  static const uint8_t kLabel[] = "test alias";
  (void)crypto::p256_derive_key(ByteSpan(s, sizeof s), ByteSpan(kLabel, sizeof kLabel - 1),
                                &alias_);
  (void)crypto::p256_public_key(alias_, &alias_pub_);
  ueid_[0] = 0x01;
  for (size_t i = 1; i < 33; ++i) ueid_[i] = uint8_t(static_cast<size_t>(seed) * 31 + i);
  crypto::CertSpec spec;
  spec.subject = "CN=locus Alias (test),O=locus";
  spec.issuer = "CN=locus DeviceID (test),O=locus";
  const uint8_t serial[] = {seed};
  spec.serial = ByteSpan(serial, 1);
  std::vector<uint8_t> der(1024);
  size_t len = 0;
  if (crypto::x509_issue(spec, alias_pub_, alias_, MutByteSpan(der.data(), der.size()), &len)
          .ok()) {
    der.resize(len);
    alias_cert_ = der;
  }
  static const uint8_t kPers[] = "fake device";
  (void)drbg_.seed(entropy, nullptr, ByteSpan(kPers, sizeof kPers - 1));
}

FakeDevice::~FakeDevice() {
  protocol::dbound::zeroize(&table_);
}

Status FakeDevice::lm_setup(const landmark::LmSetupParams& p,
                            std::array<uint8_t, 65>* dev_eph_pub) {
  crypto::P256PrivateKey eph;
  crypto::P256PublicKey pub, lm;
  std::copy(p.lm_eph_pub.begin(), p.lm_eph_pub.end(), lm.q.begin());
  std::array<uint8_t, 32> shared{};
  uint8_t key[32];
  LOCUS_TRY(crypto::p256_generate_key(drbg_, &eph));
  LOCUS_TRY(crypto::p256_public_key(eph, &pub));
  LOCUS_TRY(crypto::ecdh_p256(eph, lm, &shared));
  LOCUS_TRY(protocol::dbound::derive_session_key(ByteSpan(shared), ByteSpan(p.lm_nonce),
                                                 ByteSpan(p.session_id), ByteSpan(p.lm_eph_pub),
                                                 ByteSpan(pub.q), ByteSpan(p.verifier_nonce), key));
  LOCUS_TRY(protocol::dbound::derive_table(key, p.rounds, &table_));
  crypto::zeroize(key, sizeof key);
  setup_ = p;
  dev_pub_ = pub.q;
  *dev_eph_pub = pub.q;
  open_ = true;
  next_ = 0;
  rounds_.clear();
  return Status::Ok();
}

Status FakeDevice::lm_round(uint8_t round, const std::array<uint8_t, 12>& challenge,
                            std::array<uint8_t, 12>* answer) {
  if (!open_ || round != next_ || round >= setup_.rounds) return CoreError::kInvalidArgument;
  std::array<uint8_t, 12> asked = challenge;
  if (mode_ == Mode::kPreAsk) {
    // A relay asked the board with its own guess of the challenge before the real one came;
    // the board answers each index once, so the relay can only forward that answer.
    (void)getrandom(asked.data(), asked.size(), 0);
  }
  protocol::dbound::answer(table_, round, asked.data(), answer->data());
  if (mode_ == Mode::kGuess) (void)getrandom(answer->data(), answer->size(), 0);
  if (delay_ns_ > 0) spin_ns(delay_ns_);
  std::array<uint8_t, 24> rec{};
  std::memcpy(rec.data(), challenge.data(), 12);
  std::memcpy(rec.data() + 12, answer->data(), 12);
  rounds_.push_back(rec);
  ++next_;
  return Status::Ok();
}

Status FakeDevice::lm_close(const std::array<uint8_t, 16>& session_id,
                            std::vector<uint8_t>* transcript) {
  if (!open_ || session_id != setup_.session_id) return CoreError::kInvalidArgument;
  location::Transcript t;
  t.session_id.assign(session_id.begin(), session_id.end());
  t.lm_nonce = setup_.lm_nonce;
  t.verifier_nonce = setup_.verifier_nonce;
  t.lm_eph_pub.assign(setup_.lm_eph_pub.begin(), setup_.lm_eph_pub.end());
  t.dev_eph_pub.assign(dev_pub_.begin(), dev_pub_.end());
  t.ueid.assign(ueid_.begin(), ueid_.end());
  for (size_t i = 0; i < rounds_.size(); ++i) {
    location::Transcript::Round r;
    r.round = i;
    std::memcpy(r.challenge.data(), rounds_[i].data(), 12);
    std::memcpy(r.answer.data(), rounds_[i].data() + 12, 12);
    t.rounds.push_back(r);
  }
  protocol::dbound::zeroize(&table_);
  open_ = false;
  const std::vector<uint8_t> payload = location::encode_transcript(t);
  if (payload.empty()) return CoreError::kInvalidArgument;
  return location::sign_cose(alias_, ByteSpan(payload), ByteSpan(), {alias_cert_}, transcript);
}

}  // namespace locus::test
