// locus/firmware/core.h: the firmware core: journaled state, DICE identity, evidence,
// interconnect license enforcement, verifier key rotation, distance-bounding sessions, and
// the dispatcher that turns link bytes into responses. Hardware-free: everything the board
// provides goes through locus/firmware/board.h. No heap; one Core object (static storage)
// holds all state, so sizeof(Core) plus Core::kStaticScratch is the RAM the core uses.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "locus/crypto/drbg.h"
#include "locus/firmware/board.h"
#include "locus/firmware/dice.h"
#include "locus/firmware/errors.h"
#include "locus/firmware/hardened.h"
#include "locus/firmware/store.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/dbound.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"

#ifndef LOCUS_FW_SVN
#define LOCUS_FW_SVN 1
#endif

namespace locus::firmware {

// The security version of this image (build-time constant, compile definition LOCUS_FW_SVN).
constexpr uint32_t kFirmwareSvn = LOCUS_FW_SVN;
constexpr size_t kMaxNonce = protocol::kMaxNonceSize;
// A license must be applied within this many seconds of the evidence it answers (measured on
// the board's monotonic clock), and its lease is counted from that evidence (DESIGN §5).
constexpr uint32_t kAnswerWindowSeconds = 60;

// Message types, envelope and bodies: locus/protocol/messages.h.

class Core {
 public:
  // The reset path. Restricts the interconnect first, then loads the journal, derives the
  // DICE identity, increments boot_count and raises min_svn (one journal commit) and seeds
  // the DRBG. `svn` is the image SVN (kFirmwareSvn; host-sim may override it for tests).
  // On failure the core stays RESTRICTED and answers every request with the boot error.
  Status boot(const char* hwmodel, uint32_t svn = kFirmwareSvn);

  // Feeds bytes received on the link; complete frames are handled and the response frames
  // written with board::link_write.
  void on_link_bytes(const uint8_t* data, size_t n);
  // The link was re-established (a new client on host-sim): drops any partial frame.
  void link_reset() { deframer_.reset(); }
  // One main-loop iteration: lease check, link_read with timeout, feed, lease check.
  // Returns the link_read error (kLinkTimeout is normal) or OK.
  Status run_once(uint32_t timeout_ms);

  // Handles one request frame and writes the response frame payload (*out_rev = 1 or 2).
  void handle(uint8_t rev, ByteSpan payload, uint8_t* out_rev, MutByteSpan out, size_t* out_len);

  // Lease expiry: drops to RESTRICTED when the lease has run out.
  void poll();

  bool is_full() const;
  uint64_t lease_remaining_ms() const;
  const PersistentState& state() const { return store_.state(); }
  const DiceIdentity& identity() const { return id_; }
  bool attestation_refused() const { return rollback_ != kNoRollback; }
  // Storage health of this boot (store.h): kOk, kRecovered, or kFault (RESTRICTED for good).
  Health storage_health() const { return store_.health(); }
  bool storage_fault() const { return store_.fault(); }
  uint8_t storage_wire() const { return store_.wire_health(); }  // protocol::kStorage*
  bool provisioned() const { return store_.provisioned(); }
  // True while a board nonce from the latest GET_EVIDENCE is waiting for its license.
  bool board_nonce_pending() const { return board_nonce_valid_ == hardened::kTrue; }
  bool session_open() const { return session_.open; }
  Status boot_status() const { return boot_status_; }

 private:
  struct Session {
    bool open = false;
    size_t next_round = 0;
    uint8_t lm_nonce[kMaxNonce] = {};
    uint8_t verifier_nonce[kMaxNonce] = {};
    // The transcript as the protocol codec signs it; challenges and answers are recorded
    // straight into it (its nonce spans point at the two arrays above).
    protocol::DboundTranscript transcript;
    protocol::dbound::Table table{};
  };
  static constexpr uint32_t kNoRollback = 0x5AA5C33Cu;
  static constexpr uint32_t kRollbackDetected = 0xA55A3CC3u;

  // Requests are decoded and responses encoded by the protocol library (messages.h); the
  // handlers' `out` doubles as scratch before the response is written into it.
  Status dispatch(uint8_t type, ByteSpan body, MutByteSpan out, size_t* out_len, uint32_t req_id);
  Status do_identity(MutByteSpan out, size_t* n, uint32_t id);
  Status do_install_cert(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  Status do_install_key(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  Status do_rotate(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  Status do_evidence(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  Status do_license(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  Status do_lm_setup(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  Status do_lm_round(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  Status do_lm_close(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id);
  void status_info(protocol::StatusInfo* out) const;
  // Journals next_ (then wipes the scratch copy); the RAM state changes only on success.
  Status commit_next();
  // COSE_Sign1 (ES256, Alias key, x5chain = Alias cert) of payload into scratch_.
  Status sign_alias(ByteSpan payload, ByteSpan* cose);
  // The evidence a license may answer: copied out (and voided in the Core) at APPLY_LICENSE.
  struct PendingEvidence {
    uint32_t valid;  // hardened::kTrue / kFalse
    uint8_t nonce[kMaxNonce];
    size_t nonce_len;
    uint8_t board_nonce[protocol::kBoardNonceSize];
    uint64_t time_us;
  };
  Status check_license(ByteSpan license, const PendingEvidence& ev, uint64_t* counter,
                       uint64_t* lease_end_us);
  void void_board_nonce();
  void fast_round(ByteSpan payload, uint8_t* out_rev, MutByteSpan out, size_t* out_len);
  void handle_message(uint8_t rev, ByteSpan payload, uint8_t* out_rev, MutByteSpan out,
                      size_t* out_len);
  void set_mode(board::InterconnectMode m, uint64_t lease_end_us);
  void restrict_now();
  void close_session();
  // Streams one frame (flags, stuffing, FCS) to board::link_write through tx_.
  void send_frame(uint8_t rev, ByteSpan payload);

  Store store_;
  PersistentState next_;  // scratch for the next journaled state (kept off the stack)
  DiceSecrets secrets_{};
  DiceIdentity id_;
  crypto::Drbg drbg_;
  const char* hwmodel_ = "";
  uint32_t svn_ = 0;
  Status boot_status_;  // default: failure until boot() succeeds
  uint32_t rollback_ = kRollbackDetected;
  // Hardened interconnect mode: the mode and its bitwise complement must agree.
  board::InterconnectMode mode_ = board::InterconnectMode::kRestricted;
  uint8_t mode_inv_ =
      static_cast<uint8_t>(~static_cast<uint8_t>(board::InterconnectMode::kRestricted));
  uint64_t lease_end_us_ = 0;
  // The latest evidence, usable by one license: its verifier nonce, the board nonce drawn for
  // it, and the monotonic time it was made. RAM only; voided by GET_EVIDENCE, APPLY_LICENSE
  // and reset.
  uint8_t evidence_nonce_[kMaxNonce] = {};
  size_t evidence_nonce_len_ = 0;
  uint8_t board_nonce_[protocol::kBoardNonceSize] = {};
  uint64_t evidence_time_us_ = 0;
  uint32_t board_nonce_valid_ = hardened::kFalse;
  uint8_t csr_[kMaxCsr] = {};
  size_t csr_len_ = 0;
  Session session_;
  protocol::Deframer deframer_;
  // Two payload buffers: the response, and the COSE output it wraps (evidence, transcript).
  uint8_t resp_[protocol::kMaxPayload] = {};
  uint8_t scratch_[protocol::kMaxPayload] = {};
  uint8_t tx_[64] = {};   // stuffed frame bytes on their way to link_write
  uint8_t rx_[128] = {};  // link_read chunk
};

}  // namespace locus::firmware
