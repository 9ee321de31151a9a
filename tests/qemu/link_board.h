// tests/qemu/link_board.h: the landmark client's view of a board behind the agent's board
// link (LM_SETUP, fast-frame rounds, LM_CLOSE), relayed as `locus agent` relays them. Used
// by the QEMU UART test (test_qemu_uart.cpp) and bench/qemu_rtt.cpp on a firmware image
// started by scripts/qemu-board.
#pragma once

#include <array>
#include <vector>

#include "locus/boardlink/link.h"
#include "locus/landmark/client.h"
#include "locus/landmark/errors.h"

namespace locus::qemutest {

class LinkBoard : public landmark::BoardLink {
 public:
  explicit LinkBoard(boardlink::Link* l) : link_(l) {}
  Status lm_setup(const landmark::LmSetupParams& p, std::array<uint8_t, 65>* dev_eph_pub) override {
    protocol::LmSetupRequest r;
    r.session_id = p.session_id;
    r.lm_nonce = ByteSpan(p.lm_nonce.data(), p.lm_nonce.size());
    r.lm_eph_pub = p.lm_eph_pub;
    r.rounds = p.rounds;
    r.verifier_nonce = ByteSpan(p.verifier_nonce.data(), p.verifier_nonce.size());
    return conv(link_->lm_setup(r, dev_eph_pub));
  }
  Status lm_round(uint8_t round, const std::array<uint8_t, 12>& challenge,
                  std::array<uint8_t, 12>* answer) override {
    return link_->fast_round(round, challenge, answer);
  }
  Status lm_close(const std::array<uint8_t, 16>& session_id,
                  std::vector<uint8_t>* transcript) override {
    return conv(link_->lm_close(session_id, transcript));
  }

 private:
  Status conv(const host::HStatus& s) {
    if (s.ok()) return Status::Ok();
    if (link_->board_error() != 0) return Status::FromCode(link_->board_error());
    return landmark::LandmarkError::kBoard;
  }
  boardlink::Link* link_;
};

}  // namespace locus::qemutest
