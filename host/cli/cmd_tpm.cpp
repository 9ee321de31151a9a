// `locus tpm ...`: the host binding through TPM 2.0 (host/tpm, docs/tpm.md).
//   tpm ek           EK public name and certificate of the TPM
//   tpm ak create    create the attestation key (child of the EK), save its blobs
//   tpm ak show      load the AK and show its name / public key
//   tpm quote        quote PCRs bound to a verifier nonce and evidence (the /v1/attest "tpm"
//   object) tpm enroll-host  EK certificate check, credential activation, golden PCRs -> registry
//   tpm bind-board   record which host a board sits in
//   tpm verify-quote appraise a quote for a board, as the verifier does
//   tpm pcr-extend   extend a sha256 PCR (tests and demos; swtpm only in tests)
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "locus/provision/enroll_host.h"
#include "locus/tpm/enroll.h"
#include "locus/tpm/esapi.h"
#include "locus/tpm/quote_json.h"
#include "locus/tpm/registry.h"
#include "locus/tpm/verify.h"

namespace {

using locus::ByteSpan;
using locus::Status;
using locus::host::HostError;
using namespace locus::tpm;

[[noreturn]] void tpm_fail(const CliContext& ctx, Status s, const std::string& what,
                           const std::string& detail = "") {
  std::string msg =
      what + ": " +
      (s.module() == locus::Module::kTpm ? locus::tpm::to_string(static_cast<TpmError>(s.local()))
                                         : std::string("error"));
  if (!detail.empty()) msg += " (" + detail + ")";
  locus::cli::fail(ctx, s, msg);
}

std::string hex(const std::vector<uint8_t>& v) {
  return locus::host::hex_encode(ByteSpan(v.data(), v.size()));
}

void open_tpm(const CliContext& ctx, Tpm& tpm, const std::string& tcti) {
  Status s = tpm.open(tcti);
  if (!s.ok()) tpm_fail(ctx, s, "cannot open the TPM through '" + tcti + "'", tpm.last_error());
}

std::vector<uint32_t> pcr_list(const CliContext& ctx, const std::string& text) {
  auto l = parse_pcr_list(text);
  if (!l.ok())
    locus::cli::fail(ctx, HostError::kUsage,
                     "--pcrs must be a comma-separated list of 0..23, e.g. 0,1,7");
  return *l;
}

std::vector<uint8_t> hex_arg(const CliContext& ctx, const std::string& name,
                             const std::string& text) {
  auto b = locus::host::hex_decode(text);
  if (!b.ok() || b.value().empty())
    locus::cli::fail(ctx, HostError::kUsage, name + " must be non-empty hex");
  return b.value();
}

std::vector<uint8_t> read_input(const CliContext& ctx, const std::string& path, size_t max) {
  auto r = locus::host::read_file(path, max);
  if (!r.ok()) locus::cli::fail(ctx, r.error());
  return r.value();
}

void open_db(const CliContext& ctx, TpmRegistry& reg, const std::string& path) {
  Status s = reg.open(path);
  if (!s.ok()) tpm_fail(ctx, s, "cannot open database " + path);
}

std::string ak_json(const AkInfo& ak) {
  return nlohmann::json{{"ak_name", hex(ak.name)},
                        {"ak_public", hex(ak.public_area)},
                        {"ak_pem", p256_public_pem(ak.public_key)}}
      .dump();
}

void write_pem(const CliContext& ctx, const std::string& path, const AkInfo& ak) {
  if (path.empty()) return;
  auto s = locus::host::write_text_file(path, p256_public_pem(ak.public_key), 0644, false);
  if (!s.ok()) locus::cli::fail(ctx, s.error());
}

std::string verdict_json(const QuoteVerdict& v) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : v.reasons)
    reasons.push_back({{"check", to_string(r.check)}, {"reason", r.text}});
  return nlohmann::json{{"accepted", v.accepted},
                        {"reasons", reasons},
                        {"clock", v.attest.clock_info.clock},
                        {"reset_count", v.attest.clock_info.reset_count},
                        {"restart_count", v.attest.clock_info.restart_count},
                        {"safe", v.attest.clock_info.safe},
                        {"firmware_version", v.attest.firmware_version}}
      .dump();
}

// Every `locus tpm` option, shared by the subcommands (CLI11 binds them by reference).
struct TpmOpts {
  std::string tcti = "device:/dev/tpmrm0";
  std::string ak;
  std::string pem_out;
  std::string cert_out;
  std::string nonce;
  std::string evidence;
  std::string pcrs = "0,1,7";
  std::string out;
  std::string in;
  std::string ek_ca;
  std::string db;
  std::string host;
  std::string board;
  std::string digest;
  unsigned pcr = 0;
  bool create_ak = false;
  bool accept_reboot = false;
};
using OptsPtr = std::shared_ptr<TpmOpts>;

