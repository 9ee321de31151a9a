// qemu_bench_target: the firmware core + a QEMU board, timing its operations in place.
// Run under `qemu-system-arm -icount shift=0`: QEMU's virtual clock then advances exactly
// 1 ns per guest instruction, and SysTick runs on that clock, so a SysTick difference
// converted to ns IS an instruction count (resolution 1e9/CPU Hz: 40 on mps2-an386,
// 5 on ast1030-evb). Prints "bench <name> <instructions>" lines on the UART and the stack
// high-water mark, then exits through semihosting. bench/qemu_bench.sh makes the table.
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/crypto/arena.h"
#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/board.h"
#include "locus/firmware/core.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"

namespace cm = locus::cm;
namespace proto = locus::protocol;
namespace crypto = locus::crypto;
using locus::ByteSpan;
using locus::MutByteSpan;

namespace {

locus::firmware::Core g_core;
uint8_t g_req[1024];
uint8_t g_resp[proto::kMaxPayload];
uint64_t g_overhead = 0;

uint64_t instr(uint64_t t0, uint64_t t1) {
  const uint64_t ns = cm::ticks_to_ns(t1 - t0);
  return ns > g_overhead ? ns - g_overhead : 0;
}

void report(const char* name, uint64_t n) {
  cm::uart_write("bench ");
  cm::uart_write(name);
  cm::uart_write(" ");
  cm::uart_write_dec(n);
  cm::uart_write("\r\n");
}

template <typename T>
size_t make_request(const T& body) {
  uint8_t item[512];
  locus::cbor::Encoder e(item, sizeof(item));
  if (!proto::encode_body(e, body).ok()) return 0;
  const locus::Result<size_t> n = e.finish();
  if (!n.ok()) return 0;
  size_t len = 0;
  if (!proto::encode_envelope(T::kType, 1, ByteSpan(item, n.value()),
                              MutByteSpan(g_req, sizeof(g_req)), &len)
           .ok()) {
    return 0;
  }
  return len;
}

// Times one request through Core::handle (decode, work, encode; no link I/O).
bool timed_handle(const char* name, uint8_t rev, size_t req_len, uint8_t want_type) {
  uint8_t out_rev = 0;
  size_t out_len = 0;
  const uint64_t t0 = cm::ticks();
  g_core.handle(rev, ByteSpan(g_req, req_len), &out_rev, MutByteSpan(g_resp, sizeof(g_resp)),
                &out_len);
  const uint64_t t1 = cm::ticks();
  report(name, instr(t0, t1));
  if (want_type == 0) return out_len > 0;
  proto::Envelope env;
  return proto::decode_envelope(ByteSpan(g_resp, out_len), &env).ok() && env.type == want_type;
}

void fail(const char* what) {
  cm::uart_write("bench FAILED at ");
  cm::uart_write(what);
  cm::uart_write("\r\n");
  cm::semi::exit(1);
}

void derive(const char* seed, crypto::P256PrivateKey* k, crypto::P256PublicKey* pub) {
  if (!crypto::p256_derive_key(ByteSpan(reinterpret_cast<const uint8_t*>(seed), strlen(seed)),
                               ByteSpan(reinterpret_cast<const uint8_t*>("bench"), 5), k)
           .ok() ||
      !crypto::p256_public_key(*k, pub).ok()) {
    fail("key derivation");
  }
}

// The board nonce of the evidence the request in g_req (n bytes) gets. Not inlined, so that
// its decoder state is not part of main's frame (the stack high-water mark is the firmware's).
__attribute__((noinline)) proto::BoardNonce evidence_board_nonce(size_t n) {
  proto::Envelope env;
  proto::EvidenceResponse ev;
  locus::cose::Sign1View view;
  proto::EatClaims claims;
  size_t len = 0;
  uint8_t rev = 0;
  g_core.handle(proto::kRevMessage, ByteSpan(g_req, n), &rev, MutByteSpan(g_resp, sizeof(g_resp)),
                &len);
  if (!proto::decode_envelope(ByteSpan(g_resp, len), &env).ok() ||
      !proto::decode_body(env.body, &ev).ok() ||
      !locus::cose::sign1_decode(ev.cose_sign1, &view).ok() ||
      !proto::decode_claims(view.payload, &claims).ok()) {
    fail("evidence decode");
  }
  return claims.board_nonce;
}

}  // namespace

