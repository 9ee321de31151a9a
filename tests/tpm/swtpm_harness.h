// tests/tpm/swtpm_harness.h: a software TPM (swtpm) for tests, never a real TPM.
//
// start(): makes a temp dir, a local TPM manufacturer CA (swtpm_localca with its own config in
// that dir), manufactures the TPM state with an RSA-2048 EK and its certificate in NV
// (swtpm_setup --tpm2 --create-ek-cert), then runs `swtpm socket` on two adjacent free
// loopback ports below the kernel's ephemeral range (probed with SO_REUSEADDR as swtpm binds;
// retry on collision, bounded) and waits until it accepts connections. stop() kills it by PID and
// removes the temp dir. restart() stops and starts swtpm on the same state (a TPM reset: resetCount
// increments).
#pragma once

#include <sys/types.h>

#include <string>

namespace locus::tpm::test {

class Swtpm {
 public:
  Swtpm() = default;
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  bool start();    // false (with a message on stderr) on any failure
  bool restart();  // same state, new process
  void stop();

  std::string tcti() const;  // "swtpm:host=127.0.0.1,port=P"
  const std::string& dir() const { return dir_; }
  const std::string& ca_file() const { return ca_file_; }  // local CA (issuer + root), PEM
  int port() const { return port_; }

 private:
  bool launch();
  std::string dir_;
  std::string ca_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Runs argv (argv[0] is looked up in PATH) and waits; returns the exit status or -1.
// stdout/stderr go to `log_path` if not empty.
int run_command(const char* const* argv, const std::string& log_path);

}  // namespace locus::tpm::test
