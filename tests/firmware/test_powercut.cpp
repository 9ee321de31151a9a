// Power cuts in every state transition of the core: install DeviceID cert, install verifier
// key, rotate, apply license, renew license, boot (boot_count + min_svn raise).
//
// Exhaustive part: each transition runs once with its storage writes and write-once programs
// recorded; then, for every write k and every byte prefix p of it, the storage and the
// write-once region as a cut would leave them are rebuilt and loaded: the state must be
// exactly the old or the new one, and never a fault.
// Live part: for a spread of prefixes (all the boundaries: 0, 1, header, record end, slot end,
// and every 61st byte) the cut is injected into the running core: the request fails with
// kPersistFailed, the board stays RESTRICTED, and after reboot the state is old or new, the
// board boots RESTRICTED, and an acknowledged license counter is never lost.
#include <string.h>

#include <functional>
#include <string>
#include <vector>

#include "harness.h"
#include "locus_test/cmocka.h"
#include "state_eq.h"

using locus::Status;
using locus::firmware::FirmwareError;
using locus::firmware::kSlotSize;
using locus::firmware::PersistentState;
using locus::firmware::Store;
using th::Bytes;

namespace {

struct Transition {
  std::string name;
  std::function<void()> pre;     // from a fresh board: boot and prepare
  std::function<Status()> step;  // the transition (one request, or a boot)
  uint64_t acked_counter;        // license counter acknowledged before the step
};

Bytes fake_cert() {
  // A DER SEQUENCE that carries this board's DeviceID key (all the core checks).
  Bytes c = {0x30, 0x82, 0x00, 0x00};
  for (int i = 0; i < 40; ++i) c.push_back(static_cast<uint8_t>(i));
  const auto& pub = th::core().identity().devid_pub.q;
  c.insert(c.end(), pub.begin(), pub.end());
  for (int i = 0; i < 200; ++i) c.push_back(0x5A);
  c[2] = static_cast<uint8_t>((c.size() - 4) >> 8);
  c[3] = static_cast<uint8_t>(c.size() - 4);
  return c;
}

void boot_ok(uint32_t svn = 1) {
  assert_true(th::boot(svn).ok());
}

Status license(uint64_t counter, uint8_t seed) {
  const Bytes nonce = th::nonce_of(seed);
  LOCUS_TRY(th::get_evidence(nonce));
  return th::apply_license(th::sign_license(th::good_license(nonce, counter), 1));
}

std::vector<Transition> transitions() {
  std::vector<Transition> t;
  t.push_back({"install cert", [] { boot_ok(); },
               [] {
                 const Bytes c = fake_cert();
                 locus::protocol::InstallDevidCertRequest q;
                 q.cert = locus::ByteSpan(c.data(), c.size());
                 locus::protocol::InstallDevidCertResponse r;
                 return th::call(q, &r);
               },
               0});
  t.push_back({"install key", [] { boot_ok(); }, [] { return th::install_verifier_key(1); }, 0});
  t.push_back({"rotate",
               [] {
                 boot_ok();
                 assert_true(th::install_verifier_key(1).ok());
               },
               [] {
                 locus::crypto::P256PrivateKey p;
                 locus::crypto::P256PublicKey k;
                 th::verifier_key(2, &p, &k);
                 return th::rotate(th::sign_rotation(k, 5, 1));
               },
               0});
  // The evidence is fetched in pre so that the step is the license alone.
  t.push_back(
      {"apply license",
       [] {
         boot_ok();
         assert_true(th::install_verifier_key(1).ok());
         assert_true(th::get_evidence(th::nonce_of(3)).ok());
       },
       [] { return th::apply_license(th::sign_license(th::good_license(th::nonce_of(3), 3), 1)); },
       0});
  t.push_back(
      {"renew license",
       [] {
         boot_ok();
         assert_true(th::install_verifier_key(1).ok());
         assert_true(license(3, 3).ok());
         assert_true(th::get_evidence(th::nonce_of(4)).ok());
       },
       [] { return th::apply_license(th::sign_license(th::good_license(th::nonce_of(4), 4), 1)); },
       3});
  t.push_back({"boot (count + min_svn raise)",
               [] {
                 boot_ok(1);
                 assert_true(th::install_verifier_key(1).ok());
                 assert_true(license(3, 3).ok());
               },
               [] { return th::boot(2); }, 3});
  return t;
}

PersistentState load_state() {
  Store s;
  uint8_t k[32];
  fake::store_key(k);
  s.set_key(k);
  assert_true(s.load().ok());
  assert_false(s.fault());  // a cut never turns into a fault
  return s.state();
}

// Exhaustive: rebuild the storage of every (write, prefix) cut and load it.
// Cut points replayed per write: every prefix on the host; on the QEMU boards (TCG, a
// Store load per point) every 5th (coprime to the word size) plus the last two.
#ifdef LOCUS_FIRMWARE
constexpr size_t kPrefixStep = 5;
#else
constexpr size_t kPrefixStep = 1;
#endif

void test_exhaustive_replay(void**) {
  for (const Transition& tr : transitions()) {
    fake::reset_board();
    tr.pre();
    const PersistentState old_s = th::core().state();
    const std::vector<uint8_t> s0 = fake::board().storage;
    const std::vector<uint8_t> o0 = fake::board().otp;
    fake::board().write_log.clear();
    fake::board().write_offsets.clear();
    fake::board().write_is_otp.clear();
    fake::board().record_writes = true;
    assert_true(tr.step().ok());
    fake::board().record_writes = false;
    const PersistentState new_s = load_state();
    assert_false(state_eq(old_s, new_s));
    const auto writes = fake::board().write_log;
    const auto offsets = fake::board().write_offsets;
    const auto is_otp = fake::board().write_is_otp;
    assert_true(!writes.empty());
    size_t checked = 0;
    // Replays writes [0, k) whole and the first p bytes of write k (otp: programmed, AND).
    const auto rebuild = [&](size_t k, size_t p) {
      fake::board().storage = s0;
      fake::board().otp = o0;
      for (size_t j = 0; j <= k; ++j) {
        const size_t n = j < k ? writes[j].size() : p;
        if (is_otp[j]) {
          fake::otp_and(&fake::board().otp, offsets[j], writes[j].data(), n);
        } else {
          memcpy(fake::board().storage.data() + offsets[j], writes[j].data(), n);
        }
      }
    };
    const auto check = [&](size_t k, size_t p) {
      rebuild(k, p);
      const PersistentState got = load_state();
      if (!(state_eq(got, old_s) || state_eq(got, new_s)))
        fail_msg("%s: write %lu prefix %lu: neither old nor new", tr.name.c_str(),
                 static_cast<unsigned long>(k), static_cast<unsigned long>(p));
      assert_true(got.license_counter >= tr.acked_counter);
      ++checked;
    };
    for (size_t k = 0; k < writes.size(); ++k) {
      const size_t n = writes[k].size();
      for (size_t p = 0; p < n; p += kPrefixStep) check(k, p);
      if (n > 0) check(k, n - 1);
      check(k, n);
    }
    print_message("%s: %lu writes, %lu cut points checked\n", tr.name.c_str(),
                  static_cast<unsigned long>(writes.size()), static_cast<unsigned long>(checked));
  }
}

// Live: the cut is injected into the running core at a spread of prefixes.
void test_live_cuts(void**) {
#ifdef LOCUS_FIRMWARE
  // On the QEMU boards every cut costs two boots with DICE (~100 M instructions each): a cut
  // before the first byte, one inside the header, one before the last byte of the record.
  // Every cut point is covered there by test_exhaustive_replay.
  std::vector<size_t> prefixes = {0, 17, 1279};
#else
  std::vector<size_t> prefixes = {0,  1,  2,  3,    4,    8,    15,   16,
                                  17, 24, 64, 1000, 1100, 1200, 1279, 1280};
  for (size_t p = 61; p < kSlotSize; p += 61) prefixes.push_back(p);
#endif
  for (const Transition& tr : transitions()) {
    // The reference new state, from an uncut run.
    fake::reset_board();
    tr.pre();
    const PersistentState old_s = th::core().state();
    assert_true(tr.step().ok());
    const PersistentState new_s = load_state();
    for (size_t p : prefixes) {
      fake::reset_board();
      tr.pre();
      fake::arm_cut(1, p);
      const Status st = tr.step();
      assert_int_equal(st.code(), Status(FirmwareError::kPersistFailed).code());
      assert_true(th::is_restricted());
      fake::power_on();
      const PersistentState got = load_state();
      assert_true(state_eq(got, old_s) || state_eq(got, new_s));
      assert_true(got.license_counter >= tr.acked_counter);
      // Reboot: RESTRICTED, works, the counter never goes back.
      fake::board().mode = locus::board::InterconnectMode::kFull;
      boot_ok(tr.name.rfind("boot", 0) == 0 ? 2 : 1);
      assert_true(th::is_restricted());
      assert_true(th::core().state().license_counter >= tr.acked_counter);
      assert_true(th::core().state().boot_count == got.boot_count + 1);
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exhaustive_replay),
      cmocka_unit_test(test_live_cuts),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
