// Fuzz target core: the whole board dispatcher, stateful. One firmware Core on the fake board
// of tests/firmware (booted once, verifier key 1 installed, then snapshotted and restored
// before every input) receives a sequence of operations; the input is a list of chunks
// [len u16 BE][op byte, argument...] (fuzz_targets.h):
//   op % 8 == 0  Core::handle(rev 1, argument)       a CBOR request message
//             1  Core::handle(rev 2, argument)       a timed-round fast frame
//             2  Core::on_link_bytes(argument)       raw link bytes (deframer, framing)
//             3  clock += argument (u32 BE, ms), then poll()
//             4  APPLY_LICENSE of argument signed as COSE_Sign1 by verifier key 1
//             5  ROTATE_VERIFIER_KEY of argument signed by verifier key 1
//             6  arm a power cut: the (arg[0] % 4 + 1)-th next storage write keeps arg[1] bytes
//             7  reboot (power back on, Core::boot)
// (at most 3 signed ops and 1 reboot per input count; further ones are skipped: cost)
// Invariants after every operation:
//   - the core's mode and the board's interconnect agree (hardened mode never splits);
//   - RESTRICTED -> FULL only by an APPLY_LICENSE that the core answered with success
//     (ops 4, or 0/2 carrying one), never by a timed round, the clock, a reboot or an error;
//   - a FULL lease never exceeds kMaxLeaseSeconds;
//   - a request answered with an error leaves the persistent state and the storage bytes
//     exactly as they were (no partial state);
//   - every rev-1 response is a well-formed envelope: the response type of the request or
//     an ErrorResponse with a non-zero code;
//   - the license counter, min SVN and rotation counter never decrease, across power cuts
//     and reboots included.
#include "locus/firmware/core.h"

#include <string.h>

#include <new>
#include <vector>

#include "fake_board.h"
#include "fuzz_targets.h"
#include "harness.h"
#include "locus/crypto/cose.h"
#include "locus/protocol/messages.h"
#include "state_eq.h"

using namespace locus;
namespace proto = locus::protocol;
using locus::firmware::Core;
using locus::firmware::PersistentState;

