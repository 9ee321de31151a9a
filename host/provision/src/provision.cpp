// Provisioning: CA, license key, enrollment over the board link, export.
#include "locus/provision/provision.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "locus/common/json_read.h"
#include "locus/common/keys.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/drbg.h"
#include "locus/crypto/x509.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "locus/verifier/reverify.h"

namespace locus::provision {

using host::HostError;
using json = nlohmann::json;

namespace {

HStatus random_key(crypto::P256PrivateKey* key) {
  crypto::Drbg drbg;
  const char pers[] = "locus provision key";
  if (!drbg.seed(host::os_entropy, nullptr,
                 ByteSpan(reinterpret_cast<const uint8_t*>(pers), sizeof pers - 1))
           .ok())
    return {HostError::kInternal, "cannot seed the DRBG"};
  if (!crypto::p256_generate_key(drbg, key).ok())
    return {HostError::kInternal, "key generation failed"};
  return HStatus::Ok();
}

Bytes random_serial() {
  Bytes s(16);
  if (!host::os_random(s.data(), s.size())) s.assign(16, 0x5a);
  s[0] = static_cast<uint8_t>((s[0] & 0x7F) | 0x40);  // positive, 16 significant bytes
  return s;
}

// mbedtls_x509_dn_gets() separates attributes with ", "; the name parser wants ",".
std::string dn_for_writer(const std::string& dn) {
  std::string out;
  for (size_t i = 0; i < dn.size(); i++) {
    if (dn[i] == ',' && i + 1 < dn.size() && dn[i + 1] == ' ') {
      out.push_back(',');
      i++;
    } else {
      out.push_back(dn[i]);
    }
  }
  return out;
}

std::string status_hex(uint16_t c) {
  char b[8];
  (void)std::snprintf(b, sizeof b, "0x%04x", c);
  return b;
}

}  // namespace

HStatus init_ca(const CaFiles& f, const std::string& subject, bool force) {
  if (!force) {
    for (const auto& p : {f.key_path, f.cert_path})
      if (host::file_exists(p))
        return {HostError::kExists,
                p + ": exists; refusing to overwrite (use --force to replace it)"};
  }
  crypto::P256PrivateKey key;
  HStatus s = random_key(&key);
  if (!s.ok()) return s;
  crypto::P256PublicKey pub;
  if (!crypto::p256_public_key(key, &pub).ok()) return {HostError::kInternal, "public key"};
  Bytes serial = random_serial();
  crypto::CertSpec spec;
  spec.subject = subject.c_str();
  spec.issuer = subject.c_str();
  spec.serial = serial;
  spec.is_ca = true;
  spec.max_path_len = 1;  // root -> DeviceID (CA) -> Alias
  uint8_t der[2048];
  size_t n = 0;
  Status xs = crypto::x509_issue(spec, pub, key, MutByteSpan(der, sizeof der), &n);
  if (!xs.ok())
    return {HostError::kConfig, "cannot issue the root certificate for subject '" + subject +
                                    "' (status " + status_hex(xs.code()) + ")"};
  auto pem = host::private_key_to_pem(key);
  if (!pem.ok()) return pem.status();
  s = host::write_text_file(f.key_path, pem.value(), 0600, force);
  if (!s.ok()) return s;
  return host::write_text_file(f.cert_path, host::pem_encode("CERTIFICATE", ByteSpan(der, n)), 0644,
                               force);
}

HStatus init_license_key(const std::string& key_path, const std::string& pub_path, bool force) {
  if (!force) {
    for (const auto& p : {key_path, pub_path})
      if (!p.empty() && host::file_exists(p))
        return {HostError::kExists,
                p + ": exists; refusing to overwrite (use --force to replace it)"};
  }
  crypto::P256PrivateKey key;
  HStatus s = random_key(&key);
  if (!s.ok()) return s;
  crypto::P256PublicKey pub;
  if (!crypto::p256_public_key(key, &pub).ok()) return {HostError::kInternal, "public key"};
  auto pem = host::private_key_to_pem(key);
  if (!pem.ok()) return pem.status();
  s = host::write_text_file(key_path, pem.value(), 0600, force);
  if (!s.ok() || pub_path.empty()) return s;
  auto ppem = host::public_key_to_pem(pub);
  if (!ppem.ok()) return ppem.status();
  return host::write_text_file(pub_path, ppem.value(), 0644, force);
}

HostResult<Ca> load_ca(const CaFiles& f) {
  Ca ca;
  auto kp = host::read_text_file(f.key_path, 1u << 16);
  if (!kp.ok()) return {HostError::kConfig, kp.message()};
  HStatus s = host::private_key_from_pem(kp.value(), &ca.key);
  if (!s.ok()) return {HostError::kConfig, f.key_path + ": " + s.message()};
  auto cp = host::read_text_file(f.cert_path, 1u << 16);
  if (!cp.ok()) return {HostError::kConfig, cp.message()};
  auto der = host::pem_decode("CERTIFICATE", cp.value());
  if (!der.ok()) return {HostError::kConfig, f.cert_path + ": " + der.message()};
  auto ci = certs::parse_cert(der.value());
  if (!ci.ok()) return {HostError::kConfig, f.cert_path + ": " + ci.message()};
  crypto::P256PublicKey pub;
  if (!crypto::p256_public_key(ca.key, &pub).ok() || !crypto::ct_equal(pub.q, ci.value().pub.q))
    return {HostError::kConfig, f.key_path + ": does not match the certificate " + f.cert_path};
  ca.cert = ci.value();
  return ca;
}

HStatus load_license_public(const std::string& path, crypto::P256PublicKey* out) {
  auto t = host::read_text_file(path, 1u << 16);
  if (!t.ok()) return {HostError::kConfig, t.message()};
  if (t.value().find("EC PRIVATE KEY") != std::string::npos) {
    crypto::P256PrivateKey k;
    HStatus s = host::private_key_from_pem(t.value(), &k);
    if (!s.ok()) return {HostError::kConfig, path + ": " + s.message()};
    if (!crypto::p256_public_key(k, out).ok()) return {HostError::kInternal, "public key"};
    return HStatus::Ok();
  }
  HStatus s = host::public_key_from_pem(t.value(), out);
  if (!s.ok()) return {HostError::kConfig, path + ": " + s.message()};
  return s;
}

// ---- board link -------------------------------------------------------------------------

// The link itself (framing, request ids, bounded waits, reconnect) is the shared board-link
// client, locus/boardlink/link.h.

namespace {

template <typename Req>
HStatus call(boardlink::Link& link, const Req& req, uint8_t want_type, Bytes* body,
             const char* what) {
  uint8_t item[protocol::kMaxPayload];
  cbor::Encoder e(item, sizeof item);
  Status s = protocol::encode_body(e, req);
  auto n = e.finish();
  if (!s.ok() || !n.ok())
    return {HostError::kInternal, std::string(what) + ": cannot encode the request"};
  boardlink::RawResponse r;
  HStatus hs = link.request(Req::kType, ByteSpan(item, n.value()), &r);
  if (!hs.ok()) return {hs.code(), std::string(what) + ": " + hs.message()};
  if (r.type == protocol::kMsgError)
    return {HostError::kRefused,
            std::string(what) + ": board answered error " + status_hex(r.board_error)};
  if (r.type != want_type)
    return {HostError::kParse, std::string(what) + ": unexpected response type"};
  *body = std::move(r.body);
  return HStatus::Ok();
}

}  // namespace

HostResult<EnrollResult> enroll(const EnrollOptions& opt, const Ca& ca,
                                const crypto::P256PublicKey& license_pub, registry::Registry* reg,
                                audit::AuditLog* log) {
  if (opt.site.empty() || opt.host.empty())
    return {HostError::kUsage, "site and host are required"};
  boardlink::Link link;
  link.set_timeout_ms(10000);  // each request waits up to 10 s
  HStatus s = link.open(opt.link);
  if (!s.ok()) return s.error();

  Bytes body;
  s = call(link, protocol::GetIdentityRequest{}, protocol::IdentityResponse::kType, &body,
           "GET_IDENTITY");
  if (!s.ok()) return s.error();
  protocol::IdentityResponse id;
  if (!protocol::decode_body(body, &id).ok())
    return {HostError::kParse, "GET_IDENTITY: malformed identity"};

  crypto::P256PublicKey devid_pub;
  devid_pub.q = id.devid_pub;
  auto ueid = certs::ueid_of(devid_pub);
  if (!ueid.ok()) return ueid.error();
  if (!crypto::ct_equal(ueid.value(), id.ueid))
    return {HostError::kRefused, "board UEID is not derived from its DeviceID key"};
  std::string ueid_hex = host::hex_encode(id.ueid);
  // Enrollment ordering: the registry row is written first, as pending; then the board gets
  // its certificate and the verifier key; then the row turns active together with the audit
  // record. A failure after the board took the certificate leaves the pending row, and
  // running enroll again resumes from it (same certificate, idempotent) instead of leaving a
  // board that refuses a second certificate and can never be enrolled.
  auto existing = reg->get_device(id.ueid);
  bool resume = false;
  if (existing.ok()) {
    if (existing.value().state == registry::DeviceState::kActive)
      return {HostError::kDuplicate,
              "device " + ueid_hex + " is already enrolled (site " + existing.value().site + ")"};
    resume = true;
    if (existing.value().site != opt.site || existing.value().host != opt.host)
      return {HostError::kRefused, "device " + ueid_hex + " has a pending enrollment for site " +
                                       existing.value().site + ", host " + existing.value().host +
                                       "; finish it with the same --site and --host"};
  } else if (existing.code() != HostError::kNotFound) {
    return existing.error();
  }
  ByteSpan board_cert = id.devid_cert;
  if (!resume && board_cert.size != 0)
    return {HostError::kRefused,
            "board " + ueid_hex +
                " already holds a DeviceID certificate but this registry has no enrollment for it"};

  auto csr = certs::parse_csr(id.csr);
  if (!csr.ok()) return {HostError::kRefused, "CSR: " + csr.message()};
  if (!csr.value().signature_ok) return {HostError::kRefused, "CSR self-signature does not verify"};
  if (!crypto::ct_equal(csr.value().pub.q, devid_pub.q))
    return {HostError::kRefused, "CSR key differs from the board's DeviceID key"};

  std::string board_hw(reinterpret_cast<const char*>(id.hwmodel.data), id.hwmodel.size);
  std::string hwmodel = opt.hwmodel.empty() ? board_hw : opt.hwmodel;
  if (hwmodel != board_hw)
    return {HostError::kRefused,
            "--hwmodel '" + hwmodel + "' differs from the board's '" + board_hw + "'"};

  registry::Device d;
  if (resume) {
    d = existing.value();
    // The pending certificate must still be ours and this board's (a registry edited behind
    // our back is not trusted).
    auto pc = certs::parse_cert(d.devid_cert);
    if (!pc.ok()) return {HostError::kRefused, "pending DeviceID certificate: " + pc.message()};
    s = certs::verify_signed_by(pc.value(), ca.cert.pub, ca.cert.subject_raw);
    if (!s.ok())
      return {HostError::kRefused, "pending DeviceID certificate is not issued by this CA"};
    if (!crypto::ct_equal(pc.value().pub.q, devid_pub.q))
      return {HostError::kRefused, "pending DeviceID certificate is for another key"};
    if (board_cert.size != 0 &&
        !(board_cert.size == d.devid_cert.size() && crypto::ct_equal(board_cert, d.devid_cert)))
      return {HostError::kRefused,
              "board " + ueid_hex + " holds a DeviceID certificate other than the pending one"};
  } else {
    // DeviceID certificate: subject from the CSR, issued by the manufacturer root.
    std::string subject = dn_for_writer(csr.value().subject);
    std::string issuer = dn_for_writer(ca.cert.subject);
    Bytes serial = random_serial();
    crypto::CertSpec spec;
    spec.subject = subject.c_str();
    spec.issuer = issuer.c_str();
    spec.serial = serial;
    spec.is_ca = true;  // DICE: the DeviceID key issues the Alias certificate
    spec.max_path_len = 0;
    uint8_t der[2048];
    size_t dlen = 0;
    Status xs = crypto::x509_issue(spec, devid_pub, ca.key, MutByteSpan(der, sizeof der), &dlen);
    if (!xs.ok())
      return {HostError::kInternal,
              "cannot issue the DeviceID certificate (status " + status_hex(xs.code()) + ")"};
    auto issued = certs::parse_cert(ByteSpan(der, dlen));
    if (!issued.ok())
      return {HostError::kInternal, "issued certificate does not parse: " + issued.message()};
    s = certs::verify_signed_by(issued.value(), ca.cert.pub, ca.cert.subject_raw);
    if (!s.ok())
      return {HostError::kInternal, "issued certificate does not chain to the CA: " + s.message()};
    if (issued.value().subject != csr.value().subject)
      return {HostError::kInternal, "issued subject differs from the CSR subject"};
    d.ueid = ueid.value();
    d.site = opt.site;
    d.host = opt.host;
    d.hwmodel = hwmodel;
    d.devid_cert.assign(der, der + dlen);
    d.serial_hex = issued.value().serial_hex;
    d.enrolled_at = host::unix_time();
    d.state = registry::DeviceState::kPending;
    s = reg->add_device(d);
    if (!s.ok()) return s.error();
  }

  if (board_cert.size == 0) {
    protocol::InstallDevidCertRequest ic;
    ic.cert = ByteSpan(d.devid_cert);
    s = call(link, ic, protocol::InstallDevidCertResponse::kType, &body, "INSTALL_DEVID_CERT");
    if (!s.ok()) return s.error();
  }
  s = call(link, protocol::GetStatusRequest{}, protocol::StatusResponse::kType, &body,
           "GET_STATUS");
  if (!s.ok()) return s.error();
  protocol::StatusResponse st;
  if (!protocol::decode_body(body, &st).ok())
    return {HostError::kParse, "GET_STATUS: malformed status"};
  if (!st.status.has_devid_cert)
    return {HostError::kRefused, "board reports no DeviceID certificate after installing it"};
  if (!st.status.has_verifier_key) {
    protocol::InstallVerifierKeyRequest ik;
    ik.key = license_pub.q;
    s = call(link, ik, protocol::InstallVerifierKeyResponse::kType, &body, "INSTALL_VERIFIER_KEY");
    if (!s.ok()) return s.error();
  }
  // (A board that already holds a verifier key from the interrupted attempt keeps it: if it
  // were not ours the board would refuse every license we sign, which fails closed.)

  // Pending -> active and the audit record in one transaction (lock order: registry first).
  s = reg->transaction([&]() -> HStatus {
    HStatus a = reg->activate_device(d.ueid);
    if (!a.ok()) return a;
    if (log != nullptr) {
      auto r = log->append("provision", json{{"ueid", ueid_hex},
                                             {"site", d.site},
                                             {"host", d.host},
                                             {"hwmodel", d.hwmodel},
                                             {"devid_serial", d.serial_hex},
                                             {"link", opt.link},
                                             {"fwid", host::hex_encode(id.fwid)},
                                             {"svn", id.svn},
                                             {"resumed", resume}});
      if (!r.ok()) return {r.code(), "the audit record failed: " + r.message()};
    }
    return HStatus::Ok();
  });
  if (!s.ok())
    return {s.code(), "board " + ueid_hex +
                          " holds its certificate but the enrollment could not be completed (" +
                          s.message() + "); run enroll again to finish it"};
  EnrollResult out;
  out.ueid = d.ueid;
  out.serial_hex = d.serial_hex;
  out.hwmodel = d.hwmodel;
  out.devid_cert = d.devid_cert;
  return out;
}

HostResult<std::vector<EnrollOptions>> parse_batch(const std::string& text,
                                                   const std::string& source) {
  std::vector<EnrollOptions> out;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    for (char& c : line)
      if (c == ',' || c == '\t' || c == '\r') c = ' ';
    std::istringstream ls(line);
    std::vector<std::string> cols;
    std::string c;
    while (ls >> c) cols.push_back(c);
    if (cols.empty()) continue;
    if (cols[0] == "link") continue;  // CSV header
    if (cols.size() < 3 || cols.size() > 4)
      return {HostError::kConfig,
              source + ":" + std::to_string(lineno) + ": expected 'LINK SITE HOST [HWMODEL]'"};
    if (cols[0].rfind("tcp:", 0) != 0 && cols[0].rfind("unix:", 0) != 0)
      return {HostError::kConfig,
              source + ":" + std::to_string(lineno) + ": link must be tcp:HOST:PORT or unix:PATH"};
    EnrollOptions o;
    o.link = cols[0];
    o.site = cols[1];
    o.host = cols[2];
    if (cols.size() == 4) o.hwmodel = cols[3];
    out.push_back(o);
  }
  if (out.empty()) return {HostError::kConfig, source + ": no boards listed"};
  return out;
}

