// `locus landmark ...`: run a landmark timing server, make landmark keys, sign and show the
// landmark trust list. See docs/location.md.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "locus/crypto/drbg.h"
#include "locus/landmark/metrics_http.h"
#include "locus/landmark/server.h"
#include "locus/location/trustlist.h"

using locus::cli::fail;
using locus::host::HostError;
namespace loc = locus::location;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop = true;
}

std::string dir_of(const std::string& path) {
  const auto p = path.find_last_of('/');
  return p == std::string::npos ? "." : path.substr(0, p);
}

}  // namespace

void register_landmark_commands(CLI::App& app, CliContext& ctx) {
  auto* lm = app.add_subcommand("landmark", "Landmark timing server and landmark trust list");
  lm->require_subcommand(1);

  // ---- serve ----------------------------------------------------------------------------
  struct ServeOpts {
    std::string config;
    size_t max_sessions = 0;
    std::string metrics_listen;  // "" = no /metrics listener
  };
  auto so = std::make_shared<ServeOpts>();
  auto* serve = lm->add_subcommand(
      "serve", "Serve distance-bounding sessions (TCP set-up/close, UDP timed rounds)");
  serve
      ->add_option("--config", so->config,
                   "Landmark config (TOML: id, lat, lon, key_file, listen, tcp_port, udp_port)")
      ->required();
  serve->add_option("--max-sessions", so->max_sessions,
                    "Exit after this many sessions (0: until SIGTERM/SIGINT)");
  serve->add_option("--metrics-listen", so->metrics_listen,
                    "Serve GET /metrics (Prometheus text) on HOST:PORT (PORT 0: a free port); "
                    "off by default");
  serve->callback([so, &ctx]() {
    auto text = locus::host::read_text_file(so->config, 1 << 20);
    if (!text.ok()) fail(ctx, HostError::kIo, text.message());
    locus::landmark::LandmarkConfig cfg;
    if (auto st = locus::landmark::parse_config_toml(text.value(), dir_of(so->config), &cfg);
        !st.ok())
      fail(ctx, HostError::kConfig, so->config + ": " + st.message());
    locus::crypto::P256PrivateKey key;
    if (auto k = loc::load_private_key(cfg.key_file, &key); !k.ok())
      fail(ctx, HostError::kConfig, k.message());
    locus::landmark::Server server(cfg, key);
    if (auto st = server.start(); !st.ok()) fail(ctx, HostError::kNetwork, st.message());
    std::unique_ptr<locus::landmark::MetricsHttp> mh;
    if (!so->metrics_listen.empty()) {
      const size_t c = so->metrics_listen.rfind(':');
      int mport = -1;
      if (c != std::string::npos && c > 0) {
        const std::string ps = so->metrics_listen.substr(c + 1);
        if (!ps.empty() && ps.size() <= 5 &&
            ps.find_first_not_of("0123456789") == std::string::npos)
          mport = std::stoi(ps);
      }
      if (mport < 0 || mport > 65535)
        fail(ctx, HostError::kUsage,
             "--metrics-listen wants HOST:PORT, got '" + so->metrics_listen + "'");
      mh = std::make_unique<locus::landmark::MetricsHttp>(
          [&server]() { return server.metrics_text(); });
      if (auto st = mh->start(so->metrics_listen.substr(0, c), uint16_t(mport)); !st.ok())
        fail(ctx, HostError::kNetwork, st.message());
      std::printf("metrics on %s:%u\n", so->metrics_listen.substr(0, c).c_str(),
                  unsigned(mh->port()));
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::printf("listening tcp=%u udp=%u\n", unsigned(server.tcp_port()),
                unsigned(server.udp_port()));
    (void)std::fflush(stdout);
    server.serve(&g_stop, so->max_sessions, true);
    if (mh) mh->stop();
    if (!ctx.quiet) {
      (void)std::fprintf(stderr, "locus landmark %s: %zu sessions ok, %zu failed\n", cfg.id.c_str(),
                         server.sessions_ok(), server.sessions_failed());
    }
  });

  // ---- keygen ---------------------------------------------------------------------------
  struct KeyOpts {
    std::string out, pub;
  };
  auto ko = std::make_shared<KeyOpts>();
  auto* keygen =
      lm->add_subcommand("keygen", "Make a P-256 key (landmark key or trust-list signing key)");
  keygen->add_option("--out", ko->out, "Private key file to create (PEM, mode 0600)")->required();
  keygen->add_option("--pub", ko->pub, "Also write the public key (PEM SubjectPublicKeyInfo)");
  keygen->callback([ko, &ctx]() {
    locus::crypto::Drbg drbg;
    static const uint8_t kPers[] = "locus landmark keygen";
    locus::crypto::P256PrivateKey key;
    locus::crypto::P256PublicKey pub;
    if (!drbg.seed(locus::host::os_entropy, nullptr, locus::ByteSpan(kPers, sizeof kPers - 1))
             .ok() ||
        !locus::crypto::p256_generate_key(drbg, &key).ok() ||
        !locus::crypto::p256_public_key(key, &pub).ok()) {
      fail(ctx, HostError::kInternal, "key generation failed");
    }
    if (auto w = loc::write_private_key_pem(ko->out, key); !w.ok())
      fail(ctx, HostError::kIo, w.message());
    if (!ko->pub.empty()) {
      if (auto w = loc::write_public_key_pem(ko->pub, pub); !w.ok())
        fail(ctx, HostError::kIo, w.message());
    }
    const std::string hex = locus::host::hex_encode(locus::ByteSpan(pub.q.data(), pub.q.size()));
    locus::cli::emit(ctx, nlohmann::json{{"private_key", ko->out}, {"public_key", hex}}.dump(),
                     hex);
  });

  // ---- trustlist sign|show --------------------------------------------------------------
  auto* tl = lm->add_subcommand("trustlist", "Sign or show the landmark trust list");
  tl->require_subcommand(1);
  struct TlOpts {
    std::string in, key, out, signer;
    bool force = false;
  };
  auto to = std::make_shared<TlOpts>();
  auto* sign = tl->add_subcommand("sign", "Sign a JSON landmark list into a COSE_Sign1 trust list");
  sign->add_option("--in", to->in, "JSON list {\"version\":1,\"landmarks\":[...]}")->required();
  sign->add_option("--key", to->key, "Trust-list signing key (PEM/DER P-256 private key)")
      ->required();
  sign->add_option("--out", to->out, "Signed trust list to write (COSE_Sign1 bytes)")->required();
  sign->add_flag("--force", to->force, "Replace an existing output file");
  sign->callback([to, &ctx]() {
    auto text = locus::host::read_text_file(to->in, 4 << 20);
    if (!text.ok()) fail(ctx, HostError::kIo, text.message());
    locus::crypto::P256PrivateKey key;
    if (auto k = loc::load_private_key(to->key, &key); !k.ok())
      fail(ctx, HostError::kConfig, k.message());
    std::vector<uint8_t> cose;
    if (auto s = loc::sign_trust_list(text.value(), key, &cose); !s.ok())
      fail(ctx, HostError::kParse, to->in + ": " + s.message());
    auto w = locus::host::write_file(to->out, locus::ByteSpan(cose), 0644, to->force);
    if (!w.ok()) fail(ctx, w.error());
    loc::TrustList t;
    (void)loc::parse_trust_list_json(text.value(), &t);
    locus::cli::emit(ctx,
                     nlohmann::json{{"out", to->out}, {"landmarks", t.landmarks.size()}}.dump(),
                     "signed " + std::to_string(t.landmarks.size()) + " landmarks into " + to->out);
  });
  auto* show = tl->add_subcommand("show", "Verify a signed trust list and print it");
  show->add_option("--in", to->in, "Signed trust list (COSE_Sign1)")->required();
  show->add_option("--signer", to->signer,
                   "Trust-list signer public key (PEM, DER, or 65-byte SEC1 hex)")
      ->required();
  show->callback([to, &ctx]() {
    locus::crypto::P256PublicKey pub;
    if (auto k = loc::load_public_key(to->signer, &pub); !k.ok())
      fail(ctx, HostError::kConfig, k.message());
    auto b_r = locus::host::read_file(to->in, 16u << 20);
    if (!b_r.ok()) fail(ctx, HostError::kIo, "cannot read " + to->in);
    const std::vector<uint8_t>& b = b_r.value();
    auto t = loc::verify_trust_list(b, pub);
    if (!t.ok()) fail(ctx, HostError::kRefused, to->in + ": " + t.message());
    std::string human;
    for (const auto& e : t.value().landmarks) {
      char line[256];
      (void)std::snprintf(line, sizeof line, "%-12s %9.4f %10.4f  %s:%u/%u  %s\n", e.id.c_str(),
                          e.lat_deg, e.lon_deg, e.host.c_str(), unsigned(e.tcp_port),
                          unsigned(e.udp_port), e.operator_name.c_str());
      human += line;
    }
    locus::cli::emit(ctx, loc::trust_list_to_json(t.value()),
                     "trust list OK (signature verified)\n" + human);
  });
}
