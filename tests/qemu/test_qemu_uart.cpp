// The ast1030-evb firmware's UART setting is real: an image built for a rate programs that
// rate's divisor into the UART and the board link works through it.
//
// For each image (the release image, built for LOCUS_AST1030_UART_BAUD — 115200 = divisor 1,
// the fastest the AST1030 UART allows — and the firmware at the build's second rate,
// images/locus-fw-ast1030-evb-uart<baud>.elf) the board is started by scripts/qemu-board
// with QEMU's trace event serial_update_parameters on, and:
//   - the firmware's boot line names the rate and the divisor it read back from DLL/DLM;
//   - QEMU itself reports that divisor: its 16550 (hw/char/serial.c) traces
//     baudrate = baudbase / divisor with the AST1030's baudbase 38400 (hw/arm/aspeed_soc.c,
//     aspeed_soc_uart_realize), 8 data bits, no parity, 1 stop bit; the last such line is the
//     guest's final setting, and none follows it for the rest of the run;
//   - a landmark session of 16 timed rounds runs through the UART (real landmark server and
//     client in this process, the board's answers checked by the landmark) and every round
//     is answered.
// The two images have different divisors, and neither is QEMU's reset divisor (12), so a
// firmware that left the divisor alone or programmed the other rate fails here.
//
// Usage (CTest): test_qemu_uart <image.elf> <baud> <divisor> [<image.elf> <baud> <divisor>]...
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "locus/agent/link_board.h"
#include "locus/boardlink/link.h"
#include "locus/crypto/p256.h"
#include "locus/landmark/client.h"
#include "locus/landmark/server.h"
#include "qemu_board.h"

// cmocka.h last: it defines a skip() macro that clashes with cbor::Decoder::skip.
#include "locus_test/cmocka.h"

namespace {

struct Setting {
  std::string image;
  uint32_t baud = 0;
  uint32_t divisor = 0;
};
std::vector<Setting> g_settings;

constexpr uint32_t kQemuBaudbase = 38400;  // hw/arm/aspeed_soc.c: every Aspeed UART
constexpr uint8_t kRounds = 16;

// The last "serial_update_parameters ..." line of QEMU's trace before `end` (npos: none).
std::string last_trace_before(const std::string& log, size_t end) {
  const std::string key = "serial_update_parameters ";
  size_t at = std::string::npos;
  for (size_t p = log.find(key); p != std::string::npos && p < end; p = log.find(key, p + 1)) {
    at = p;
  }
  if (at == std::string::npos) return "";
  return log.substr(at, log.find('\n', at) - at);
}

void run_setting(const Setting& s) {
  const std::string dir = locus::qemutest::make_temp_dir("locus-qemu-uart");
  locus::qemutest::BoardSpec spec;
  spec.machine = "ast1030-evb";
  spec.image = s.image;
  locus::qemutest::QemuBoard b;
  assert_true(b.start(spec, dir, {}, {"-trace", "serial_update_parameters"}));

  // The firmware's own account: rate, divisor read back, the rate it makes.
  const std::string log = b.console();
  const uint32_t actual = 24000000u / (13u * 16u * s.divisor);
  const std::string want = "[locus] uart: UART5 " + std::to_string(s.baud) + " baud, divisor " +
                           std::to_string(s.divisor) + " (read back), " + std::to_string(actual) +
                           " baud at 24 MHz/13, 8N1\n";
  const size_t line = log.find(want);
  if (line == std::string::npos) {
    fprintf(stderr, "boot line missing, want: %sconsole:\n%s\n", want.c_str(), log.c_str());
  }
  assert_true(line != std::string::npos);

  // QEMU's account of what the guest wrote into its 16550.
  const std::string want_trace =
      "serial_update_parameters baudrate=" + std::to_string(kQemuBaudbase / s.divisor) +
      " parity='N' data=8 stop=1";
  const std::string got_trace = last_trace_before(log, line);
  if (got_trace.rfind(want_trace, 0) != 0) {
    fprintf(stderr, "QEMU trace: want '%s', got '%s'\n", want_trace.c_str(), got_trace.c_str());
  }
  assert_true(got_trace.rfind(want_trace, 0) == 0);
  assert_true(b.wait_ready(30000));

  // A landmark session through the UART (the harness lets go of the link first).
  locus::crypto::P256PrivateKey key;
  locus::crypto::P256PublicKey pub;
  assert_true(locus::qemutest::derive_key("uart-landmark", &key, &pub));
  locus::landmark::LandmarkConfig cfg;
  cfg.id = "uart-test";
  locus::landmark::Server server(cfg, key);
  assert_true(server.start().ok());
  std::atomic<bool> stop{false};
  std::thread th([&] { server.serve(&stop, 0, false); });
  b.disconnect();
  locus::boardlink::Link l;
  locus::boardlink::Identity id;
  const bool opened = l.open(b.link(), 5000).ok() && l.get_identity(&id).ok();
  bool session_ok = false;
  size_t rounds = 0;
  if (opened) {
    locus::agent::LinkBoard lb(&l);
    const uint8_t nonce[32] = {7, 7, 7};
    locus::landmark::SessionOptions opt;
    opt.rounds = kRounds;
    opt.timeout_ms = 20000;
    locus::landmark::SessionResult r;
    const locus::host::HStatus st = locus::landmark::run_session(
        {"uart-test", "127.0.0.1", server.tcp_port(), server.udp_port()}, locus::ByteSpan(nonce),
        locus::ByteSpan(id.ueid), lb, opt, &r);
    session_ok = st.ok();
    rounds = r.rtts_ns.size();
    if (!session_ok) fprintf(stderr, "landmark session failed: %s\n", st.message().c_str());
  }
  l.close();
  stop = true;
  th.join();
  assert_true(opened);
  assert_true(session_ok);
  assert_int_equal(rounds, kRounds);

  // Nothing reprogrammed the UART during the run.
  const std::string after = b.console();
  assert_true(last_trace_before(after, after.size()) == got_trace);
  b.stop();
  locus::qemutest::remove_dir(dir);
}

void test_setting(void** state) {
  run_setting(*static_cast<const Setting*>(*state));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || (argc - 1) % 3 != 0) {
    fprintf(stderr, "usage: %s <image.elf> <baud> <divisor> [<image.elf> <baud> <divisor>]...\n",
            argv[0]);
    return 2;
  }
  for (int i = 1; i + 2 < argc; i += 3) {
    Setting s;
    s.image = argv[i];
    s.baud = static_cast<uint32_t>(strtoul(argv[i + 1], nullptr, 10));
    s.divisor = static_cast<uint32_t>(strtoul(argv[i + 2], nullptr, 10));
    if (s.baud == 0 || s.divisor == 0 || s.divisor > 0xFFFF) {
      fprintf(stderr, "%s: bad rate %s / divisor %s\n", argv[0], argv[i + 1], argv[i + 2]);
      return 2;
    }
    g_settings.push_back(s);
  }
  std::vector<std::string> names;
  names.reserve(g_settings.size());
  std::vector<CMUnitTest> tests;
  for (Setting& s : g_settings) {
    names.push_back("uart_" + std::to_string(s.baud) + "_divisor_" + std::to_string(s.divisor));
    tests.push_back(CMUnitTest{names.back().c_str(), test_setting, nullptr, nullptr, &s});
  }
  return _cmocka_run_group_tests("qemu_uart", tests.data(), tests.size(), nullptr, nullptr);
}