int main() {
  {  // cost of reading the clock itself, subtracted from every figure
    const uint64_t a = cm::ticks();
    const uint64_t b = cm::ticks();
    g_overhead = cm::ticks_to_ns(b - a);
  }
  const uint64_t t_boot0 = cm::ticks();
  if (!g_core.boot(cm::port::kHwModel).ok()) fail("boot");
  const uint64_t t_boot1 = cm::ticks();
  // From reset (SysTick starts in the reset handler, after .data/.bss set-up) to ready.
  report("boot_to_ready", cm::ticks_to_ns(t_boot1));
  report("core_boot", instr(t_boot0, t_boot1));

  crypto::P256PrivateKey vkey, lmkey;
  crypto::P256PublicKey vpub, lmpub;
  derive("verifier", &vkey, &vpub);
  derive("landmark-eph", &lmkey, &lmpub);

  proto::InstallVerifierKeyRequest ik;
  ik.key = vpub.q;
  size_t n = make_request(ik);
  if (n == 0 || !timed_handle("install_verifier_key", proto::kRevMessage, n,
                              proto::response_type(proto::kMsgInstallVerifierKey))) {
    // Already installed from an earlier run on the same storage: fine for timing.
  }

  n = make_request(proto::GetIdentityRequest{});
  if (!timed_handle("get_identity", proto::kRevMessage, n,
                    proto::response_type(proto::kMsgGetIdentity)))
    fail("identity");
  proto::Envelope env;
  proto::IdentityResponse id;
  size_t resp_len = 0;
  {
    uint8_t rev = 0;
    g_core.handle(proto::kRevMessage, ByteSpan(g_req, n), &rev, MutByteSpan(g_resp, sizeof(g_resp)),
                  &resp_len);
    if (!proto::decode_envelope(ByteSpan(g_resp, resp_len), &env).ok() ||
        !proto::decode_body(env.body, &id).ok()) {
      fail("identity decode");
    }
  }
  const proto::Ueid ueid = id.ueid;
  const proto::Fwid fwid = id.fwid;

  uint8_t nonce[32];
  for (size_t i = 0; i < sizeof(nonce); ++i) nonce[i] = static_cast<uint8_t>(0x40 + i);
  proto::GetEvidenceRequest ge;
  ge.nonce = ByteSpan(nonce);
  n = make_request(ge);
  if (!timed_handle("evidence_sign", proto::kRevMessage, n,
                    proto::response_type(proto::kMsgGetEvidence)))
    fail("evidence");
  // The license must name the board nonce of that evidence (firmware/src/core_license.cpp).
  const proto::BoardNonce board_nonce = evidence_board_nonce(n);

  // A license for that nonce, signed here with the bench verifier key (not timed).
  static uint8_t payload[256], license[512];
  size_t plen = 0, llen = 0;
  proto::License l;
  l.ueid = ueid;
  l.nonce = ByteSpan(nonce);
  l.board_nonce = board_nonce;
  l.counter = 0xFFFF0000u + cm::semi::time_s() % 0xFFFF;  // above anything an earlier run stored
  l.mode = proto::kModeFull;
  l.lease_s = 60;
  l.site = ByteSpan(reinterpret_cast<const uint8_t*>("bench"), 5);
  l.fwid = fwid;
  locus::cose::Sign1Options opt;
  if (!proto::encode_license(l, MutByteSpan(payload, sizeof(payload)), &plen).ok() ||
      !locus::cose::sign1_es256(vkey, ByteSpan(payload, plen), opt,
                                MutByteSpan(license, sizeof(license)), &llen)
           .ok()) {
    fail("license build");
  }
  proto::ApplyLicenseRequest al;
  al.cose_sign1 = ByteSpan(license, llen);
  n = make_request(al);
  if (!timed_handle("license_verify_apply", proto::kRevMessage, n,
                    proto::response_type(proto::kMsgApplyLicense))) {
    fail("license");
  }
  if (!g_core.is_full()) fail("not FULL after license");

  proto::LmSetupRequest ls;
  for (uint8_t i = 0; i < 16; ++i) ls.session_id[i] = i;
  ls.lm_nonce = ByteSpan(nonce, 16);
  ls.lm_eph_pub = lmpub.q;
  ls.rounds = 32;
  ls.verifier_nonce = ByteSpan(nonce);
  n = make_request(ls);
  if (!timed_handle("lm_setup", proto::kRevMessage, n, proto::response_type(proto::kMsgLmSetup)))
    fail("lm setup");

  // One timed round through Core::handle: the fast frame payload round | challenge.
  g_req[0] = 0;
  for (uint8_t i = 0; i < 12; ++i) g_req[1 + i] = static_cast<uint8_t>(0x5A ^ (i * 29));
  if (!timed_handle("timed_round_handle", proto::kRevFast, 13, 0)) fail("round");
  // The same from wire bytes to wire bytes: deframe, answer, frame, UART write.
  uint8_t frame[64];
  size_t flen = 0;
  g_req[0] = 1;
  if (!proto::encode_frame(proto::kRevFast, ByteSpan(g_req, 13), MutByteSpan(frame, sizeof(frame)),
                           &flen)
           .ok())
    fail("frame");
  const uint64_t t0 = cm::ticks();
  g_core.on_link_bytes(frame, flen);
  const uint64_t t1 = cm::ticks();
  cm::uart_write("\r\n");  // the answer frame went out on the UART just before
  report("timed_round_wire", instr(t0, t1));

  // The remaining rounds, then LM_CLOSE: the transcript signed by the Alias key.
  for (uint8_t r = 2; r < ls.rounds; ++r) {
    g_req[0] = r;
    uint8_t out_rev = 0;
    size_t out_len = 0;
    g_core.handle(proto::kRevFast, ByteSpan(g_req, 13), &out_rev,
                  MutByteSpan(g_resp, sizeof(g_resp)), &out_len);
    if (out_rev != proto::kRevFast) fail("rounds");
  }
  proto::LmCloseRequest lc;
  lc.session_id = ls.session_id;
  n = make_request(lc);
  if (!timed_handle("lm_close", proto::kRevMessage, n, proto::response_type(proto::kMsgLmClose)))
    fail("lm close");

  // Board storage, after everything else (it overwrites journal slot B): one journal slot
  // (1280 bytes) committed (ast1030-evb: sector erase, five page programs, read-back of
  // both; mps2-an386: a semihosting write), read back, and 32 bytes of the write-once region.
  {
    static uint8_t slot[1280];
    for (size_t i = 0; i < sizeof(slot); ++i) slot[i] = static_cast<uint8_t>(i * 7);
    uint64_t s0 = cm::ticks();
    if (!locus::board::storage_write(locus::board::kStorageSectorSize, slot, sizeof(slot)).ok())
      fail("storage write");
    uint64_t s1 = cm::ticks();
    report("flash_commit_slot", instr(s0, s1));
    s0 = cm::ticks();
    if (!locus::board::storage_read(locus::board::kStorageSectorSize, slot, sizeof(slot)).ok())
      fail("storage read");
    s1 = cm::ticks();
    report("storage_read_slot", instr(s0, s1));
    uint8_t rec[32];
    memset(rec, 0x5A, sizeof(rec));
    s0 = cm::ticks();
    if (!locus::board::otp_program(locus::board::otp_size() - sizeof(rec), rec, sizeof(rec)).ok())
      fail("otp");
    s1 = cm::ticks();
    report("otp_program_32", instr(s0, s1));
  }

  report("clock_read_overhead", g_overhead);
  report("stack_high_water_bytes", cm::stack_high_water());
  report("stack_size_bytes", cm::stack_size());
  report("core_object_bytes", sizeof(locus::firmware::Core));
  // mbed TLS's high-water mark in the crypto arena over everything above (boot with the
  // Alias certificate, CSR, evidence, license verification, ECDH set-up, transcript signing).
  const crypto::ArenaStats arena = crypto::fw_crypto_arena_stats();
  report("crypto_arena_peak_bytes", arena.peak);
  report("crypto_arena_capacity_bytes", arena.capacity);
  report("crypto_arena_failures", arena.failures);
  return 0;
}
