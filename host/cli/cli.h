// host/cli/cli.h: what every `locus` command shares: the context of the global flags, the one
// place that turns a host error into a message and an exit code, output and progress.
// Built as its own library (locus_cli_support) so commands link into tests without main().
//
// Exit codes: 0 ok, 1 refused / verification failed, 2 usage, 3 input/config, 4 I/O or
// network, 5 internal (README). A command reports a failure with fail() below, or sets
// ctx.exit_code for a non-zero exit after printing its own result.
#pragma once

#include <cstddef>
#include <string>

#include "locus/common/common.h"
#include "locus/status.h"

struct CliContext {
  bool json = false;               // --json
  bool quiet = false;              // --quiet
  std::string log_level = "warn";  // --log-level debug|info|warn|error|off
  int exit_code = 0;               // set by a command that wants a non-zero exit without throwing
  // True when a progress display may be drawn on stderr.
  bool progress_allowed() const;
};

namespace locus::cli {

// The host error class of any module's Status: each module maps its own codes (host_class()
// beside its enum); this picks the module. Unknown modules are kInternal.
host::HostError host_class(Status s);
// The `locus` exit code for s (README table).
int exit_code_for(Status s);

// Prints "locus: error: <message>" on stderr (or {"error":..,"kind":..,"exit_code":..} on
// stdout with --json) and ends the command with the exit code for e. The CLI11 callback is
// left by throwing CLI::RuntimeError(code), which main() turns into the exit status; nothing
// outside host/cli sees it.
[[noreturn]] void fail(const CliContext& ctx, const host::Error& e);
[[noreturn]] void fail(const CliContext& ctx, Status code, const std::string& message);
// Prints data: with --json the JSON text on stdout; otherwise the human text on stdout.
void emit(const CliContext& ctx, const std::string& json_text, const std::string& human_text);

// A one-line progress display on stderr: "[3/10] label: item"; only when stderr is a tty and
// neither --json nor --quiet is set.
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
