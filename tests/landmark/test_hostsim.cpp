// End to end on the real firmware core: a landmark server (thread, loopback) times a session
// with locus-host-sim through the agent's board Link; the record verifies with the Alias key
// from the board's Alias certificate, and the verdict for a Singapore landmark at loopback
// distance is approved. Checks that the firmware's transcript and the landmark agree byte
// for byte.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "geo_fixture.h"
#include "hostsim_board.h"
#include "locus/crypto/x509_host.h"
#include "locus/landmark/server.h"
#include "locus/location/location.h"
#include "locus_test/cmocka.h"

using namespace locus;
using namespace locus::test;

namespace {

const uint8_t kNonce[32] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                            0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};

// Two sessions in a row with host-sim: both give a record that verifies; verdict approved.
void test_hostsim_session(void**) {
  const std::string dir = host::test::make_temp_dir("locus-lm-hostsim");
  HostSimBoard board;
  std::string why;
  const bool up = board.start(
      std::string(std::getenv("LOCUS_BINARY_DIR")) + "/boards/host-sim/locus-host-sim", dir, &why);
  if (!up) std::printf("%s\n", why.c_str());
  assert_true(up);
  crypto::Certificate alias;
  crypto::P256PublicKey alias_pub;
  assert_true(alias.parse(ByteSpan(board.alias_cert())).ok());
  assert_true(alias.public_key(&alias_pub).ok());

  crypto::P256PrivateKey key;
  const uint8_t seed[16] = {7};
  assert_true(crypto::p256_derive_key(ByteSpan(seed, 16), ByteSpan(seed, 1), &key).ok());
  landmark::LandmarkConfig cfg;
  cfg.id = kSingapore.name;
  cfg.lat_deg = kSingapore.lat;
  cfg.lon_deg = kSingapore.lon;
  cfg.timeout_ms = 5000;
  landmark::Server server(cfg, key);
  assert_true(server.start().ok());
  std::atomic<bool> stop{false};
  std::thread th([&] { server.serve(&stop, 0, false); });
  location::TrustList tl;
  location::LandmarkEntry e;
  e.id = cfg.id;
  e.lat_deg = cfg.lat_deg;
  e.lon_deg = cfg.lon_deg;
  assert_true(crypto::p256_public_key(key, &e.key).ok());
  tl.landmarks.push_back(e);

  for (int k = 0; k < 2; ++k) {
    landmark::SessionResult r;
    landmark::SessionOptions opt;
    opt.rounds = 32;
    opt.timeout_ms = 5000;
    const host::HStatus s =
        landmark::run_session({cfg.id, "127.0.0.1", server.tcp_port(), server.udp_port()},
                              ByteSpan(kNonce), ByteSpan(board.ueid()), board, opt, &r);
    if (!s.ok()) std::printf("session: %s\n", s.message().c_str());
    assert_true(s.ok());
    assert_int_equal(r.rtts_ns.size(), 32);
    location::LandmarkRecord rec;
    size_t idx = 0;
    const host::HStatus vs = location::verify_record_pair(
        r.pair, tl, ByteSpan(kNonce), ByteSpan(board.ueid()), alias_pub, &rec, &idx);
    if (!vs.ok()) std::printf("verify: %s\n", vs.message().c_str());
    assert_true(vs.ok());
    std::printf("  host-sim session %d: rtt_min %.1f us (%.1f km)\n", k,
                double(rec.rtt_min_ns) / 1e3, location::rtt_to_km(double(rec.rtt_min_ns)));
    location::LocationPolicy p;
    location::Zone z;
    z.disc = {"sg", {kSingapore.lat, kSingapore.lon}, 200};
    p.zones.push_back(z);
    auto v = location::appraise_location({r.pair}, tl, p, ByteSpan(kNonce), ByteSpan(board.ueid()),
                                         alias_pub);
    for (const auto& reason : v.reasons) std::printf("  %s\n", reason.c_str());
    assert_true(v.approved);
  }
  stop = true;
  th.join();
  host::test::remove_tree(dir);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_hostsim_session)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
