#include "locus_test/proc.h"

#include <stdlib.h>

namespace locus_test {

int port_of(const std::string& line) {
  const size_t c = line.rfind(':');
  if (c == std::string::npos) return -1;
  const int port = atoi(line.c_str() + c + 1);
  return port > 0 && port < 65536 ? port : -1;
}

int start_listening(locus::host::test::Process* p, const std::vector<std::string>& argv, const std::string& log_path,
                    int timeout_ms) {
  if (!p->start(argv, log_path)) return -1;
  std::string line;
  if (!p->wait_for_line("listening on", timeout_ms, &line)) return -1;
  return port_of(line);
}

int start_host_sim(locus::host::test::Process* p, const std::string& sim, const std::string& uds,
                   const std::string& image, const std::string& state, const std::string& log_path, int timeout_ms) {
  return start_listening(p, {sim, "--uds", uds, "--image", image, "--state", state, "--listen", "tcp:127.0.0.1:0"},
                         log_path, timeout_ms);
}

}  // namespace locus_test
