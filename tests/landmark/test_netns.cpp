// Distance bounding across emulated geography with real network namespaces (label netns).
//
// The test builds its own topology and removes it on every exit path:
//   namespace <p>-dev (the board's host: this test process joins it; the agent side)
//   namespaces <p>-lm<i> for landmarks Singapore, Kuala Lumpur, Jakarta, Hong Kong, each with
//   a veth pair to <p>-dev (10.77.<i>.1 landmark / 10.77.<i>.2 agent) and `tc netem delay`
//   on both ends = the one-way great-circle distance at fibre speed (0.66 c).
// Landmarks are real `locus landmark serve` processes started with `ip netns exec`. The board
// is the in-process emulation (fake_device), which adds the agent<->board leg (zero for the
// honest board, Singapore<->Shenzhen for the relay).
// Without privileges to create namespaces the test is skipped (exit 77, ctest SKIP). If the
// kernel has no netem qdisc, the landmark legs are added by the emulated board instead (said
// loudly in the output): namespaces, veths, processes and sockets stay real.
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fake_device.h"
#include "geo_fixture.h"
#include "locus/crypto/cose.h"
#include "locus/landmark/client.h"
#include "locus/location/location.h"
#include "locus/location/trustlist.h"
#include "locus_test/cmocka.h"
#include "locus_test/testproc.h"

using namespace locus;
using namespace locus::test;
namespace ht = locus::host::test;