void add_tcti(CLI::App* c, const OptsPtr& o) {
  c->add_option("--tcti", o->tcti,
                "TCTI configuration: device:/dev/tpmrm0 (default) or swtpm:host=127.0.0.1,port=P");
}

// `tpm ek`: the EK public name and its NV certificate.
void add_ek_command(CLI::App* tpm, const OptsPtr& o, CliContext& ctx) {
  auto* ek =
      tpm->add_subcommand("ek", "Show the EK (default RSA-2048 template) and its NV certificate");
  add_tcti(ek, o);
  ek->add_option("--cert-out", o->cert_out, "Write the EK certificate (DER) to this file");
  ek->callback([o, &ctx]() {
    Tpm t;
    open_tpm(ctx, t, o->tcti);
    auto e = t.ek();
    if (!e.ok()) tpm_fail(ctx, e.status(), "cannot read the EK", t.last_error());
    if (!o->cert_out.empty()) {
      if (e->cert_der.empty())
        locus::cli::fail(ctx, HostError::kNotFound, "no EK certificate in NV 0x01c00002");
      auto s = locus::host::write_file(
          o->cert_out, ByteSpan(e->cert_der.data(), e->cert_der.size()), 0644, false);
      if (!s.ok()) locus::cli::fail(ctx, s.error());
    }
    locus::cli::emit(ctx,
                     nlohmann::json{{"ek_name", hex(e->name)},
                                    {"ek_cert_present", !e->cert_der.empty()},
                                    {"ek_cert_size", e->cert_der.size()}}
                         .dump(),
                     "EK name: " + hex(e->name) + "\nEK certificate: " +
                         (e->cert_der.empty() ? std::string("absent")
                                              : std::to_string(e->cert_der.size()) + " bytes"));
  });
}

// `tpm ak create|show`: make the AK under the EK and save its blobs; load and show it.
void add_ak_commands(CLI::App* tpm, const OptsPtr& o, CliContext& ctx) {
  auto* ak = tpm->add_subcommand(
      "ak", "Attestation key (ECC P-256 restricted signing key, child of the EK)");
  ak->require_subcommand(1);
  auto* akc = ak->add_subcommand(
      "create", "Create a new AK and save its blobs (mode 0600, never overwritten)");
  add_tcti(akc, o);
  akc->add_option("--ak", o->ak, "AK blob file to create")->required();
  akc->add_option("--pem-out", o->pem_out, "Also write the AK public key as PEM");
  akc->callback([o, &ctx]() {
    Tpm t;
    open_tpm(ctx, t, o->tcti);
    auto a = t.create_ak(o->ak);
    if (!a.ok()) tpm_fail(ctx, a.status(), "cannot create the AK", t.last_error());
    write_pem(ctx, o->pem_out, *a);
    locus::cli::emit(ctx, ak_json(*a),
                     "AK created: " + o->ak + "\nAK name: " + hex(a->name) + "\n" +
                         p256_public_pem(a->public_key));
  });
  auto* aks = ak->add_subcommand("show", "Load the AK and show its name and public key");
  add_tcti(aks, o);
  aks->add_option("--ak", o->ak, "AK blob file")->required();
  aks->add_option("--pem-out", o->pem_out, "Also write the AK public key as PEM");
  aks->callback([o, &ctx]() {
    Tpm t;
    open_tpm(ctx, t, o->tcti);
    auto a = t.load_ak(o->ak);
    if (!a.ok()) tpm_fail(ctx, a.status(), "cannot load the AK from " + o->ak, t.last_error());
    write_pem(ctx, o->pem_out, *a);
    locus::cli::emit(ctx, ak_json(*a),
                     "AK name: " + hex(a->name) + "\n" + p256_public_pem(a->public_key));
  });
}

