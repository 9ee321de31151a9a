// tests/qemu/qemu_board.h: a firmware image running under qemu-system-arm, reached over its
// UART with the locus wire protocol (test harness, host only).
//
// The harness listens on 127.0.0.1 with an ephemeral port first, then starts QEMU with
// `-chardev socket,...,server=off` so QEMU connects to it: no port race and no sleeping,
// readiness is the accepted connection plus the first answered request.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace locus::qemutest {

struct BoardSpec {
  std::string machine;    // -M value
  std::string image;      // ELF for -kernel
  uint32_t uds_addr = 0;  // provisioned UDS region
};

struct Reply {
  uint8_t type = 0;            // response type (request | 0x80) or 0xFF
  uint16_t error_code = 0;     // for type 0xFF
  std::vector<uint8_t> body;   // the encoded body item
};

class QemuBoard {
 public:
  QemuBoard() = default;
  ~QemuBoard();
  QemuBoard(const QemuBoard&) = delete;
  QemuBoard& operator=(const QemuBoard&) = delete;

  // Starts QEMU with the UDS in <dir>/uds.hex and storage <dir>/storage.bin. extra_args are
  // appended (e.g. "-icount", "shift=0"). False on failure (message on stderr).
  bool start(const BoardSpec& spec, const std::string& dir, const std::vector<std::string>& extra_args = {});
  // Sends one request and waits (bounded by timeout_ms) for the response with its id.
  bool request(uint8_t type, const std::vector<uint8_t>& body_item, Reply* out, int timeout_ms = 30000);
  // Readiness: repeats GET_STATUS (1 s apart) until the board answers, bounded by timeout_ms.
  bool wait_ready(int timeout_ms = 30000);
  // Kills QEMU (SIGTERM, then SIGKILL after 5 s) and closes the link.
  void stop();
  // Semihosting console output so far (QEMU's stdout/stderr).
  std::string console() const;

 private:
  bool read_frame(std::vector<uint8_t>* payload, uint8_t* rev, int timeout_ms);
  pid_t pid_ = -1;
  int fd_ = -1;
  uint32_t next_id_ = 1;
  std::string dir_;
  std::vector<uint8_t> rx_;
};

// Writes 32 bytes at addr as an Intel HEX file (what QEMU's -device loader takes on every machine).
bool write_uds_hex(const std::string& path, const uint8_t uds[32], uint32_t addr);
// A fresh temporary directory (mkdtemp under $TMPDIR or /tmp).
std::string make_temp_dir(const char* tag);
void remove_dir(const std::string& dir);

}  // namespace locus::qemutest
