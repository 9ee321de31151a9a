// host/cli/commands.h: how modules add subcommands to the one `locus` binary.
//
// Each module implements its registration function in host/cli/cmd_<module>.cpp. Every
// host/cli/cmd_*.cpp file is compiled straight into the `locus` executable; a missing
// registration function is a link error, so no command group can silently disappear.
//
// Conventions for subcommands:
//   - --help at every level (CLI11 gives it); one-line descriptions on every command/option.
//   - Exit codes: 0 ok, 1 refused / verification failed, 2 usage, 3 input/config,
//     4 I/O or network, 5 internal. Report them by throwing CLI::RuntimeError(code) from the
//     callback after printing the message (use fail() below), or by setting ctx.exit_code.
//   - --json (global): print data as one JSON document on stdout, nothing else on stdout.
//   - Human messages and progress go to stderr; progress only when stderr is a tty and
//     neither --json nor --quiet is set (Progress below).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "locus/common/common.h"

struct CliContext {
  bool json = false;               // --json
  bool quiet = false;              // --quiet
  std::string log_level = "warn";  // --log-level debug|info|warn|error|off
  int exit_code = 0;               // set by a command that wants a non-zero exit without throwing
  // True when a progress display may be drawn on stderr.
  bool progress_allowed() const;
};

namespace locus::cli {

// Prints "locus: error: <message>" on stderr (or {"error":..,"kind":..} on stdout with
// --json) and throws CLI::RuntimeError with the exit code for e.
[[noreturn]] void fail(const CliContext& ctx, const host::Error& e);
[[noreturn]] void fail(const CliContext& ctx, host::HostError code, const std::string& message);
// Prints data: with --json the JSON text on stdout; otherwise the human text on stdout.
void emit(const CliContext& ctx, const std::string& json_text, const std::string& human_text);

// A one-line progress display on stderr: "[3/10] label: item".
class Progress {
 public:
  Progress(const CliContext& ctx, size_t total, std::string label);
  ~Progress();
  void step(const std::string& item);  // call before working on item
  void clear();  // erases the line before other output; the next step() redraws it
  void done();

 private:
  bool on_;
  size_t total_, n_ = 0;
  std::string label_;
};

}  // namespace locus::cli

void register_provision_commands(CLI::App& app, CliContext& ctx);  // cmd_provision.cpp
void register_verifier_commands(
    CLI::App& app, CliContext& ctx);  // cmd_verifier.cpp (calls register_explain_command)
void register_audit_commands(CLI::App& app, CliContext& ctx);            // cmd_audit.cpp
void register_agent_commands(CLI::App& app, CliContext& ctx);            // cmd_agent.cpp
void register_landmark_commands(CLI::App& app, CliContext& ctx);         // cmd_landmark.cpp
void register_explain_command(CLI::App& verifier_app, CliContext& ctx);  // cmd_explain.cpp
void register_tpm_commands(CLI::App& app, CliContext& ctx);              // cmd_tpm.cpp
