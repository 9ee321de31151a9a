// locus/agent/link_board.h: the landmark session library's view of a board behind the board
// link (LM_SETUP, fast-frame rounds, LM_CLOSE). The agent relays every landmark session
// through it; the QEMU UART test and bench/qemu_rtt relay theirs the same way.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "locus/boardlink/link.h"
#include "locus/landmark/client.h"

namespace locus::agent {

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
    return to_status(link_->lm_setup(r, dev_eph_pub));
  }
  Status lm_round(uint8_t round, const std::array<uint8_t, 12>& challenge,
                  std::array<uint8_t, 12>* answer) override {
    return link_->fast_round(round, challenge, answer);
  }
  Status lm_close(const std::array<uint8_t, 16>& session_id,
                  std::vector<uint8_t>* transcript) override {
    return to_status(link_->lm_close(session_id, transcript));
  }

 private:
  // The board's own code when it refused, else the link's.
  Status to_status(const host::HStatus& s) {
    if (s.ok()) return Status::Ok();
    if (link_->board_error() != 0) return Status::FromCode(link_->board_error());
    return s.code();
  }
  boardlink::Link* link_;
};

}  // namespace locus::agent