// `tpm quote`: a quote bound to a verifier nonce and evidence (the /v1/attest "tpm" object).
void add_quote_command(CLI::App* tpm, const OptsPtr& o, CliContext& ctx) {
  auto* q = tpm->add_subcommand("quote",
                                "Quote PCRs with extraData = SHA-256(nonce || SHA-256(evidence))");
  add_tcti(q, o);
  q->add_option("--ak", o->ak, "AK blob file")->required();
  q->add_option("--nonce", o->nonce, "Verifier nonce (hex)")->required();
  q->add_option("--evidence", o->evidence, "Evidence file (COSE_Sign1 EAT bytes)")->required();
  q->add_option("--pcrs", o->pcrs, "PCRs of the sha256 bank, e.g. 0,1,7");
  q->add_option("--out", o->out,
                "Write the quote JSON (/v1/attest \"tpm\" object) here instead of stdout");
  q->callback([o, &ctx]() {
    auto pcrs = pcr_list(ctx, o->pcrs);
    auto nonce = hex_arg(ctx, "--nonce", o->nonce);
    auto evidence = read_input(ctx, o->evidence, 1u << 20);
    Tpm t;
    open_tpm(ctx, t, o->tcti);
    auto a = t.load_ak(o->ak);
    if (!a.ok()) tpm_fail(ctx, a.status(), "cannot load the AK from " + o->ak, t.last_error());
    auto b = t.quote_evidence(ByteSpan(nonce.data(), nonce.size()),
                              ByteSpan(evidence.data(), evidence.size()), pcrs);
    if (!b.ok()) tpm_fail(ctx, b.status(), "quote failed", t.last_error());
    std::string js = quote_to_json(*b);
    if (!o->out.empty()) {
      auto s = locus::host::write_text_file(o->out, js + "\n", 0644, false);
      if (!s.ok()) locus::cli::fail(ctx, s.error());
      locus::cli::emit(ctx, nlohmann::json{{"out", o->out}}.dump(), "quote written to " + o->out);
    } else {
      locus::cli::emit(ctx, js, js);
    }
  });
}

// `tpm enroll-host`: EK certificate check, credential activation, golden PCRs -> registry.
void add_enroll_host_command(CLI::App* tpm, const OptsPtr& o, CliContext& ctx) {
  auto* en = tpm->add_subcommand(
      "enroll-host",
      "Enroll this host's TPM: EK certificate vs the TPM manufacturer CA, AK bound to the EK "
      "by credential activation, golden PCR values; stored in the registry database");
  add_tcti(en, o);
  en->add_option("--ak", o->ak, "AK blob file (loaded; created first with --create-ak)")
      ->required();
  en->add_flag("--create-ak", o->create_ak, "Create the AK blob file first");
  en->add_option("--ek-ca", o->ek_ca, "TPM manufacturer CA certificate(s), PEM or DER")->required();
  en->add_option("--db", o->db, "Registry database (SQLite)")->required();
  en->add_option("--host", o->host, "Host name to record")->required();
  en->add_option("--pcrs", o->pcrs, "Quote policy: PCRs of the sha256 bank (default 0,1,7)");
  en->callback([o, &ctx]() {
    auto pcrs = pcr_list(ctx, o->pcrs);
    Tpm t;
    open_tpm(ctx, t, o->tcti);
    auto a = o->create_ak ? t.create_ak(o->ak) : t.load_ak(o->ak);
    if (!a.ok()) tpm_fail(ctx, a.status(), "cannot get the AK " + o->ak, t.last_error());
    auto rec = locus::provision::enroll_host(
        t, locus::provision::HostEnrollOptions{o->host, o->ek_ca, pcrs});
    if (!rec.ok())
      tpm_fail(ctx, rec.code(), "enrollment of host '" + o->host + "' refused", rec.message());
    TpmRegistry reg;
    open_db(ctx, reg, o->db);
    Status s = reg.put_host(rec.value());
    if (!s.ok()) tpm_fail(ctx, s, "cannot store the host record");
    nlohmann::json golden = nlohmann::json::object();
    for (const auto& p : rec->golden)
      golden[std::to_string(p.index)] = hex({p.value.begin(), p.value.end()});
    locus::cli::emit(
        ctx,
        nlohmann::json{
            {"host", o->host}, {"ak_name", hex(rec->ak_name)}, {"pcrs", {{"sha256", golden}}}}
            .dump(),
        "host '" + o->host + "' enrolled: EK certificate trusted, AK " + hex(rec->ak_name) +
            " activated, " + std::to_string(rec->golden.size()) + " golden PCR values recorded");
  });
}

// `tpm bind-board`: record which enrolled host a board sits in.
void add_bind_board_command(CLI::App* tpm, const OptsPtr& o, CliContext& ctx) {
  auto* bb = tpm->add_subcommand("bind-board", "Record that a board sits in an enrolled host");
  bb->add_option("--db", o->db, "Registry database (SQLite)")->required();
  bb->add_option("--board", o->board, "Board UEID (hex)")->required();
  bb->add_option("--host", o->host, "Enrolled host name")->required();
  bb->callback([o, &ctx]() {
    (void)hex_arg(ctx, "--board", o->board);
    TpmRegistry reg;
    open_db(ctx, reg, o->db);
    Status s = reg.bind_board(o->board, o->host);
    if (!s.ok()) tpm_fail(ctx, s, "cannot bind board to host '" + o->host + "' (is it enrolled?)");
    locus::cli::emit(ctx, nlohmann::json{{"board", o->board}, {"host", o->host}}.dump(),
                     "board " + o->board + " is in host '" + o->host + "'");
  });
}

