// locus_test/proc.h: starting the real servers of integration tests (locus-host-sim,
// `locus verifier serve`, ...) on kernel-chosen loopback ports, on top of
// locus/common/testproc.h. Link locus_test_proc.
#pragma once

#include <string>
#include <vector>

#include "locus_test/testproc.h"

namespace locus_test {

// The port at the end of a "listening on HOST:PORT" line; -1 if the line has none.
int port_of(const std::string& line);

// Starts argv (a server that prints "listening on HOST:PORT" on stdout once it accepts),
// stderr to log_path, and waits up to timeout_ms for that line. Returns the port, or -1 if
// the process did not start or did not become ready in time.
int start_listening(locus::host::test::Process* p, const std::vector<std::string>& argv,
                    const std::string& log_path, int timeout_ms = 10000);

// Runs `bin args...` to completion (bounded by timeout_ms), stdout/stderr into out/err when
// given. Prints the command's first two words and its exit code, and on a non-zero exit
// both outputs. Returns the exit code (0..255), or -1 on spawn failure or timeout.
int run_tool(const std::string& bin, const std::vector<std::string>& args,
             std::string* out = nullptr, std::string* err = nullptr, int timeout_ms = 60000);

// locus-host-sim (binary sim) with the given UDS, image and state files on a kernel-chosen
// port of 127.0.0.1 (see start_listening).
int start_host_sim(locus::host::test::Process* p, const std::string& sim, const std::string& uds,
                   const std::string& image, const std::string& state, const std::string& log_path,
                   int timeout_ms = 10000);

}  // namespace locus_test
