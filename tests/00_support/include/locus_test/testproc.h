// locus/common/testproc.h: helpers for tests that start real servers (host-sim, verifier,
// landmark, swtpm). Free ports come from the kernel (bind port 0); readiness is a line the
// child prints; children are killed by PID.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace locus::host::test {

// Asks the kernel for a currently free TCP (udp=false) or UDP port on 127.0.0.1.
int free_port(bool udp = false);

class Process {
 public:
  Process() = default;
  ~Process();  // kills (SIGKILL) and reaps if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv[0] with argv; stdout is a pipe read by wait_for_line, stderr is inherited
  // (or sent to stderr_path when given). env_extra: "K=V" entries added to the environment.
  bool start(const std::vector<std::string>& argv, const std::string& stderr_path = "",
             const std::vector<std::string>& env_extra = {});
  // Like start(), but the child's stderr goes into the same pipe as its stdout, so that
  // wait_for_line() also sees what it logs (the agent and the servers log to stderr): a test
  // waits for the event it needs instead of polling state with sleeps.
  bool start_merged(const std::vector<std::string>& argv,
                    const std::vector<std::string>& env_extra = {});
  // Reads stdout lines until one contains needle (returned in *line) or timeout_ms passes.
  bool wait_for_line(const std::string& needle, int timeout_ms, std::string* line = nullptr);
  // Reads what the child still writes until it closes the pipe (it exited) or timeout_ms
  // passes; then transcript() holds everything.
  void drain(int timeout_ms);
  // Every line read from the pipe so far (by wait_for_line or drain), in order.
  const std::string& transcript() const { return transcript_; }
  // Sends sig to the child and reaps it (bounded wait). Returns the exit status or -1.
  int kill_and_wait(int sig = 15, int timeout_ms = 5000);
  // Waits for exit without a signal (bounded). Returns the wait status or -1 on timeout.
  int wait_exit(int timeout_ms);
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buf_;
  std::string transcript_;
  bool spawn(const std::vector<std::string>& argv, const std::string& stderr_path, bool merge,
             const std::vector<std::string>& env_extra);
  int read_some(int timeout_ms);
};

// Runs a command to completion (bounded), capturing stdout and stderr. Returns the exit
// code (0..255), or -1 on spawn failure / timeout (the child is killed).
int run_command(const std::vector<std::string>& argv, std::string* out, std::string* err,
                int timeout_ms = 60000, const std::string& stdin_data = "");

// A fresh temporary directory (mkdtemp under $TMPDIR or /tmp), removed by remove_tree.
std::string make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& path);

}  // namespace locus::host::test
