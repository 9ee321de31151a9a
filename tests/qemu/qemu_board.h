// tests/qemu/qemu_board.h: a firmware image running under qemu-system-arm, reached over its
// UART with the locus wire protocol (test harness, host only).
//
// The board is started and stopped by scripts/qemu-board, the one launcher tests, the demo
// and people share: it puts the UART on a kernel-chosen loopback port (read back from QEMU,
// no port race), waits for the firmware's "boot: ready" and prints a machine-readable line
// with the link and QEMU's PID. The harness then connects to the link.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "locus/crypto/cbor.h"
#include "locus/crypto/p256.h"
#include "locus/protocol/messages.h"

namespace locus::qemutest {

struct BoardSpec {
  std::string machine;    // board folder name = -M value (ast1030-evb, mps2-an386)
  std::string image;      // ELF for -kernel
  uint32_t uds_addr = 0;  // provisioned UDS region (informational: the launcher knows it)
  std::string launcher = LOCUS_QEMU_BOARD_SCRIPT;  // scripts/qemu-board
};

struct Reply {
  uint8_t type = 0;           // response type (request | 0x80) or 0xFF
  uint16_t error_code = 0;    // for type 0xFF
  std::vector<uint8_t> body;  // the encoded body item
};

class QemuBoard {
 public:
  QemuBoard() = default;
  ~QemuBoard();
  QemuBoard(const QemuBoard&) = delete;
  QemuBoard& operator=(const QemuBoard&) = delete;

  // Starts the board through the launcher on state directory dir (UDS <dir>/uds.bin, see
  // write_uds; flash or storage files kept there across starts), waits for its boot, and
  // connects to its link. semihost_args are KEY=VALUE tokens for the image (e.g. "cut=3");
  // extra_args are appended to QEMU's command line. False on failure (message on stderr).
  bool start(const BoardSpec& spec, const std::string& dir,
             const std::vector<std::string>& semihost_args = {},
             const std::vector<std::string>& extra_args = {});
  // Sends one request and waits (bounded by timeout_ms) for the response with its id.
  bool request(uint8_t type, const std::vector<uint8_t>& body_item, Reply* out,
               int timeout_ms = 30000);
  // Readiness: repeats GET_STATUS (1 s apart) until the board answers, bounded by timeout_ms.
  bool wait_ready(int timeout_ms = 30000);
  // Closes the link and stops QEMU through the launcher (QMP quit, then SIGTERM/SIGKILL by
  // PID): the flash image is flushed. Should the test process end without stop() (a failed
  // assertion, a crash, CTest's timeout), the board's reaper process stops QEMU instead.
  void stop();
  // Semihosting console output so far (QEMU's stdout/stderr).
  std::string console() const;
  // Waits (bounded) until the console shows needle at least `count` times.
  bool wait_console(const std::string& needle, int count, int timeout_ms);
  // Closes the link only (QEMU keeps running; the next request fails).
  void disconnect();
  // True while the QEMU process recorded at start is alive.
  bool running() const;
  // QEMU's PID (-1 when not started).
  pid_t pid() const { return pid_; }
  // The link the launcher printed (tcp:127.0.0.1:PORT; empty when not started). It serves
  // one client at a time: disconnect() first to reach it with another client.
  const std::string& link() const { return link_; }

 private:
  bool read_frame(std::vector<uint8_t>* payload, uint8_t* rev, int timeout_ms);
  std::string launcher_;
  pid_t pid_ = -1;
  int reaper_fd_ = -1;  // write end of the reaper's pipe (qemu_board.cpp: spawn_reaper)
  int fd_ = -1;
  uint32_t next_id_ = 1;
  std::string dir_;
  std::string link_;
  std::vector<uint8_t> rx_;
};

// Helpers shared by the QEMU board tests.
// The CBOR body item of a request (empty on an encoding error).
template <typename T>
std::vector<uint8_t> encode(const T& v) {
  std::vector<uint8_t> buf(4096);
  cbor::Encoder e(buf.data(), buf.size());
  if (!protocol::encode_body(e, v).ok()) return {};
  Result<size_t> n = e.finish();
  if (!n.ok()) return {};
  buf.resize(n.value());
  return buf;
}
// The body of a request without fields (CBOR null).
std::vector<uint8_t> null_body();
// GET_STATUS; false when it is not answered (bounded by timeout_ms) or not with a status.
bool get_status(QemuBoard& b, protocol::StatusInfo* out, int timeout_ms = 15000);
// A P-256 test key derived from seed (label "qemu-test"), and its public key.
bool derive_key(const char* seed, crypto::P256PrivateKey* k, crypto::P256PublicKey* pub);
// CLOCK_MONOTONIC in milliseconds.
int64_t now_ms();
// True while process pid exists and is not a zombie.
bool process_alive(pid_t pid);

// Writes the 32-byte UDS the launcher provisions (<dir>/uds.bin).
bool write_uds(const std::string& dir, const uint8_t uds[32]);
// Copies a file (e.g. a flash image snapshot).
bool copy_file(const std::string& from, const std::string& to);
// A fresh temporary directory (mkdtemp under $TMPDIR or /tmp).
std::string make_temp_dir(const char* tag);
// Removes the directory and the files in it (no subdirectories are made by the harness).
void remove_dir(const std::string& dir);

}  // namespace locus::qemutest