// `tpm verify-quote`: appraise a quote for a board as the verifier does (exit 1 if refused).
void add_verify_quote_command(CLI::App* tpm, const OptsPtr& o, CliContext& ctx) {
  auto* vq = tpm->add_subcommand(
      "verify-quote", "Appraise a quote for a board as the verifier does (exit 1 if refused)");
  vq->add_option("--db", o->db, "Registry database (SQLite)")->required();
  vq->add_option("--board", o->board, "Board UEID (hex)")->required();
  vq->add_option("--nonce", o->nonce, "Verifier nonce (hex)")->required();
  vq->add_option("--evidence", o->evidence, "Evidence file the quote is bound to")->required();
  vq->add_option("--in", o->in, "Quote JSON written by `locus tpm quote`")->required();
  vq->add_flag("--accept-reboot", o->accept_reboot,
               "Accept a TPM reset/restart since the last accepted quote");
  vq->callback([o, &ctx]() {
    auto nonce = hex_arg(ctx, "--nonce", o->nonce);
    auto evidence = read_input(ctx, o->evidence, 1u << 20);
    auto text = locus::host::read_text_file(o->in, 65536);
    if (!text.ok()) locus::cli::fail(ctx, text.error());
    auto b = quote_from_json(text.value());
    if (!b.ok())
      locus::cli::fail(ctx, HostError::kParse, "quote JSON in " + o->in + " is malformed");
    TpmRegistry reg;
    open_db(ctx, reg, o->db);
    QuoteOptions qo;
    qo.accept_reboot = o->accept_reboot;
    auto v = appraise_board_quote(reg, o->board, *b, ByteSpan(nonce.data(), nonce.size()),
                                  ByteSpan(evidence.data(), evidence.size()), qo);
    if (!v.ok()) tpm_fail(ctx, v.status(), "cannot appraise the quote for board " + o->board);
    std::string human = v->accepted ? "quote accepted" : "quote refused";
    for (const auto& r : v->reasons)
      human += "\n  " + std::string(to_string(r.check)) + ": " + r.text;
    locus::cli::emit(ctx, verdict_json(*v), human);
    if (!v->accepted) ctx.exit_code = 1;
  });
}

// `tpm pcr-extend`: extend a sha256 PCR (tests and demos).
void add_pcr_extend_command(CLI::App* tpm, const OptsPtr& o, CliContext& ctx) {
  auto* pe =
      tpm->add_subcommand("pcr-extend", "Extend a sha256 PCR with a digest (tests and demos)");
  add_tcti(pe, o);
  pe->add_option("--pcr", o->pcr, "PCR index 0..23")->required()->check(CLI::Range(0u, 23u));
  pe->add_option("--digest", o->digest, "SHA-256 digest (64 hex)")->required();
  pe->callback([o, &ctx]() {
    auto d = hex_arg(ctx, "--digest", o->digest);
    if (d.size() != 32)
      locus::cli::fail(ctx, HostError::kUsage, "--digest must be 32 bytes (64 hex)");
    Sha256Digest dg{};
    std::copy(d.begin(), d.end(), dg.begin());
    Tpm t;
    open_tpm(ctx, t, o->tcti);
    Status s = t.pcr_extend(o->pcr, dg);
    if (!s.ok()) tpm_fail(ctx, s, "PCR extend failed", t.last_error());
    locus::cli::emit(ctx, nlohmann::json{{"pcr", o->pcr}}.dump(),
                     "PCR " + std::to_string(o->pcr) + " extended");
  });
}

}  // namespace

void register_tpm_commands(CLI::App& app, CliContext& ctx) {
  auto* tpm =
      app.add_subcommand("tpm", "Host binding through TPM 2.0: AK, quotes, host enrollment");
  tpm->require_subcommand(1);
  auto o = std::make_shared<TpmOpts>();
  add_ek_command(tpm, o, ctx);
  add_ak_commands(tpm, o, ctx);
  add_quote_command(tpm, o, ctx);
  add_enroll_host_command(tpm, o, ctx);
  add_bind_board_command(tpm, o, ctx);
  add_verify_quote_command(tpm, o, ctx);
  add_pcr_extend_command(tpm, o, ctx);
}
