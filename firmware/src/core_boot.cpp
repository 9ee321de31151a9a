// Boot, interconnect mode, lease, journal commits and status.
#include "locus/firmware/core.h"

#include <string.h>

#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"
#include "core_internal.h"

namespace locus::firmware {

using namespace detail;  // NOLINT: the shared helpers of the core

Status Core::boot(const char* hwmodel, uint32_t svn) {
  // First thing at reset: the interconnect is RESTRICTED until a license says otherwise.
  board::set_interconnect(InterconnectMode::kRestricted);
  mode_ = InterconnectMode::kRestricted;
  mode_inv_ = inv(InterconnectMode::kRestricted);
  lease_end_us_ = 0;
  board::log("interconnect: RESTRICTED");
  boot_status_ = Status();
  rollback_ = kRollbackDetected;
  crypto::zeroize(evidence_nonce_, sizeof(evidence_nonce_));
  evidence_nonce_len_ = 0;
  evidence_nonce_valid_ = false;
  close_session();
  deframer_.reset();
  csr_len_ = 0;
  hwmodel_ = hwmodel != nullptr ? hwmodel : "";
  svn_ = svn;
  if (board::entropy_is_emulated()) board::log("emulation only: entropy is not a TRNG");

  Status st = store_.load();
  if (!st.ok()) {
    board::log("boot: persistent storage unusable");
    boot_status_ = st;
    return st;
  }
  st = dice_derive(svn, &secrets_, &id_);
  if (!st.ok()) {
    board::log("boot: DICE derivation failed");
    boot_status_ = FirmwareError::kDiceFailed;
    return boot_status_;
  }
  // One journal commit per boot: count the boot and raise min_svn to this image's SVN.
  next_ = store_.state();
  next_.boot_count = next_.boot_count + 1;
  if (svn > next_.min_svn) next_.min_svn = svn;
  st = commit_next();
  if (!st.ok()) {
    board::log("boot: journal commit failed");
    boot_status_ = st;
    return st;
  }
  if (store_.state().min_svn > svn) {
    char line[96];
    size_t n = 0;
    put_str(line, &n, "anti-rollback: stored min_svn ");
    put_dec(line, &n, store_.state().min_svn);
    put_str(line, &n, " > image SVN ");
    put_dec(line, &n, svn);
    put_str(line, &n, ": attestation refused");
    line[n] = '\0';
    board::log(line);
    rollback_ = kRollbackDetected;
  } else {
    rollback_ = kNoRollback;
  }
  st = drbg_.seed(board_entropy, nullptr, ByteSpan(id_.ueid, kUeidSize));
  if (!st.ok()) {
    board::log("boot: DRBG seeding failed");
    boot_status_ = st;
    return st;
  }
  boot_status_ = Status::Ok();
  return boot_status_;
}

bool Core::is_full() const {
  return mode_ == InterconnectMode::kFull && mode_inv_ == inv(InterconnectMode::kFull) &&
         board::monotonic_us() < lease_end_us_;
}

uint64_t Core::lease_remaining_ms() const {
  if (!is_full()) return 0;
  return (lease_end_us_ - board::monotonic_us()) / 1000;
}

void Core::restrict_now() {
  const bool was_restricted =
      mode_ == InterconnectMode::kRestricted && mode_inv_ == inv(InterconnectMode::kRestricted);
  board::set_interconnect(InterconnectMode::kRestricted);
  mode_ = InterconnectMode::kRestricted;
  mode_inv_ = inv(InterconnectMode::kRestricted);
  lease_end_us_ = 0;
  if (!was_restricted) board::log("interconnect: RESTRICTED");
}

void Core::set_mode(InterconnectMode m, uint32_t lease_s) {
  if (m != InterconnectMode::kFull) {
    restrict_now();
    return;
  }
  lease_end_us_ = board::monotonic_us() + static_cast<uint64_t>(lease_s) * 1000000u;
  mode_ = InterconnectMode::kFull;
  mode_inv_ = inv(InterconnectMode::kFull);
  board::set_interconnect(InterconnectMode::kFull);
  char line[64];
  size_t n = 0;
  put_str(line, &n, "interconnect: FULL (lease ");
  put_dec(line, &n, lease_s);
  put_str(line, &n, " s)");
  line[n] = '\0';
  board::log(line);
}

void Core::poll() {
  const bool restricted =
      mode_ == InterconnectMode::kRestricted && mode_inv_ == inv(InterconnectMode::kRestricted);
  if (restricted) return;
  // Anything other than a consistent, unexpired FULL falls back to RESTRICTED.
  if (!is_full()) restrict_now();
}

Status Core::commit_next() {
  const Status st = store_.commit(next_);
  crypto::zeroize(&next_, sizeof(next_));
  return st;
}

void Core::status_info(protocol::StatusInfo* out) const {
  const PersistentState& s = store_.state();
  const bool full = is_full();
  out->mode = full ? protocol::kModeFull : protocol::kModeRestricted;
  out->lease_remaining_ms = full ? lease_remaining_ms() : 0;
  out->license_counter = s.license_counter;
  out->boot_count = s.boot_count;
  out->svn = svn_;
  out->min_svn = s.min_svn;
  out->has_devid_cert = s.devid_cert_len != 0;
  out->has_verifier_key = s.has_verifier_key;
}

}  // namespace locus::firmware
