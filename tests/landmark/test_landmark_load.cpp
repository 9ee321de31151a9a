// The landmark under idle connections and concurrent sessions (issue 11), against the real
// `locus landmark serve` process on loopback; the device is the in-process FakeDevice (the
// firmware's own dbound table code) behind the landmark client library.
//
// Attackers use their own loopback source addresses (127.0.4.x, 127.0.5.1); the honest
// client 127.0.0.1. Every wait is bounded; the server is killed by PID.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fake_device.h"
#include "locus/common/common.h"
#include "locus/landmark/client.h"
#include "locus_test/cmocka.h"  // last: its macros clash with the C++ library
#include "locus_test/testproc.h"

using namespace locus;
using host::test::Process;

namespace {

const std::vector<uint8_t> kNonce(32, 0x5a);

struct Landmark {
  std::string dir;
  Process proc;
  uint16_t tcp = 0, udp = 0;
};

// Starts `locus landmark serve` with setup_timeout_ms 1000 and the given extra TOML lines;
// waits for its "listening tcp=T udp=U" line.
void start_landmark(Landmark* lm, const std::string& extra) {
  const char* b = std::getenv("LOCUS_BINARY_DIR");
  assert_non_null(b);
  const std::string bin = std::string(b) + "/host/cli/locus";
  lm->dir = host::test::make_temp_dir("locus-lmload-");
  std::string out, err;
  assert_int_equal(host::test::run_command({bin, "landmark", "keygen", "--out", lm->dir + "/lm.key",
                                            "--pub", lm->dir + "/lm.pub"},
                                           &out, &err),
                   0);
  {
    std::ofstream f(lm->dir + "/lm.toml");
    f << "id = \"load-1\"\nlat = 1.29\nlon = 103.85\nkey_file = \"lm.key\"\nlisten = "
         "\"127.0.0.1\"\n"
         "timeout_ms = 3000\nsetup_timeout_ms = 1000\n"
      << extra;
  }
  assert_true(lm->proc.start({bin, "landmark", "serve", "--config", lm->dir + "/lm.toml"},
                             lm->dir + "/lm.log"));
  std::string line;
  assert_true(lm->proc.wait_for_line("listening tcp=", 10000, &line));
  unsigned t = 0, u = 0;
  assert_int_equal(std::sscanf(line.c_str(), "listening tcp=%u udp=%u", &t, &u), 2);
  lm->tcp = uint16_t(t);
  lm->udp = uint16_t(u);
}

void raise_nofile() {
  rlimit rl{};
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
  rl.rlim_cur = rl.rlim_max;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

int connect_from(const std::string& src, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{}, to{};
  a.sin_family = to.sin_family = AF_INET;
  inet_pton(AF_INET, src.c_str(), &a.sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  to.sin_port = htons(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads what the server sent (without waiting) and says whether it has closed the connection.
bool closed_by_server(int fd, std::string* got = nullptr) {
  char b[4096];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    if (got != nullptr) got->append(b, size_t(n));
  }
  return false;
}

std::string framed(const std::string& json) {
  std::string h(4, '\0');
  h[0] = char(json.size() >> 24);
  h[1] = char(json.size() >> 16);
  h[2] = char(json.size() >> 8);
  h[3] = char(json.size());
  return h + json;
}

Status honest_session(const Landmark& lm, uint8_t seed, int rounds, std::string* why,
                      landmark::SessionResult* r = nullptr) {
  test::FakeDevice dev(seed);
  landmark::SessionResult local;
  landmark::SessionOptions opt;
  opt.rounds = uint8_t(rounds);
  opt.timeout_ms = 3000;
  const host::HStatus st =
      landmark::run_session({"load-1", "127.0.0.1", lm.tcp, lm.udp}, ByteSpan(kNonce),
                            ByteSpan(dev.ueid()), dev, opt, r != nullptr ? r : &local);
  if (why != nullptr) *why = st.message();
  return st.code();
}

// 200 idle connections (4 source addresses x 50) and 20 connections from one more address
// that send a complete set-up and then stall (so they hold session slots: at most
// max_sessions_per_source = 8 of them get one; the rest are told "busy"). Meanwhile honest
// sessions run back to back for 2.5 s: every one succeeds, each within 1.5 s. Afterwards every
// idle connection has been closed by the server (set-up timeout 1 s), the stalled sessions too
// (session timeout 3 s), and the stalled ones beyond 8 were answered "busy". A landmark that
// serves one session at a time fails the honest sessions here; one without a set-up timeout
// keeps the idle connections open.
void test_idle_connections(void**) {
  raise_nofile();
  Landmark lm;
  start_landmark(&lm, "");
  std::vector<int> idle, stalled;
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < 50; ++i) {
      const int fd = connect_from("127.0.4." + std::to_string(s + 1), lm.tcp);
      assert_true(fd >= 0);
      idle.push_back(fd);
    }
  }
  const std::string setup =
      framed("{\"type\":\"setup\",\"verifier_nonce\":\"" + std::string(64, 'a') + "\",\"ueid\":\"" +
             std::string(66, 'b') + "\",\"rounds\":4}");
  for (int i = 0; i < 20; ++i) {
    const int fd = connect_from("127.0.5.1", lm.tcp);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, setup.data(), setup.size(), MSG_NOSIGNAL), ssize_t(setup.size()));
    stalled.push_back(fd);
  }
  const int64_t until = host::monotonic_ms() + 2500;
  int n = 0;
  for (; n < 200 && host::monotonic_ms() < until; ++n) {
    std::string why;
    const int64_t t0 = host::monotonic_ms();
    const Status s = honest_session(lm, uint8_t(n + 1), 16, &why);
    const int64_t dt = host::monotonic_ms() - t0;
    if (!s.ok() || dt >= 1500)
      print_message("session %d: %s (%lld ms)\n", n, why.c_str(), static_cast<long long>(dt));
    assert_true(s.ok());
    assert_true(dt < 1500);
  }
  print_message("%d honest sessions next to 200 idle and 20 stalled connections\n", n);
  assert_true(n >= 3);
  // Wait (bounded, 5 s) until the stalled sessions' 3 s timeout has passed for all of them.
  size_t busy = 0, stalled_closed = 0;
  for (int fd : stalled) {
    pollfd p{fd, POLLIN, 0};
    std::string got;
    bool closed = false;
    for (int i = 0; i < 50 && !closed; ++i) {
      (void)poll(&p, 1, 100);
      closed = closed_by_server(fd, &got);
    }
    stalled_closed += closed ? 1 : 0;
    busy += got.find("busy") != std::string::npos ? 1 : 0;
  }
  size_t idle_closed = 0;
  for (int fd : idle) idle_closed += closed_by_server(fd) ? 1 : 0;
  print_message("closed by the server: idle %zu/200, stalled %zu/20 (%zu told busy)\n", idle_closed,
                stalled_closed, busy);
  assert_int_equal(idle_closed, 200);
  assert_int_equal(stalled_closed, 20);
  assert_int_equal(busy, 12);
  for (int fd : idle) close(fd);
  for (int fd : stalled) close(fd);
  (void)lm.proc.kill_and_wait();
  host::test::remove_tree(lm.dir);
}

