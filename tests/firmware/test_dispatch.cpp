// The link path: bytes in -> Deframer -> dispatcher -> response frames out (run_once over the
// fake link), framing errors answered with request id 0, the lease checked by the main loop,
// and the cost of a fast timed round.
#include <string.h>
#include <time.h>

#include "harness.h"
#include "locus/protocol/frame.h"
#include "locus_test/cmocka.h"

using locus::ByteSpan;
using locus::MutByteSpan;
using locus::Status;
namespace proto = locus::protocol;
using th::Bytes;

namespace {

int setup(void**) {
  fake::reset_board();
  return th::boot().ok() ? 0 : -1;
}

Bytes frame(uint8_t rev, const Bytes& payload) {
  static uint8_t out[proto::kMaxFrameSize];
  size_t n = 0;
  assert_true(proto::encode_frame(rev, ByteSpan(payload.data(), payload.size()),
                                  MutByteSpan(out, sizeof(out)), &n)
                  .ok());
  return Bytes(out, out + n);
}

// Deframes everything the core wrote to the link.
std::vector<Bytes> responses() {
  static proto::Deframer d;
  d.reset();
  std::vector<Bytes> out;
  for (uint8_t b : fake::board().link_out) {
    proto::DeframeResult r = d.feed(b);
    if (r.event == proto::DeframeEvent::kFrame)
      out.emplace_back(r.payload.begin(), r.payload.end());
  }
  fake::board().link_out.clear();
  return out;
}

// Two GET_STATUS frames arriving in one read, with line noise before them -> two responses
// with the right request ids; the noise before the first flag is ignored.
void test_two_frames_one_read(void**) {
  Bytes in = {0x11, 0x22};
  const Bytes m1 = {0x83, 0x07, 0x01, 0xF6};  // [7, 1, null]
  const Bytes m2 = {0x83, 0x07, 0x02, 0xF6};  // [7, 2, null]
  for (const Bytes& m : {m1, m2}) {
    const Bytes f = frame(proto::kRevMessage, m);
    in.insert(in.end(), f.begin(), f.end());
  }
  fake::board().link_in = in;
  assert_true(th::core().run_once(10).ok());
  const std::vector<Bytes> r = responses();
  assert_int_equal(r.size(), 2);
  for (size_t i = 0; i < 2; ++i) {
    uint32_t id = 0;
    proto::StatusResponse s;
    assert_true(proto::decode_message(ByteSpan(r[i].data(), r[i].size()), &id, &s).ok());
    assert_int_equal(id, i + 1);
    assert_int_equal(s.status.mode, proto::kModeRestricted);
  }
}

// A frame with a corrupted FCS -> an error response [0xFF, 0, kFrameBadFcs]; the next good
// frame is still answered.
void test_bad_fcs(void**) {
  Bytes f = frame(proto::kRevMessage, Bytes{0x83, 0x07, 0x05, 0xF6});
  f[f.size() - 2] ^= 0x01;  // inside the FCS (not a flag or escape byte here)
  const Bytes good = frame(proto::kRevMessage, Bytes{0x83, 0x07, 0x06, 0xF6});
  f.insert(f.end(), good.begin(), good.end());
  fake::board().link_in = f;
  assert_true(th::core().run_once(10).ok());
  const std::vector<Bytes> r = responses();
  assert_int_equal(r.size(), 2);
  uint32_t id = 99;
  proto::ErrorResponse e;
  assert_true(proto::decode_message(ByteSpan(r[0].data(), r[0].size()), &id, &e).ok());
  assert_int_equal(id, 0);
  assert_int_equal(e.code, Status(proto::ProtocolError::kFrameBadFcs).code());
  proto::StatusResponse s;
  assert_true(proto::decode_message(ByteSpan(r[1].data(), r[1].size()), &id, &s).ok());
  assert_int_equal(id, 6);
}

// A large response (GET_IDENTITY, ~1.5 KB with certificates) goes out streamed through the
// core's small TX buffer: the bytes on the link must equal protocol::encode_frame of the
// payload that handle() produces for the same request — flags, stuffing across the buffer's
// chunk boundaries and FCS included. The payload holds flag/escape bytes, so stuffing is
// exercised (checked).
void test_streamed_frame_equals_encode_frame(void**) {
  const Bytes req = {0x83, 0x01, 0x09, 0xF6};  // [1, 9, null]
  const Bytes direct = th::roundtrip(req);     // also caches the CSR: both answers equal
  assert_true(direct.size() > 1000);
  bool has_special = false;
  for (uint8_t b : direct) has_special = has_special || b == proto::kFlag || b == proto::kEscape;
  assert_true(has_special);
  fake::board().link_out.clear();
  fake::board().link_in = frame(proto::kRevMessage, req);
  assert_true(th::core().run_once(10).ok());
  const Bytes want = frame(proto::kRevMessage, direct);
  assert_int_equal(fake::board().link_out.size(), want.size());
  assert_memory_equal(fake::board().link_out.data(), want.data(), want.size());
}

// With nothing on the link, run_once still expires the lease (the main-loop check).
void test_main_loop_expires_lease(void**) {
  assert_true(th::install_verifier_key(1).ok());
  const Bytes nonce = th::nonce_of(1);
  assert_true(th::get_evidence(nonce).ok());
  th::LicenseFields f = th::good_license(nonce, 1);
  f.lease_s = 1;
  assert_true(th::apply_license(th::sign_license(f, 1)).ok());
  assert_true(th::is_full());
  fake::board().now_us += 1000000;
  assert_int_equal(th::core().run_once(10).code(),
                   Status(locus::board::BoardError::kLinkTimeout).code());
  assert_true(th::is_restricted());
}

// Cost of the fast path (informational; measured, not asserted): many rounds through
// handle() with a 64-round session reopened as needed.
void test_fast_round_cost(void**) {
  locus::crypto::P256PrivateKey lp;
  locus::crypto::P256PublicKey lq;
  th::verifier_key(50, &lp, &lq);
  const Bytes n = th::nonce_of(9);
  proto::LmSetupRequest q;
  q.lm_nonce = ByteSpan(n.data(), n.size());
  q.verifier_nonce = q.lm_nonce;
  memcpy(q.lm_eph_pub.data(), lq.q.data(), 65);
  q.rounds = 64;
  proto::LmSetupResponse r;
  assert_true(th::call(q, &r).ok());
  uint8_t p[13] = {};
  uint8_t out[64];
  size_t len = 0;
  uint8_t rev = 0;
#ifndef LOCUS_FIRMWARE  // on the boards, bench/qemu_bench.sh counts instructions instead
  timespec a{}, b{};
  clock_gettime(CLOCK_MONOTONIC, &a);
#endif
  for (uint8_t i = 0; i < 64; ++i) {
    p[0] = i;
    p[1] = i;
    th::core().handle(proto::kRevFast, ByteSpan(p, 13), &rev, MutByteSpan(out, sizeof(out)), &len);
    assert_int_equal(rev, proto::kRevFast);
  }
#ifndef LOCUS_FIRMWARE
  clock_gettime(CLOCK_MONOTONIC, &b);
  const double ns = (static_cast<double>(b.tv_sec - a.tv_sec) * 1e9 +
                     static_cast<double>(b.tv_nsec - a.tv_nsec)) /
                    64.0;
  print_message("fast round through Core::handle: %.0f ns per round (this build)\n", ns);
#endif
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_two_frames_one_read, setup),
      cmocka_unit_test_setup(test_bad_fcs, setup),
      cmocka_unit_test_setup(test_streamed_frame_equals_encode_frame, setup),
      cmocka_unit_test_setup(test_main_loop_expires_lease, setup),
      cmocka_unit_test_setup(test_fast_round_cost, setup),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
