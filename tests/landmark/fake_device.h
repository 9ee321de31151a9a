// Test fake only: an in-process emulation of the board's distance-bounding service, built
// from protocol/dbound (the same table code the firmware runs), behind the BoardLink the
// agent uses. It can add a delay to every timed round (emulated distance) and can misbehave
// like a relay that guesses or pre-asks answers.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "locus/crypto/drbg.h"
#include "locus/crypto/p256.h"
#include "locus/landmark/client.h"
#include "locus/protocol/dbound.h"

namespace locus::test {

class FakeDevice : public landmark::BoardLink {
 public:
  enum class Mode { kHonest, kGuess, kPreAsk };
  explicit FakeDevice(uint8_t seed = 1);
  ~FakeDevice() override;

  Status lm_setup(const landmark::LmSetupParams& p, std::array<uint8_t, 65>* dev_eph_pub) override;
  Status lm_round(uint8_t round, const std::array<uint8_t, 12>& challenge,
                  std::array<uint8_t, 12>* answer) override;
  Status lm_close(const std::array<uint8_t, 16>& session_id,
                  std::vector<uint8_t>* transcript) override;

  const std::array<uint8_t, 33>& ueid() const { return ueid_; }
  const crypto::P256PublicKey& alias_pub() const { return alias_pub_; }
  const std::vector<uint8_t>& alias_cert() const { return alias_cert_; }
  const crypto::P256PrivateKey& alias_key() const { return alias_; }
  void set_round_delay_ns(int64_t ns) { delay_ns_ = ns; }
  void set_mode(Mode m) { mode_ = m; }

 private:
  crypto::P256PrivateKey alias_;
  crypto::P256PublicKey alias_pub_;
  std::vector<uint8_t> alias_cert_;
  std::array<uint8_t, 33> ueid_{};
  crypto::Drbg drbg_;
  protocol::dbound::Table table_{};
  bool open_ = false;
  uint8_t next_ = 0;
  landmark::LmSetupParams setup_;
  std::array<uint8_t, 65> dev_pub_{};
  std::vector<std::array<uint8_t, 24>> rounds_;  // challenge || answer
  int64_t delay_ns_ = 0;
  Mode mode_ = Mode::kHonest;
};

// Busy-waits (precise to about a microsecond) for ns nanoseconds.
void spin_ns(int64_t ns);

}  // namespace locus::test