// 32 sessions at once from one address (per-source cap raised to 32), one thread and one
// fake device each, 32 rounds: all succeed with a minimum RTT under 5 ms. The UDP thread
// routes every datagram by session id; a mix-up between sessions fails a round with a wrong
// answer, and a lost hand-off fails it with a timeout.
void test_concurrent_sessions(void**) {
  Landmark lm;
  start_landmark(&lm, "max_sessions_per_source = 32\n");
  std::atomic<int> ok{0};
  std::vector<std::thread> th;
  std::vector<uint64_t> rtt(32, 0);
  th.reserve(32);
  for (int i = 0; i < 32; ++i) {
    th.emplace_back([&, i] {
      std::string why;
      landmark::SessionResult r;
      if (honest_session(lm, uint8_t(100 + i), 32, &why, &r).ok()) {
        ++ok;
        rtt[size_t(i)] = r.rtt_min_ns;
      } else {
        std::fprintf(stderr, "session %d: %s\n", i, why.c_str());
      }
    });
  }
  for (auto& t : th) t.join();
  assert_int_equal(ok.load(), 32);
  for (uint64_t v : rtt) assert_true(v > 0 && v < 5000000);
  (void)lm.proc.kill_and_wait();
  host::test::remove_tree(lm.dir);
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_idle_connections),
      cmocka_unit_test(test_concurrent_sessions),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
