// `locus`: the one host command. Modules register their subcommands (commands.h).
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "commands.h"

namespace {

// Everything but the last-resort catch: building the command tree can throw as well as parsing.
int run(int argc, char** argv) {
  CliContext ctx;
  CLI::App app{
      "locus: board attestation, distance bounding and interconnect licensing (host tools)"};
  app.name("locus");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("--json", ctx.json, "Print data as JSON on stdout");
  app.add_flag("-q,--quiet", ctx.quiet, "No progress display, fewer messages");
  app.add_option("--log-level", ctx.log_level,
                 "Structured log level on stderr: debug, info, warn, error, off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  // The version line also names the allocator this binary was linked with (host/CMakeLists.txt):
  // benchmark figures depend on it.
  app.set_version_flag("--version", "locus 0.1.0 (allocator: " LOCUS_ALLOCATOR_NAME ")");
  app.parse_complete_callback([&ctx]() {
    locus::host::LogLevel l = locus::host::LogLevel::kWarn;
    if (locus::host::parse_log_level(ctx.log_level, &l)) locus::host::set_log_level(l);
  });

  register_provision_commands(app, ctx);
  register_verifier_commands(app, ctx);
  register_audit_commands(app, ctx);
  register_agent_commands(app, ctx);
  register_landmark_commands(app, ctx);
  register_tpm_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // also --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command failed and has already said why
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);  // prints the usage problem
    return 2;
  }
  return ctx.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "locus: internal error: %s\n", e.what());
    return 5;
  } catch (...) {
    (void)std::fprintf(stderr, "locus: internal error\n");
    return 5;
  }
}
