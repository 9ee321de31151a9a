// Fuzz target verifier_http: the bodies of the verifier's HTTP API (docs/protocol.md) as the
// service hands them to its handlers, without a socket: a real Verifier (policy parsed from
// TOML, SQLite registry in a scratch folder with one enrolled device, audit log) behind
// verifier::HttpService. The first byte picks the handler, the rest is the body or query:
//   0 POST /v1/nonce   1 POST /v1/attest   2 GET /v1/landmarks/required   3 GET /v1/quote-policy
// Invariants: the status is 200, 400 or 404 (never a 5xx for bad input); the answer is a
// JSON object; a 400 carries an "error" text; an attestation is never "affirming" and never
// carries a license (the fuzzer holds no valid nonce, evidence or key).
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_targets.h"
#include "locus/audit/audit.h"
#include "locus/common/common.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"
#include "locus/registry/registry.h"
#include "locus/verifier/service.h"
#include "locus/verifier/verifier.h"

using namespace locus;
using json = nlohmann::json;

namespace {

struct Env {
  std::unique_ptr<registry::Registry> reg;
  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<verifier::Verifier> v;
  std::unique_ptr<verifier::HttpService> svc;
};

crypto::P256PrivateKey key_of(const char* label) {
  static const uint8_t seed[4] = {'f', 'u', 'z', 'z'};
  crypto::P256PrivateKey k;
  if (!crypto::p256_derive_key(ByteSpan(seed, 4),
                               ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)), &k)
           .ok())
    __builtin_trap();
  return k;
}

std::string g_dir;
void remove_dir() {
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
}

Env* make_env() {
  char tmpl[] = "/tmp/locus-fuzz-verifier-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) __builtin_trap();
  const std::string dir = tmpl;
  g_dir = dir;
  atexit(remove_dir);
  auto e = new Env;
  auto reg = registry::open_sqlite(dir + "/registry.db");
  if (!reg.ok()) __builtin_trap();
  e->reg = reg.take();
  e->log = std::make_unique<audit::AuditLog>(dir + "/audit.log", e->reg.get());
  // Root CA: self-signed P-256 certificate made with the real issuer.
  const crypto::P256PrivateKey ca = key_of("ca");
  crypto::P256PublicKey ca_pub;
  if (!crypto::p256_public_key(ca, &ca_pub).ok()) __builtin_trap();
  crypto::CertSpec spec;
  spec.subject = "CN=locus fuzz root,O=locus";
  spec.issuer = spec.subject;
  const uint8_t serial[1] = {1};
  spec.serial = ByteSpan(serial, 1);
  spec.is_ca = true;
  uint8_t der[1024];
  size_t n = 0;
  if (!crypto::x509_issue(spec, ca_pub, ca, MutByteSpan(der, sizeof der), &n).ok())
    __builtin_trap();
  auto root = certs::parse_cert(ByteSpan(der, n));
  if (!root.ok()) __builtin_trap();
  verifier::VerifierKeys keys;
  keys.root = root.take();
  keys.license_key = key_of("license");
  auto pol = verifier::parse_policy(
      "verifier_id = \"fuzz\"\nlease_s = 600\nnonce_ttl_s = 60\n"
      "[hwmodel.\"locus-host-sim\"]\nfwids = [\"" +
          std::string(64, 'a') +
          "\"]\nmin_svn = 1\n"
          "[site.sg-1]\nzones = [{lat = 1.35, lon = 103.82, radius_km = 40}]\n",
      dir + "/policy.toml");
  if (!pol.ok()) __builtin_trap();
  auto v = verifier::Verifier::create(pol.take(), e->reg.get(), e->log.get(), keys);
  if (!v.ok()) __builtin_trap();
  e->v = v.take();
  registry::Device d;
  d.ueid = host::Bytes(33, 0x01);
  d.site = "sg-1";
  d.host = "h1";
  d.hwmodel = "locus-host-sim";
  if (!e->reg->add_device(d).ok()) __builtin_trap();
  e->svc = std::make_unique<verifier::HttpService>(e->v.get());
  return e;
}

}  // namespace

extern "C" int locus_fuzz_verifier_http(const uint8_t* data, size_t size) {
  static Env* env = make_env();
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string out;
  int status = 0;
  switch (data[0] % 4) {
    case 0: status = env->svc->handle_nonce(body, &out); break;
    case 1: status = env->svc->handle_attest(body, &out); break;
    case 2: status = env->svc->handle_required(body, &out); break;
    default: status = env->svc->handle_quote_policy(body, &out); break;
  }
  LOCUS_FUZZ_CHECK(status == 200 || status == 400 || status == 404);
  const json j = json::parse(out, nullptr, false);
  LOCUS_FUZZ_CHECK(!j.is_discarded() && j.is_object());
  if (status == 400) LOCUS_FUZZ_CHECK(j.contains("error") && j["error"].is_string());
  if (status == 200) {
    LOCUS_FUZZ_ACCEPTED();
    if (data[0] % 4 == 1) {
      LOCUS_FUZZ_CHECK(j["license"].is_null());
      LOCUS_FUZZ_CHECK(j["decision"].value("status", "") != "affirming");
    }
  }
  return 0;
}
