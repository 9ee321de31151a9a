// Test/bench helper: a locus-host-sim process and a BoardLink over the agent's board Link
// (LM_SETUP / fast-frame rounds / LM_CLOSE on the real firmware core).
#pragma once

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "locus/boardlink/link.h"
#include "locus/landmark/client.h"
#include "locus/landmark/errors.h"
#include "locus/location/records.h"
#include "locus_test/testproc.h"

namespace locus::test {

class HostSimBoard : public landmark::BoardLink {
 public:
  // Starts `bin` with fresh files in dir; false (with *why) if it does not come up.
  bool start(const std::string& bin, const std::string& dir, std::string* why) {
    std::ofstream(dir + "/uds.hex")
        << "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    std::ofstream(dir + "/image.bin") << "locus dbound bench image";
    proc_ = std::make_unique<host::test::Process>();
    if (!proc_->start({bin, "--uds", dir + "/uds.hex", "--image", dir + "/image.bin", "--state",
                       dir + "/state.bin", "--listen", "tcp:127.0.0.1:0"},
                      dir + "/hostsim.log")) {
      *why = "cannot start " + bin;
      return false;
    }
    std::string line;
    if (!proc_->wait_for_line("listening on", 20000, &line)) {
      *why = "host-sim did not print its listening line";
      return false;
    }
    const size_t at = line.find("listening on ");
    const std::string addr = line.substr(at + 13);
    auto s = link_.open("tcp:" + addr.substr(0, addr.find_first_of(" \r\n")), 5000);
    if (!s.ok()) {
      *why = "cannot open the board link: " + s.message();
      return false;
    }
    boardlink::Identity id;
    s = link_.get_identity(&id);
    if (!s.ok()) {
      *why = "GET_IDENTITY failed: " + s.message();
      return false;
    }
    ueid_ = id.ueid;
    alias_cert_ = id.alias_cert;
    return true;
  }
  const protocol::Ueid& ueid() const { return ueid_; }
  const std::vector<uint8_t>& alias_cert() const { return alias_cert_; }
  boardlink::Link& link() { return link_; }

  Status lm_setup(const landmark::LmSetupParams& p, std::array<uint8_t, 65>* dev_eph_pub) override {
    protocol::LmSetupRequest r;
    r.session_id = p.session_id;
    r.lm_nonce = ByteSpan(p.lm_nonce.data(), p.lm_nonce.size());
    r.lm_eph_pub = p.lm_eph_pub;
    r.rounds = p.rounds;
    r.verifier_nonce = ByteSpan(p.verifier_nonce.data(), p.verifier_nonce.size());
    return conv(link_.lm_setup(r, dev_eph_pub));
  }
  Status lm_round(uint8_t round, const std::array<uint8_t, 12>& challenge,
                  std::array<uint8_t, 12>* answer) override {
    return link_.fast_round(round, challenge, answer);
  }
  Status lm_close(const std::array<uint8_t, 16>& session_id,
                  std::vector<uint8_t>* transcript) override {
    return conv(link_.lm_close(session_id, transcript));
  }

 private:
  Status conv(const host::HStatus& s) {
    if (s.ok()) return Status::Ok();
    if (link_.board_error() != 0) return Status::FromCode(link_.board_error());
    return landmark::LandmarkError::kBoard;
  }
  std::unique_ptr<host::test::Process> proc_;
  boardlink::Link link_;
  protocol::Ueid ueid_{};
  std::vector<uint8_t> alias_cert_;
};

}  // namespace locus::test