namespace {

const City kLandmarks[] = {kSingapore, kKualaLumpur, kJakarta, kHongKong};
constexpr size_t kN = 4;
const uint8_t kNonce[24] = {0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
                            0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70};

struct Topo {
  std::string prefix, dev;
  std::vector<std::string> namespaces;  // every namespace we created
  bool netem = false;
  int orig_ns = -1;
  std::string tmp;
  std::unique_ptr<ht::Process> procs[kN];
  crypto::P256PrivateKey keys[kN];
  location::TrustList trust;
};
Topo* g_topo = nullptr;
// posix_spawn needs full paths.
std::string g_ip, g_tc;
std::string which(const char* name) {
  for (const char* d : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    std::string p = std::string(d) + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

int sh(const std::vector<std::string>& argv, std::string* err = nullptr) {
  std::string out, e;
  const int rc = ht::run_command(argv, &out, &e, 20000);
  if (err != nullptr) *err = e + out;
  return rc;
}

// Removes everything the test created. Safe to call more than once.
void cleanup() {
  Topo* t = g_topo;
  if (t == nullptr) return;
  for (auto& p : t->procs) p.reset();
  if (t->orig_ns >= 0) {
    (void)setns(t->orig_ns, CLONE_NEWNET);
    close(t->orig_ns);
    t->orig_ns = -1;
  }
  for (const auto& ns : t->namespaces) (void)sh({g_ip, "netns", "del", ns});
  t->namespaces.clear();
  if (!t->tmp.empty()) ht::remove_tree(t->tmp);
  t->tmp.clear();
}

void on_signal(int sig) {
  cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

// Deletes namespaces left by earlier runs that died (their creator pid is gone).
void sweep_stale() {
  std::string out, err;
  if (ht::run_command({g_ip, "netns", "list"}, &out, &err, 10000) != 0) return;
  size_t pos = 0;
  while ((pos = out.find("locus-nt", pos)) != std::string::npos) {
    const size_t end = out.find_first_of(" \n", pos);
    const std::string name = out.substr(pos, end - pos);
    pos = end;
    const long pid = std::strtol(name.c_str() + 8, nullptr, 10);
    if (pid > 0 && kill(pid_t(pid), 0) != 0) (void)sh({g_ip, "netns", "del", name});
  }
}

int64_t one_way_ns(const City& a, const City& b) {
  return fibre_rtt_ns(km(a, b)) / 2;
}

// 0 ok, 77 no privileges, 1 failure.
int build_topology(Topo* t) {
  uint8_t r[3];
  if (getrandom(r, sizeof r, 0) != ssize_t(sizeof r)) return 1;
  char p[64];
  std::snprintf(p, sizeof p, "locus-nt%d-%02x%02x%02x", int(getpid()), r[0], r[1], r[2]);
  t->prefix = p;
  t->dev = t->prefix + "-dev";
  std::string err;
  if (sh({g_ip, "netns", "add", t->dev}, &err) != 0) {
    std::printf("SKIP: cannot create a network namespace (needs CAP_SYS_ADMIN / root): %s\n",
                err.c_str());
    return 77;
  }
  t->namespaces.push_back(t->dev);
  if (sh({g_ip, "-n", t->dev, "link", "set", "lo", "up"}) != 0) return 1;
  t->netem = true;
  for (size_t i = 0; i < kN; ++i) {
    const std::string ns = t->prefix + "-lm" + std::to_string(i);
    const std::string d = "d" + std::to_string(i), l = "l" + std::to_string(i);
    const std::string net = "10.77." + std::to_string(i + 1);
    if (sh({g_ip, "netns", "add", ns}, &err) != 0) return 1;
    t->namespaces.push_back(ns);
    if (sh({g_ip, "-n", t->dev, "link", "add", d, "type", "veth", "peer", "name", l, "netns", ns},
           &err) != 0 ||
        sh({g_ip, "-n", t->dev, "addr", "add", net + ".2/30", "dev", d}) != 0 ||
        sh({g_ip, "-n", ns, "addr", "add", net + ".1/30", "dev", l}) != 0 ||
        sh({g_ip, "-n", t->dev, "link", "set", d, "up"}) != 0 ||
        sh({g_ip, "-n", ns, "link", "set", l, "up"}) != 0 ||
        sh({g_ip, "-n", ns, "link", "set", "lo", "up"}) != 0) {
      std::printf("topology: %s\n", err.c_str());
      return 1;
    }
    // One-way delay landmark <-> agent (the agent sits in the Singapore datacenter).
    const std::string us = std::to_string(one_way_ns(kLandmarks[i], kSgDatacenter) / 1000) + "us";
    if (t->netem && (sh({g_ip, "netns", "exec", ns, g_tc, "qdisc", "add", "dev", l, "root", "netem",
                         "delay", us},
                        &err) != 0 ||
                     sh({g_ip, "netns", "exec", t->dev, g_tc, "qdisc", "add", "dev", d, "root",
                         "netem", "delay", us},
                        &err) != 0)) {
      t->netem = false;
      std::printf(
          "NOTE: tc netem is not available (%s); the emulated board adds the landmark legs "
          "instead.\n",
          err.substr(0, err.find('\n')).c_str());
    }
  }
  // Landmark keys, configs and processes.
  t->tmp = ht::make_temp_dir("locus-netns");
  const char* bin_dir = std::getenv("LOCUS_BINARY_DIR");
  const std::string locus_bin = std::string(bin_dir != nullptr ? bin_dir : ".") + "/host/cli/locus";
  for (size_t i = 0; i < kN; ++i) {
    const uint8_t seed[16] = {uint8_t(i + 1), 0x42};
    static const uint8_t kLabel[] = "netns landmark";
    if (!crypto::p256_derive_key(ByteSpan(seed, 16), ByteSpan(kLabel, sizeof kLabel - 1),
                                 &t->keys[i])
             .ok())
      return 1;
    const std::string key = t->tmp + "/lm" + std::to_string(i) + ".pem";
    const std::string cfg = t->tmp + "/lm" + std::to_string(i) + ".toml";
    if (!location::write_private_key_pem(key, t->keys[i]).ok()) return 1;
    const std::string host = "10.77." + std::to_string(i + 1) + ".1";
    FILE* f = std::fopen(cfg.c_str(), "w");
    if (f == nullptr) return 1;
    std::fprintf(f,
                 "id = \"%s\"\nlat = %.6f\nlon = %.6f\nkey_file = \"%s\"\nlisten = "
                 "\"%s\"\ntimeout_ms = 5000\n",
                 kLandmarks[i].name, kLandmarks[i].lat, kLandmarks[i].lon, key.c_str(),
                 host.c_str());
    std::fclose(f);
    t->procs[i] = std::make_unique<ht::Process>();
    const std::string ns = t->prefix + "-lm" + std::to_string(i);
    if (!t->procs[i]->start(
            {g_ip, "netns", "exec", ns, locus_bin, "landmark", "serve", "--config", cfg},
            t->tmp + "/lm" + std::to_string(i) + ".log")) {
      return 1;
    }
    std::string line;
    if (!t->procs[i]->wait_for_line("listening", 15000, &line)) {
      std::printf("landmark %s did not start\n", kLandmarks[i].name);
      return 1;
    }
    unsigned tp = 0, up = 0;
    if (std::sscanf(line.c_str(), "listening tcp=%u udp=%u", &tp, &up) != 2) return 1;
    location::LandmarkEntry e;
    e.id = kLandmarks[i].name;
    e.lat_deg = kLandmarks[i].lat;
    e.lon_deg = kLandmarks[i].lon;
    (void)crypto::p256_public_key(t->keys[i], &e.key);
    e.host = host;
    e.tcp_port = uint16_t(tp);
    e.udp_port = uint16_t(up);
    t->trust.landmarks.push_back(e);
  }
  // Join the agent's namespace.
  t->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int fd = open(("/var/run/netns/" + t->dev).c_str(), O_RDONLY | O_CLOEXEC);
  if (t->orig_ns < 0 || fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    if (fd >= 0) close(fd);
    return 1;
  }
  close(fd);
  return 0;
}

Status session(Topo& t, FakeDevice& dev, size_t i, const City& device, landmark::SessionResult* out,
               std::string* why) {
  // The board's leg (agent in Singapore <-> board), plus the landmark leg without netem.
  int64_t d = fibre_rtt_ns(km(kSgDatacenter, device));
  if (!t.netem) d += fibre_rtt_ns(km(kLandmarks[i], kSgDatacenter));
  dev.set_round_delay_ns(d);
  const auto& e = t.trust.landmarks[i];
  landmark::LandmarkAddress a{e.id, e.host, e.tcp_port, e.udp_port};
  landmark::SessionOptions opt;
  opt.rounds = 16;
  opt.timeout_ms = 5000;
  const host::HStatus st =
      landmark::run_session(a, ByteSpan(kNonce), ByteSpan(dev.ueid()), dev, opt, out);
  if (why != nullptr) *why = st.message();
  return st.code();
}

std::vector<location::RecordPair> all_sessions(Topo& t, FakeDevice& dev, const City& device) {
  std::vector<location::RecordPair> pairs;
  for (size_t i = 0; i < kN; ++i) {
    landmark::SessionResult r;
    std::string why;
    const Status s = session(t, dev, i, device, &r, &why);
    if (!s.ok()) std::printf("session %s: %s\n", kLandmarks[i].name, why.c_str());
    assert_true(s.ok());
    pairs.push_back(r.pair);
  }
  return pairs;
}

void print(const location::LocationVerdict& v) {
  for (const auto& r : v.reasons) std::printf("  %s\n", r.c_str());
}

// Honest board in the Singapore datacenter: approved for its site.
void test_netns_honest_approved(void**) {
  FakeDevice dev(11);
  auto pairs = all_sessions(*g_topo, dev, kSgDatacenter);
  auto v = location::appraise_location(pairs, g_topo->trust, sg_policy(0), ByteSpan(kNonce),
                                       ByteSpan(dev.ueid()), dev.alias_pub());
  print(v);
  assert_true(v.approved);
  // Each landmark's radius covers its true distance (physics), none is absurdly large.
  for (const auto& d : v.discs) {
    const double truth = location::distance_km(d.center, {kSgDatacenter.lat, kSgDatacenter.lon});
    assert_true(d.radius_km >= truth);
  }
}

// The same board in Shenzhen behind a relay in Singapore (+ the Singapore-Shenzhen leg on
// every round, about 26 ms at fibre speed): refused.
void test_netns_relay_from_shenzhen_refused(void**) {
  FakeDevice dev(11);
  auto pairs = all_sessions(*g_topo, dev, kShenzhen);
  auto v = location::appraise_location(pairs, g_topo->trust, sg_policy(0), ByteSpan(kNonce),
                                       ByteSpan(dev.ueid()), dev.alias_pub());
  print(v);
  assert_false(v.approved);
  assert_true(v.discs[0].radius_km > km(kSgDatacenter, kShenzhen) * 1.0);
}

// One lying landmark (sg-1's key signs a 20 µs RTT for the Shenzhen board) with f = 1 cannot
// move the verdict: still refused (and the lie makes the full intersection inconsistent).
void test_netns_lying_landmark_f1(void**) {
  FakeDevice dev(12);
  auto pairs = all_sessions(*g_topo, dev, kShenzhen);
  cose::Sign1View cv;
  assert_true(cose::sign1_decode(ByteSpan(pairs[0].record), &cv).ok());
  location::LandmarkRecord rec;
  assert_true(location::decode_record(cv.payload, &rec).ok());
  rec.rtt_min_ns = 20000;  // sg-1 lies: "the board is next to me"
  const auto payload = location::encode_record(rec);
  assert_true(location::sign_cose(g_topo->keys[0], ByteSpan(payload),
                                  ByteSpan(reinterpret_cast<const uint8_t*>("sg-1"), 4), {},
                                  &pairs[0].record)
                  .ok());
  auto v = location::appraise_location(pairs, g_topo->trust, sg_policy(1), ByteSpan(kNonce),
                                       ByteSpan(dev.ueid()), dev.alias_pub());
  print(v);
  assert_false(v.approved);
}

// A relay that pre-asks the board (its own challenge before the landmark's arrives) or that
// guesses answers is caught: the landmark checks every answer and refuses the session.
void test_netns_guessing_relay_fails(void**) {
  for (auto mode : {FakeDevice::Mode::kPreAsk, FakeDevice::Mode::kGuess}) {
    FakeDevice dev(13);
    dev.set_mode(mode);
    landmark::SessionResult r;
    std::string why;
    const Status s = session(*g_topo, dev, 0, kSgDatacenter, &r, &why);
    std::printf("  relay mode %d: %s\n", int(mode), why.c_str());
    assert_false(s.ok());
    assert_non_null(std::strstr(why.c_str(), "wrong answer"));
  }
}

int teardown(void**) {
  cleanup();
  return 0;
}

}  // namespace

int main() {
  static Topo topo;
  g_topo = &topo;
  g_ip = which("ip");
  g_tc = which("tc");
  if (g_ip.empty() || g_tc.empty()) {
    std::printf("SKIP: iproute2 (ip, tc) not installed\n");
    return 77;
  }
  sweep_stale();
  std::atexit(cleanup);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  const int rc = build_topology(&topo);
  if (rc != 0) {
    cleanup();
    if (rc == 77) return 77;
    std::printf("failed to build the network topology\n");
    return 1;
  }
  std::printf("topology %s: %zu landmarks, delays by %s\n", topo.prefix.c_str(), kN,
              topo.netem ? "tc netem" : "the emulated board");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_netns_honest_approved),
      cmocka_unit_test(test_netns_relay_from_shenzhen_refused),
      cmocka_unit_test(test_netns_lying_landmark_f1),
      cmocka_unit_test(test_netns_guessing_relay_fails),
  };
  return cmocka_run_group_tests(tests, nullptr, teardown);
}