HostResult<ExportSummary> export_artifacts(const std::string& out_dir, registry::Registry* reg,
                                           const std::string& ca_cert_path,
                                           const std::string& audit_log_path, bool force) {
  ExportSummary sum;
  for (const std::string& d :
       {out_dir, out_dir + "/devices", out_dir + "/decisions", out_dir + "/evidence",
        out_dir + "/licenses", out_dir + "/bundles"}) {
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST)
      return {HostError::kIo, d + ": " + std::strerror(errno)};
  }
  if (!ca_cert_path.empty()) {
    auto ca = host::read_file(ca_cert_path);
    if (!ca.ok()) return ca.error();
    HStatus s = host::write_file(out_dir + "/ca.pem", ca.value(), 0644, force);
    if (!s.ok()) return s.error();
    sum.certs++;
  }
  auto devs = reg->list_devices();
  if (!devs.ok()) return devs.error();
  json dj = json::array();
  for (const auto& d : devs.value()) {
    std::string u = host::hex_encode(d.ueid);
    std::string dir = std::string(out_dir).append("/devices/").append(u);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return {HostError::kIo, dir + ": " + std::strerror(errno)};
    HStatus s = host::write_text_file(dir + "/devid.pem",
                                      host::pem_encode("CERTIFICATE", d.devid_cert), 0644, force);
    if (!s.ok()) return s.error();
    sum.certs++;
    dj.push_back({{"ueid", u},
                  {"site", d.site},
                  {"host", d.host},
                  {"hwmodel", d.hwmodel},
                  {"devid_serial", d.serial_hex},
                  {"revoked", d.revoked},
                  {"revoke_reason", d.revoke_reason},
                  {"enrolled_at", d.enrolled_at}});
  }
  HStatus s = host::write_text_file(out_dir + "/devices.json", dj.dump(2) + "\n", 0644, force);
  if (!s.ok()) return s.error();
  // The history a page at a time (registry::for_each_decision): memory stays bounded however
  // long it is.
  s = registry::for_each_decision(
      *reg, 0, [&](const registry::Decision& d) -> HostResult<registry::Visit> {
        std::string id = std::to_string(d.id);
        json j = locus::host::parse_json(d.decision_json);
        std::string text = j.is_discarded() ? d.decision_json : j.dump(2);
        HStatus w = host::write_text_file(
            std::string(out_dir).append("/decisions/").append(id).append(".json"), text + "\n",
            0644, force);
        if (!w.ok()) return w.error();
        sum.decisions++;
        if (!d.evidence.empty()) {
          w = host::write_file(std::string(out_dir).append("/evidence/").append(id).append(".cose"),
                               d.evidence, 0644, force);
          if (!w.ok()) return w.error();
          sum.evidence++;
        }
        if (!d.license.empty()) {
          w = host::write_file(std::string(out_dir).append("/licenses/").append(id).append(".cose"),
                               d.license, 0644, force);
          if (!w.ok()) return w.error();
          sum.licenses++;
        }
        // The whole evidence bundle (docs/audit.md), for `locus audit reverify --export`.
        auto b = reg->get_evidence_bundle(d.id);
        if (b.ok()) {
          w = verifier::write_bundle_dir(std::string(out_dir).append("/bundles/").append(id), d.id,
                                         b.value(), j.is_discarded() ? json(d.decision_json) : j,
                                         force);
          if (!w.ok()) return w.error();
          sum.bundles++;
        } else if (b.code() != HostError::kNotFound) {
          return b.error();
        }
        return registry::Visit::kNext;
      });
  if (!s.ok()) return s.error();
  if (!audit_log_path.empty() && host::file_exists(audit_log_path)) {
    auto a = host::read_file(audit_log_path);
    if (!a.ok()) return a.error();
    s = host::write_file(out_dir + "/audit.jsonl", a.value(), 0644, force);
    if (!s.ok()) return s.error();
  }
  return sum;
}

}  // namespace locus::provision