namespace {

constexpr uint64_t kMaxLeaseMs = 86400ull * 1000;  // the longest lease a license may grant
constexpr int kMaxSignedOps = 3;
constexpr int kMaxReboots = 1;

alignas(Core) uint8_t g_core_snapshot[sizeof(Core)];
fake::Board g_board_snapshot;
bool g_ready = false;
crypto::P256PrivateKey g_vkey;
uint8_t g_out[proto::kMaxPayload];
uint8_t g_msg[proto::kMaxPayload];
uint8_t g_cose[proto::kMaxPayload];
PersistentState g_before;
std::vector<uint8_t> g_storage_before;

void setup_once() {
  if (g_ready) return;
  fake::reset_board(1, 1);
  if (!th::boot().ok() || !th::install_verifier_key(1).ok()) __builtin_trap();
  crypto::P256PublicKey pub;
  th::verifier_key(1, &g_vkey, &pub);
  memcpy(static_cast<void*>(g_core_snapshot), static_cast<const void*>(&th::core()), sizeof(Core));
  g_board_snapshot = fake::board();
  g_board_snapshot.logs.clear();
  g_ready = true;
}

// On the host the Core's DRBG holds one mbed TLS heap block (its HMAC context), owned by the
// snapshot. A reboot op builds a fresh Core in place (which allocates its own block, owned by
// the live object: g_own), and the restore destroys that before copying the snapshot back.
bool g_own = false;

void reboot() {
  Core& c = th::core();
  if (g_own) c.~Core();
  new (&c) Core();
  g_own = true;
  fake::power_on();
  (void)c.boot("locus-test-board");
}

void restore() {
  if (g_own) th::core().~Core();
  g_own = false;
  // Same address, plain bytes: its internal spans point into itself, and its one heap block
  // is the snapshot's.
  memcpy(static_cast<void*>(&th::core()), static_cast<const void*>(g_core_snapshot), sizeof(Core));
  fake::board() = g_board_snapshot;
}

bool full() {
  return th::core().is_full();
}

// Hands one rev-1 message to the core and checks the response envelope. True when the core
// answered with the response type of the request (success), false for an ErrorResponse.
bool request(const uint8_t* msg, size_t n) {
  uint8_t rev = 0;
  size_t out_n = 0;
  th::core().handle(proto::kRevMessage, ByteSpan(msg, n), &rev, MutByteSpan(g_out, sizeof g_out),
                    &out_n);
  LOCUS_FUZZ_CHECK(rev == proto::kRevMessage);
  proto::Envelope env;
  LOCUS_FUZZ_CHECK(proto::decode_envelope(ByteSpan(g_out, out_n), &env).ok());
  if (env.type == proto::kMsgError) {
    proto::ErrorResponse e;
    LOCUS_FUZZ_CHECK(proto::decode_body(env.body, &e).ok() && e.code != 0);
    return false;
  }
  proto::Envelope req;
  LOCUS_FUZZ_CHECK(proto::decode_envelope(ByteSpan(msg, n), &req).ok());
  LOCUS_FUZZ_CHECK(env.type == proto::response_type(req.type) && env.request_id == req.request_id);
  return true;
}

// Signs payload with verifier key 1 and wraps it in a request of type Req.
template <typename Req>
bool signed_request(const uint8_t* payload, size_t n) {
  size_t cose_n = 0;
  if (!cose::sign1_es256(g_vkey, ByteSpan(payload, n), cose::Sign1Options(),
                         MutByteSpan(g_cose, sizeof g_cose), &cose_n)
           .ok()) {
    return false;
  }
  Req r;
  r.cose_sign1 = ByteSpan(g_cose, cose_n);
  size_t m = 0;
  if (!proto::encode_message(7, r, MutByteSpan(g_msg, sizeof g_msg), &m).ok()) return false;
  return request(g_msg, m);
}

bool is_license_request(const uint8_t* msg, size_t n) {
  proto::Envelope env;
  return proto::decode_envelope(ByteSpan(msg, n), &env).ok() && env.type == proto::kMsgApplyLicense;
}

uint32_t be32(const uint8_t* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n && i < 4; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace

extern "C" int locus_fuzz_core(const uint8_t* data, size_t size) {
  setup_once();
  restore();
  locus_fuzz::Chunks chunks{data, size};
  const uint8_t* c = nullptr;
  size_t n = 0;
  // Signing, verifying and booting cost milliseconds: a few of them per input keep the target
  // at hundreds of executions per second; further ones are skipped.
  int signed_ops = 0, reboots = 0;
  for (int ops = 0; ops < 64 && chunks.next(&c, &n); ++ops) {
    if (n == 0) continue;
    const uint8_t op = c[0] % 8;
    if (((op == 4 || op == 5) && ++signed_ops > kMaxSignedOps) ||
        (op == 7 && ++reboots > kMaxReboots))
      continue;
    const uint8_t* arg = c + 1;
    const size_t arg_n = n - 1;
    const bool was_full = full();
    g_before = th::core().state();
    g_storage_before = fake::board().storage;
    const bool powered_before = fake::board().powered;
    bool answered_ok = false;  // the op was a request and the core answered with success
    bool may_grant = false;    // the op may legitimately switch to FULL
    bool is_request = false;
    switch (op) {
      case 0:
        is_request = true;
        answered_ok = request(arg, arg_n);
        may_grant = answered_ok && is_license_request(arg, arg_n);
        break;
      case 1: {
        uint8_t rev = 0;
        size_t out_n = 0;
        th::core().handle(proto::kRevFast, ByteSpan(arg, arg_n), &rev,
                          MutByteSpan(g_out, sizeof g_out), &out_n);
        if (rev == proto::kRevMessage) {
          proto::Envelope e;
          LOCUS_FUZZ_CHECK(proto::decode_envelope(ByteSpan(g_out, out_n), &e).ok() &&
                           e.type == proto::kMsgError);
        } else {
          LOCUS_FUZZ_CHECK(rev == proto::kRevFast && out_n == proto::kFastRoundSize);
        }
        LOCUS_FUZZ_CHECK(state_eq(g_before, th::core().state()));  // the timed path never journals
        break;
      }
      case 2:
        // Whole frames may carry any request, a license included; the persistent-state rule
        // cannot be told apart per frame here, only the monotonic counters below.
        th::core().on_link_bytes(arg, arg_n);
        fake::board().link_out.clear();
        may_grant = true;
        break;
      case 3:
        fake::board().now_us += static_cast<uint64_t>(be32(arg, arg_n)) * 1000;
        th::core().poll();
        break;
      case 4:
        is_request = true;
        answered_ok = signed_request<proto::ApplyLicenseRequest>(arg, arg_n);
        may_grant = answered_ok;
        break;
      case 5:
        is_request = true;
        answered_ok = signed_request<proto::RotateVerifierKeyRequest>(arg, arg_n);
        break;
      case 6: fake::arm_cut(arg_n > 0 ? arg[0] % 4 + 1 : 1, arg_n > 1 ? arg[1] : 0); break;
      default: reboot(); break;
    }
    fake::board().logs.clear();
    if (answered_ok) LOCUS_FUZZ_ACCEPTED();
    const PersistentState& now = th::core().state();
    LOCUS_FUZZ_CHECK(th::core().is_full() ==
                     (fake::board().mode == board::InterconnectMode::kFull));
    if (!was_full && full()) LOCUS_FUZZ_CHECK(may_grant);
    if (full()) LOCUS_FUZZ_CHECK(th::core().lease_remaining_ms() <= kMaxLeaseMs);
    if (is_request && !answered_ok) {
      LOCUS_FUZZ_CHECK(state_eq(g_before, now));
      // (A power cut during the op legitimately leaves a torn slot behind.)
      if (powered_before == fake::board().powered)
        LOCUS_FUZZ_CHECK(g_storage_before == fake::board().storage);
    }
    if (th::core().boot_status().ok()) {
      LOCUS_FUZZ_CHECK(now.license_counter >= g_before.license_counter);
      LOCUS_FUZZ_CHECK(now.min_svn >= g_before.min_svn);
      LOCUS_FUZZ_CHECK(now.rotation_counter >= g_before.rotation_counter);
    }
  }
  return 0;
}
