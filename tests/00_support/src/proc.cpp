#include "locus_test/proc.h"

#include <stdlib.h>

#include "locus_test/cmocka.h"

namespace locus_test {

int port_of(const std::string& line) {
  const size_t c = line.rfind(':');
  if (c == std::string::npos) return -1;
  const int port = atoi(line.c_str() + c + 1);
  return port > 0 && port < 65536 ? port : -1;
}

int run_tool(const std::string& bin, const std::vector<std::string>& args, std::string* out,
             std::string* err, int timeout_ms) {
  std::vector<std::string> argv = {bin};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string o, e;
  const int rc = locus::host::test::run_command(argv, &o, &e, timeout_ms);
  print_message("%s %s %s -> %d\n", bin.c_str(), args.size() > 0 ? args[0].c_str() : "",
                args.size() > 1 ? args[1].c_str() : "", rc);
  if (rc != 0) print_message("stdout: %s\nstderr: %s\n", o.c_str(), e.c_str());
  if (out != nullptr) *out = o;
  if (err != nullptr) *err = e;
  return rc;
}

int start_listening(locus::host::test::Process* p, const std::vector<std::string>& argv,
                    const std::string& log_path, int timeout_ms) {
  if (!p->start(argv, log_path)) return -1;
  std::string line;
  if (!p->wait_for_line("listening on", timeout_ms, &line)) return -1;
  return port_of(line);
}

int start_host_sim(locus::host::test::Process* p, const std::string& sim, const std::string& uds,
                   const std::string& image, const std::string& state, const std::string& log_path,
                   int timeout_ms) {
  return start_listening(
      p, {sim, "--uds", uds, "--image", image, "--state", state, "--listen", "tcp:127.0.0.1:0"},
      log_path, timeout_ms);
}

}  // namespace locus_test
