// locus-host-sim: the firmware core as a Linux process (a board like any other).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "hostsim.h"
#include "locus/common/encoding.h"
#include "locus/common/files.h"
#include "locus/crypto/hash.h"
#include "locus/firmware/core.h"

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

// All firmware state: static storage, like on the board. Core's constructor only sets members
// (no allocation, nothing that throws), so it cannot fail before main.
locus::firmware::Core g_core;  // NOLINT(cert-err58-cpp)

const char kUsage[] =
    "usage: locus-host-sim --uds FILE --image FILE --state FILE --listen ADDR [options]\n"
    "\n"
    "The locus firmware core as a Linux process (board 'host-sim').\n"
    "  --uds FILE       32-byte Unique Device Secret: 32 raw bytes or 64 hex digits\n"
    "  --image FILE     firmware image; FWID = SHA-256 of its bytes\n"
    "  --state FILE     persistent storage (8192 bytes, created blank if missing)\n"
    "  --otp FILE       write-once region (512 bytes; default: the --state path + .otp),\n"
    "                   created erased if missing and never erased by the board\n"
    "  --listen ADDR    tcp:127.0.0.1:PORT (PORT 0 = any free port) or unix:PATH;\n"
    "                   prints 'listening on <addr>' on stdout when ready\n"
    "  --hwmodel NAME   hardware model string (default locus-host-sim)\n"
    "  --svn N          TEST ONLY: override the image SVN (default: built-in)\n"
    "  --help           this text\n";

// The UDS file: 32 raw bytes, or 64 hex digits (whitespace ignored).
locus::host::HStatus parse_uds(const std::vector<uint8_t>& raw, uint8_t out[32]) {
  using locus::host::HostError;
  if (raw.size() == 32) {
    memcpy(out, raw.data(), 32);
    return locus::host::HStatus::Ok();
  }
  std::string hex;
  for (uint8_t c : raw) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      hex.push_back(static_cast<char>(c));
    }
  }
  if (hex.size() != 64) {
    return {HostError::kParse, "UDS file must hold 32 raw bytes or 64 hex digits (has " +
                                   std::to_string(raw.size()) + " bytes)"};
  }
  auto bytes = locus::host::hex_decode(hex);
  if (!bytes.ok()) {
    return {HostError::kParse, "UDS file: not hex"};
  }
  memcpy(out, bytes->data(), 32);
  return locus::host::HStatus::Ok();
}

int fail(const std::string& msg) {
  (void)fprintf(stderr, "locus-host-sim: error: %s\n(see --help)\n", msg.c_str());
  return 2;
}
int fail(const locus::host::HStatus& st) {
  return fail(st.message());
}

}  // namespace

int main(int argc, char** argv) {
  std::string uds_path, image_path, state_path, otp_path, listen_spec, hwmodel = "locus-host-sim";
  long svn = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      (void)fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      return fail("option " + a + " needs a value (or is unknown)");
    }
    const std::string v = argv[++i];
    if (a == "--uds") {
      uds_path = v;
    } else if (a == "--image") {
      image_path = v;
    } else if (a == "--state") {
      state_path = v;
    } else if (a == "--listen") {
      listen_spec = v;
    } else if (a == "--hwmodel") {
      hwmodel = v;
    } else if (a == "--otp") {
      otp_path = v;
    } else if (a == "--svn") {
      char* end = nullptr;
      svn = strtol(v.c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || svn < 0 || svn > 0xFFFFFFFFL) {
        return fail("bad --svn " + v);
      }
    } else {
      return fail("unknown option " + a);
    }
  }
  if (uds_path.empty() || image_path.empty() || state_path.empty() || listen_spec.empty()) {
    return fail("--uds, --image, --state and --listen are required");
  }
  if (hwmodel.empty() || hwmodel.size() > 64) {
    return fail("--hwmodel must be 1..64 bytes");
  }
  auto raw = locus::host::read_file(uds_path);
  if (!raw.ok()) {
    return fail(raw.status());
  }
  hostsim::Config& cfg = hostsim::config();
  if (auto st = parse_uds(raw.value(), cfg.uds); !st.ok()) {
    return fail(st);
  }
  memset(raw->data(), 0, raw->size());
  auto image = locus::host::read_file(image_path);
  if (!image.ok()) {
    return fail(image.status());
  }
  locus::crypto::Digest fwid;
  if (!locus::crypto::sha256(locus::ByteSpan(image->data(), image->size()), &fwid).ok()) {
    return fail("SHA-256 failed");
  }
  memcpy(cfg.fwid, fwid.data(), 32);
  if (otp_path.empty()) {
    otp_path = state_path + ".otp";
  }
  if (auto st = hostsim::open_storage(state_path, otp_path); !st.ok()) {
    return fail(st);
  }
  std::string bound;
  if (auto st = hostsim::open_listener(listen_spec, &bound); !st.ok()) {
    return fail(st);
  }

  (void)signal(SIGTERM, on_signal);
  (void)signal(SIGINT, on_signal);
  (void)signal(SIGPIPE, SIG_IGN);

  uint32_t image_svn = locus::firmware::kFirmwareSvn;
  if (svn >= 0) {
    image_svn = static_cast<uint32_t>(svn);
    (void)fprintf(stderr,
                  "locus-host-sim: WARNING: TEST ONLY: image SVN overridden to %u (built-in %u)\n",
                  image_svn, locus::firmware::kFirmwareSvn);
  }
  const locus::Status st = g_core.boot(hwmodel.c_str(), image_svn);
  memset(cfg.uds, 0, sizeof(cfg.uds));  // the core has derived what it needs
  if (!st.ok()) {
    (void)fprintf(stderr,
                  "locus-host-sim: boot failed (status 0x%04x); serving errors, RESTRICTED\n",
                  st.code());
  }
  static const char* const kHealth[] = {"?", "ok", "RECOVERED", "FAULT"};
  (void)fprintf(stderr,
                "locus-host-sim: core RAM %zu bytes (static), boot_count %u, svn %u, min_svn %u, "
                "provisioned %s, storage %s\n",
                sizeof(g_core), g_core.state().boot_count, image_svn, g_core.state().min_svn,
                g_core.provisioned() ? "yes" : "no", kHealth[g_core.storage_wire()]);
  printf("listening on %s\n", bound.c_str());
  (void)fflush(stdout);
  while (g_stop == 0) {
    const locus::Status r = g_core.run_once(100);
    if (r == locus::Status(locus::board::BoardError::kLinkIo)) {
      g_core.link_reset();
    }
  }
  (void)fprintf(stderr, "locus-host-sim: stopping\n");
  return 0;
}
