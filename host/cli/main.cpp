// `locus`: the one host command. Modules register their subcommands (commands.h).
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "commands.h"

bool CliContext::progress_allowed() const {
  return !json && !quiet && ::isatty(2) == 1;
}

namespace locus::cli {

void fail(const CliContext& ctx, const host::Error& e) {
  int code = host::exit_code_for(e.code);
  if (ctx.json) {
    std::printf(
        "%s\n",
        nlohmann::json{{"error", e.message}, {"kind", host::to_string(e.code)}, {"exit_code", code}}
            .dump()
            .c_str());
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "locus: error: %s\n", e.message.c_str());
  }
  throw CLI::RuntimeError(code);
}

void fail(const CliContext& ctx, host::HostError code, const std::string& message) {
  fail(ctx, host::Error{code, message});
}

void emit(const CliContext& ctx, const std::string& json_text, const std::string& human_text) {
  const std::string& s = ctx.json ? json_text : human_text;
  if (!s.empty()) std::printf("%s%s", s.c_str(), s.back() == '\n' ? "" : "\n");
  std::fflush(stdout);
}

Progress::Progress(const CliContext& ctx, size_t total, std::string label)
    : on_(ctx.progress_allowed()), total_(total), label_(std::move(label)) {}
Progress::~Progress() {
  done();
}
void Progress::step(const std::string& item) {
  n_++;
  if (!on_) return;
  std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s", n_, total_, label_.c_str(), item.c_str());
  std::fflush(stderr);
}
void Progress::clear() {
  if (on_) std::fprintf(stderr, "\r\033[K");
}
void Progress::done() {
  if (on_) std::fprintf(stderr, "\r\033[K");
  on_ = false;
}

}  // namespace locus::cli

int main(int argc, char** argv) {
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
  app.set_version_flag("--version", "locus 0.1.0");
  app.parse_complete_callback([&ctx]() {
    locus::host::LogLevel l;
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "locus: internal error: %s\n", e.what());
    return 5;
  } catch (...) {
    std::fprintf(stderr, "locus: internal error\n");
    return 5;
  }
  return ctx.exit_code;
}
