// Boot, interconnect mode, lease, journal commits and status.
#include <string.h>

#include "core_internal.h"
#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/core.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"

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
  void_board_nonce();  // a reboot voids any board nonce (it lived in RAM only anyway)
  close_session();
  deframer_.reset();
  csr_len_ = 0;
  hwmodel_ = hwmodel != nullptr ? hwmodel : "";
  svn_ = svn;
  if (board::entropy_is_emulated()) {
    board::log("emulation only: entropy is not a TRNG");
  }

  // DICE first: it needs only the UDS and the image, and gives the store its MAC key.
  Status st = dice_derive(svn, &secrets_, &id_);
  if (!st.ok()) {
    board::log("boot: DICE derivation failed");
    boot_status_ = FirmwareError::kDiceFailed;
    return boot_status_;
  }
  store_.set_key(id_.storage_key);
  crypto::zeroize(id_.storage_key, sizeof(id_.storage_key));
  st = store_.load();
  if (!st.ok()) {
    board::log("boot: persistent storage unusable");
    boot_status_ = st;
    return st;
  }
  if (store_.fault()) {
    // Provisioned but unreadable or inconsistent: never blank. The board answers (status,
    // identity, evidence with the fault claim) but stays RESTRICTED and changes nothing.
    board::log("boot: storage FAULT: RESTRICTED, key/certificate installation refused");
  } else {
    // One journal commit per boot: count the boot and raise min_svn to this image's SVN.
    next_ = store_.state();
    next_.boot_count = next_.boot_count + 1;
    if (svn > next_.min_svn) {
      next_.min_svn = svn;
    }
    st = commit_next();
    if (!st.ok()) {
      board::log("boot: journal commit failed");
      boot_status_ = st;
      return st;
    }
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
  // FULL needs the mode and its complement to agree, an unexpired lease and healthy storage.
  return mode_ == InterconnectMode::kFull && mode_inv_ == inv(InterconnectMode::kFull) &&
         board::monotonic_us() < lease_end_us_ && !store_.fault();
}

uint64_t Core::lease_remaining_ms() const {
  if (!is_full()) {
    return 0;
  }
  return (lease_end_us_ - board::monotonic_us()) / 1000;
}

void Core::restrict_now() {
  const bool was_restricted =
      mode_ == InterconnectMode::kRestricted && mode_inv_ == inv(InterconnectMode::kRestricted);
  board::set_interconnect(InterconnectMode::kRestricted);
  mode_ = InterconnectMode::kRestricted;
  mode_inv_ = inv(InterconnectMode::kRestricted);
  lease_end_us_ = 0;
  if (!was_restricted) {
    board::log("interconnect: RESTRICTED");
  }
}

void Core::set_mode(InterconnectMode m, uint64_t lease_end_us) {
  const uint64_t now = board::monotonic_us();
  if (m != InterconnectMode::kFull || lease_end_us <= now) {
    restrict_now();
    return;
  }
  lease_end_us_ = lease_end_us;
  mode_ = InterconnectMode::kFull;
  mode_inv_ = inv(InterconnectMode::kFull);
  board::set_interconnect(InterconnectMode::kFull);
  char line[64];
  size_t n = 0;
  put_str(line, &n, "interconnect: FULL (lease ");
  put_dec(line, &n, (lease_end_us - now) / 1000);
  put_str(line, &n, " ms)");
  line[n] = '\0';
  board::log(line);
}

void Core::poll() {
  const bool restricted =
      mode_ == InterconnectMode::kRestricted && mode_inv_ == inv(InterconnectMode::kRestricted);
  if (restricted) {
    return;
  }
  // Anything other than a consistent, unexpired FULL falls back to RESTRICTED.
  if (!is_full()) {
    restrict_now();
  }
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
  out->storage = store_.wire_health();
}

void Core::void_board_nonce() {
  crypto::zeroize(evidence_nonce_, sizeof(evidence_nonce_));
  evidence_nonce_len_ = 0;
  crypto::zeroize(board_nonce_, sizeof(board_nonce_));
  evidence_time_us_ = 0;
  board_nonce_valid_ = hardened::kFalse;
}

}  // namespace locus::firmware
