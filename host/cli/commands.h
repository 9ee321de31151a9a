// host/cli/commands.h: how modules add subcommands to the one `locus` binary.
//
// Each module implements its registration function in host/cli/cmd_<module>.cpp. Every
// host/cli/cmd_*.cpp file is compiled straight into the `locus` executable; a missing
// registration function is a link error, so no command group can silently disappear.
//
// Conventions for subcommands:
//   - --help at every level (CLI11 gives it); one-line descriptions on every command/option.
//   - Exit codes (cli.h): report a failure with cli::fail(), or set ctx.exit_code.
//   - --json (global): print data as one JSON document on stdout, nothing else on stdout.
//   - Human messages and progress go to stderr (cli::Progress).
#pragma once

#include <CLI/CLI.hpp>

#include "cli.h"

void register_provision_commands(CLI::App& app, CliContext& ctx);  // cmd_provision.cpp
void register_verifier_commands(
    CLI::App& app, CliContext& ctx);  // cmd_verifier.cpp (calls register_explain_command)
void register_audit_commands(CLI::App& app, CliContext& ctx);            // cmd_audit.cpp
void register_agent_commands(CLI::App& app, CliContext& ctx);            // cmd_agent.cpp
void register_landmark_commands(CLI::App& app, CliContext& ctx);         // cmd_landmark.cpp
void register_explain_command(CLI::App& verifier_app, CliContext& ctx);  // cmd_explain.cpp
void register_tpm_commands(CLI::App& app, CliContext& ctx);              // cmd_tpm.cpp
