// Unit tests of the board link client (locus/boardlink/link.h) against a fake framed board that
// runs in-process on a kernel-chosen loopback port (or a Unix socket), plus the agent's
// backoff/renewal arithmetic. The fake speaks the real framing and message codecs; its
// behaviour per test is scripted (answer, stay silent, send noise first, hang up, ...).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "locus/agent/agent.h"
#include "locus/boardlink/link.h"
#include "locus/common/common.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"

// cmocka last: its macros clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;
namespace pr = locus::protocol;
using boardlink::Link;
using host::HostError;

namespace {

enum class Mode {
  kAnswer,          // answers every request correctly
  kSilent,          // reads, never answers
  kNoiseFirst,      // noise, a bad-FCS frame and a wrong-id answer before the real one
  kBoardError,      // answers with an error response (code 0x0605)
  kHangUpOnce,      // closes the first connection on its first request, then answers
  kStaleFastFirst,  // fast rounds: first an answer for another round, then the right one
  kFastError,       // fast rounds: a rev 0x01 error message (code 0x0512)
};

constexpr uint16_t kBoardErr = 0x0605;
constexpr uint16_t kFastErr = 0x0512;

// A fake board on a listening socket, one connection at a time (like host-sim).
class FakeBoard {
 public:
  explicit FakeBoard(Mode m, bool unix_socket = false) : mode_(m) {
    if (unix_socket) {
      char tmpl[] = "/tmp/locus-agent-link-XXXXXX";
      dir_ = mkdtemp(tmpl);
      path_ = dir_ + "/board.sock";
      lfd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
      assert_int_equal(bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
      spec_ = "unix:" + path_;
    } else {
      lfd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = 0;
      assert_int_equal(bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
      socklen_t len = sizeof a;
      assert_int_equal(getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
      spec_ = "tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    }
    assert_int_equal(listen(lfd_, 4), 0);
    th_ = std::thread([this]() { serve(); });
  }
  ~FakeBoard() {
    stop_.store(true);
    th_.join();
    close(lfd_);
    if (!path_.empty()) {
      unlink(path_.c_str());
      rmdir(dir_.c_str());
    }
  }
  const std::string& spec() const { return spec_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void send_frame(int fd, uint8_t rev, const uint8_t* p, size_t n) {
    std::vector<uint8_t> f(pr::kMaxFrameSize);
    size_t fl = 0;
    assert_true(pr::encode_frame(rev, ByteSpan(p, n), MutByteSpan(f.data(), f.size()), &fl).ok());
    (void)send(fd, f.data(), fl, MSG_NOSIGNAL);  // best effort: the agent under test reads it
  }
  template <typename Body>
  void send_msg(int fd, uint32_t id, const Body& b) {
    uint8_t m[pr::kMaxPayload];
    size_t n = 0;
    assert_true(pr::encode_message(id, b, MutByteSpan(m, sizeof m), &n).ok());
    send_frame(fd, pr::kRevMessage, m, n);
  }
  void send_error(int fd, uint32_t id, uint16_t code) {
    uint8_t m[64];
    size_t n = 0;
    assert_true(pr::encode_error(id, Status::FromCode(code), MutByteSpan(m, sizeof m), &n).ok());
    send_frame(fd, pr::kRevMessage, m, n);
  }

  // Returns false when the connection must be closed.
  bool on_frame(int fd, uint8_t rev, ByteSpan payload, bool first_on_conn) {
    requests_++;
    if (mode_ == Mode::kSilent) return true;
    if (mode_ == Mode::kHangUpOnce && connections_.load() == 1 && first_on_conn) return false;
    if (rev == pr::kRevFast) {
      pr::FastRound fr;
      if (!pr::decode_fast_round(payload, &fr).ok()) return true;
      if (mode_ == Mode::kFastError) {
        send_error(fd, 0, kFastErr);
        return true;
      }
      pr::FastRound ans;
      ans.round = fr.round;
      for (size_t i = 0; i < 12; i++) ans.value[i] = static_cast<uint8_t>(fr.value[i] ^ 0x55);
      uint8_t buf[pr::kFastRoundSize];
      size_t n = 0;
      if (mode_ == Mode::kStaleFastFirst) {
        pr::FastRound stale = ans;
        stale.round = static_cast<uint8_t>(fr.round + 1);
        stale.value.fill(0xEE);
        assert_true(pr::encode_fast_round(stale, MutByteSpan(buf, sizeof buf), &n).ok());
        send_frame(fd, pr::kRevFast, buf, n);
      }
      assert_true(pr::encode_fast_round(ans, MutByteSpan(buf, sizeof buf), &n).ok());
      send_frame(fd, pr::kRevFast, buf, n);
      return true;
    }
    pr::Envelope env;
    if (!pr::decode_envelope(payload, &env).ok()) return true;
    if (mode_ == Mode::kBoardError) {
      send_error(fd, env.request_id, kBoardErr);
      return true;
    }
    if (mode_ == Mode::kNoiseFirst) {
      const uint8_t noise[] = {0x00, 0x41, 0x7D, 0x7D, 0x13, 0x37};  // incl. a bad escape
      (void)send(fd, noise, sizeof noise, MSG_NOSIGNAL);
      // A frame whose FCS is wrong (last FCS byte flipped).
      std::vector<uint8_t> f(pr::kMaxFrameSize);
      size_t fl = 0;
      const uint8_t junk[] = {0x83, 0x01, 0x02, 0xF6};
      assert_true(pr::encode_frame(pr::kRevMessage, ByteSpan(junk, sizeof junk),
                                   MutByteSpan(f.data(), f.size()), &fl)
                      .ok());
      f[fl - 2] ^= 0x01;
      (void)send(fd, f.data(), fl, MSG_NOSIGNAL);
      pr::StatusResponse other;  // a well-formed answer to some other request id
      other.status.mode = pr::kModeRestricted;
      send_msg(fd, env.request_id + 100, other);
    }
    switch (env.type) {
      case pr::kMsgGetStatus: {
        pr::StatusResponse r;
        r.status.mode = pr::kModeFull;
        r.status.lease_remaining_ms = 59000;
        r.status.license_counter = 7;
        r.status.boot_count = 3;
        r.status.svn = 2;
        r.status.min_svn = 1;
        r.status.has_devid_cert = true;
        r.status.has_verifier_key = true;
        send_msg(fd, env.request_id, r);
        break;
      }
      case pr::kMsgApplyLicense: {
        pr::ApplyLicenseResponse r;
        r.status.mode = pr::kModeFull;
        r.status.license_counter = 8;
        send_msg(fd, env.request_id, r);
        break;
      }
      default: send_error(fd, env.request_id, 0x0501); break;
    }
    return true;
  }

  void serve() {
    while (!stop_.load()) {
      pollfd p{lfd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int fd = accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      connections_++;
      pr::Deframer d;
      bool first = true, keep = true;
      while (keep && !stop_.load()) {
        pollfd q{fd, POLLIN, 0};
        if (poll(&q, 1, 20) <= 0) continue;
        uint8_t buf[512];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n && keep; i++) {
          pr::DeframeResult r = d.feed(buf[i]);
          if (r.event != pr::DeframeEvent::kFrame) continue;
          keep = on_frame(fd, r.rev, r.payload, first);
          first = false;
        }
      }
      close(fd);
    }
  }

  Mode mode_;
  int lfd_ = -1;
  std::string spec_, dir_, path_;
  std::thread th_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0}, requests_{0};
};

// A GET_STATUS over TCP comes back decoded field by field.
void test_status_round_trip(void**) {
  FakeBoard b(Mode::kAnswer);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  pr::StatusInfo s;
  assert_true(l.get_status(&s).ok());
  assert_int_equal(s.mode, pr::kModeFull);
  assert_int_equal(s.lease_remaining_ms, 59000);
  assert_int_equal(s.license_counter, 7);
  assert_int_equal(s.boot_count, 3);
  assert_true(s.has_devid_cert && s.has_verifier_key);
  // Two more on the same connection: request ids advance, answers still match.
  assert_true(l.get_status(&s).ok());
  assert_true(l.get_status(&s).ok());
  assert_int_equal(b.connections(), 1);
}

// The same over a Unix socket ("unix:PATH").
void test_unix_socket(void**) {
  FakeBoard b(Mode::kAnswer, true);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  pr::StatusInfo s;
  assert_true(l.get_status(&s).ok());
  assert_int_equal(s.license_counter, 7);
}

// A board that never answers: the request fails with kNetwork once the timeout has passed,
// and not much later (bounded wait).
void test_timeout_is_bounded(void**) {
  FakeBoard b(Mode::kSilent);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  l.set_timeout_ms(300);
  pr::StatusInfo s;
  const int64_t t0 = host::monotonic_ms();
  host::HStatus r = l.get_status(&s);
  const int64_t dt = host::monotonic_ms() - t0;
  assert_false(r.ok());
  assert_int_equal(r.code().code(), locus::Status(HostError::kNetwork).code());
  assert_true(dt >= 280);
  assert_true(dt < 2000);
  assert_false(l.connected());  // the stream state is unknown: dropped
}

// Line noise, a frame with a bad FCS and a well-formed answer to another request id arrive
// before the real answer: all are skipped and the real answer (FULL, counter 7) is returned.
void test_noise_and_stale_answers_skipped(void**) {
  FakeBoard b(Mode::kNoiseFirst);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  pr::StatusInfo s;
  assert_true(l.get_status(&s).ok());
  assert_int_equal(s.mode, pr::kModeFull);
  assert_int_equal(s.license_counter, 7);
  assert_true(l.get_status(&s).ok());  // and the deframer is in sync for the next one
  assert_int_equal(s.license_counter, 7);
}

// An error response becomes kRefused with the board's code in board_error().
void test_board_error(void**) {
  FakeBoard b(Mode::kBoardError);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  pr::StatusInfo s;
  host::HStatus r = l.get_status(&s);
  assert_false(r.ok());
  assert_int_equal(r.code().code(), locus::Status(HostError::kRefused).code());
  assert_int_equal(l.board_error(), kBoardErr);
  assert_non_null(std::strstr(r.message().c_str(), "0x0605"));
}

// The board hangs up on the first request of an established connection: GET_STATUS (no side
// effects) is retried once on a new connection and succeeds.
void test_reconnect_retries_idempotent(void**) {
  FakeBoard b(Mode::kHangUpOnce);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  l.set_timeout_ms(2000);
  pr::StatusInfo s;
  assert_true(l.get_status(&s).ok());
  assert_int_equal(s.license_counter, 7);
  assert_int_equal(b.connections(), 2);
}

// The same hang-up during APPLY_LICENSE is reported (no blind resend of a state-changing
// request); the next call reconnects by itself.
void test_no_retry_for_apply_license(void**) {
  FakeBoard b(Mode::kHangUpOnce);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  l.set_timeout_ms(2000);
  const uint8_t lic[] = {0xD2, 0x84, 0x40, 0xA0, 0x40, 0x40};
  pr::StatusInfo s;
  host::HStatus r = l.apply_license(ByteSpan(lic, sizeof lic), &s);
  assert_false(r.ok());
  assert_int_equal(r.code().code(), locus::Status(HostError::kNetwork).code());
  assert_int_equal(b.requests(), 1);
  assert_true(l.get_status(&s).ok());  // lazy reconnect
  assert_int_equal(b.connections(), 2);
}

// A closed port: open() fails with kNetwork quickly; a malformed spec is a usage error.
void test_connect_errors(void**) {
  int port = 0;
  {
    FakeBoard b(Mode::kAnswer);
    port = std::atoi(b.spec().c_str() + std::strlen("tcp:127.0.0.1:"));
  }  // closed again
  Link l;
  host::HStatus r = l.open("tcp:127.0.0.1:" + std::to_string(port), 1000);
  assert_false(r.ok());
  assert_int_equal(r.code().code(), locus::Status(HostError::kNetwork).code());
  for (const char* bad : {"127.0.0.1:5", "tcp:127.0.0.1", "tcp::5", "tcp:127.0.0.1:x",
                          "tcp:127.0.0.1:70000", "unix:", "serial:/dev/ttyS0"}) {
    r = l.open(bad, 100);
    assert_false(r.ok());
    assert_int_equal(r.code().code(), locus::Status(HostError::kUsage).code());
  }
  pr::StatusInfo s;
  Link fresh;
  assert_int_equal(fresh.get_status(&s).code().code(),
                   locus::Status(HostError::kUsage).code());  // never opened
}

// Fast frames: the answer for the asked round is returned; an answer for another round is
// skipped; a rev 0x01 error answer gives the board's Status code.
void test_fast_round(void**) {
  pr::Challenge c;
  for (size_t i = 0; i < c.size(); i++) c[i] = static_cast<uint8_t>(i * 17);
  for (Mode m : {Mode::kAnswer, Mode::kStaleFastFirst}) {
    FakeBoard b(m);
    Link l;
    assert_true(l.open(b.spec(), 2000).ok());
    for (uint8_t round = 0; round < 5; round++) {
      pr::Answer a{};
      assert_true(l.fast_round(round, c, &a).ok());
      for (size_t i = 0; i < a.size(); i++) assert_int_equal(a[i], c[i] ^ 0x55);
    }
  }
  FakeBoard e(Mode::kFastError);
  Link l;
  assert_true(l.open(e.spec(), 2000).ok());
  pr::Answer a{};
  Status s = l.fast_round(0, c, &a);
  assert_int_equal(s.code(), kFastErr);
  assert_int_equal(l.board_error(), kFastErr);
}

// A fast round to a silent board ends with kNetwork after the timeout.
void test_fast_round_timeout(void**) {
  FakeBoard b(Mode::kSilent);
  Link l;
  assert_true(l.open(b.spec(), 2000).ok());
  l.set_timeout_ms(200);
  pr::Challenge c{};
  pr::Answer a{};
  const int64_t t0 = host::monotonic_ms();
  Status s = l.fast_round(0, c, &a);
  assert_true(s == Status(HostError::kNetwork));
  assert_true(host::monotonic_ms() - t0 < 2000);
}

// Backoff: doubles from the minimum, never exceeds the maximum, and each delay lies in
// [d/2, d] whatever the random input.
void test_backoff(void**) {
  const uint64_t rnds[] = {0, 1, 12345, ~0ull};
  for (uint64_t r : rnds) {
    assert_in_range(agent::Agent::backoff_ms(1, 1000, 60000, r), 500, 1000);
    assert_in_range(agent::Agent::backoff_ms(2, 1000, 60000, r), 1000, 2000);
    assert_in_range(agent::Agent::backoff_ms(4, 1000, 60000, r), 4000, 8000);
    assert_in_range(agent::Agent::backoff_ms(7, 1000, 60000, r), 30000, 60000);
    assert_in_range(agent::Agent::backoff_ms(1000, 1000, 60000, r), 30000, 60000);  // no overflow
    assert_in_range(agent::Agent::backoff_ms(3, 1000, 1500, r), 750, 1500);
  }
}

// Renewal: lease - margin, with the margin capped at half the lease.
void test_renew_delay(void**) {
  assert_int_equal(agent::Agent::renew_delay_ms(3600000, 60), 3540000);
  assert_int_equal(agent::Agent::renew_delay_ms(60000, 60), 30000);
  assert_int_equal(agent::Agent::renew_delay_ms(4000, 1), 3000);
  assert_int_equal(agent::Agent::renew_delay_ms(0, 60), 0);
}

// Backoff while a lease still runs: never later than half the time left, never sooner than
// the minimum; without a running lease the backoff is unchanged.
void test_cap_to_lease(void**) {
  assert_int_equal(agent::Agent::cap_to_lease(60000, 0, 1000), 60000);
  assert_int_equal(agent::Agent::cap_to_lease(60000, -5, 1000), 60000);
  assert_int_equal(agent::Agent::cap_to_lease(60000, 30000, 1000), 15000);
  assert_int_equal(agent::Agent::cap_to_lease(4000, 30000, 1000), 4000);
  assert_int_equal(agent::Agent::cap_to_lease(60000, 1500, 1000), 1000);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_round_trip),
      cmocka_unit_test(test_unix_socket),
      cmocka_unit_test(test_timeout_is_bounded),
      cmocka_unit_test(test_noise_and_stale_answers_skipped),
      cmocka_unit_test(test_board_error),
      cmocka_unit_test(test_reconnect_retries_idempotent),
      cmocka_unit_test(test_no_retry_for_apply_license),
      cmocka_unit_test(test_connect_errors),
      cmocka_unit_test(test_fast_round),
      cmocka_unit_test(test_fast_round_timeout),
      cmocka_unit_test(test_backoff),
      cmocka_unit_test(test_renew_delay),
      cmocka_unit_test(test_cap_to_lease),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
