// locus/provision/provision.h: operator provisioning.
//
//   init_ca              manufacturer root CA: P-256 key + self-signed certificate (PEM, 0600)
//   init_license_key     the verifier's license-signing key (+ its public key PEM)
//   enroll               GET_IDENTITY -> check CSR -> issue DeviceID cert -> INSTALL_DEVID_CERT
//                        -> INSTALL_VERIFIER_KEY -> registry -> audit
//   parse_batch          enroll-batch input (see docs/operator-guide.md)
//   export_artifacts     certificates, evidence, licenses and decisions as files
// Key files are never overwritten silently: kExists unless force.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "locus/audit/audit.h"
#include "locus/boardlink/link.h"
#include "locus/certs/certs.h"
#include "locus/common/common.h"
#include "locus/crypto/p256.h"
#include "locus/registry/registry.h"

namespace locus::provision {

using host::Bytes;
using host::HostResult;
using host::HStatus;

struct CaFiles {
  std::string key_path;   // PEM EC PRIVATE KEY, 0600
  std::string cert_path;  // PEM CERTIFICATE, 0644
};

HStatus init_ca(const CaFiles& f, const std::string& subject, bool force);
HStatus init_license_key(const std::string& key_path, const std::string& pub_path, bool force);

struct Ca {
  crypto::P256PrivateKey key;
  certs::CertInfo cert;
};
HostResult<Ca> load_ca(const CaFiles& f);
// Public key of the license key from a PEM private key or PEM public key file.
HStatus load_license_public(const std::string& path, crypto::P256PublicKey* out);

struct EnrollOptions {
  std::string link;  // tcp:HOST:PORT
  std::string site;
  std::string host;
  std::string hwmodel;  // empty: take the board's
};

struct EnrollResult {
  Bytes ueid;
  std::string serial_hex;
  std::string hwmodel;
  Bytes devid_cert;
};

HostResult<EnrollResult> enroll(const EnrollOptions& opt, const Ca& ca,
                                const crypto::P256PublicKey& license_pub, registry::Registry* reg,
                                audit::AuditLog* log);

// Batch file: one board per line, '#' comments and blank lines ignored:
//   LINK  SITE  HOST  [HWMODEL]      (LINK: tcp:HOST:PORT or unix:PATH)
// (whitespace separated, or comma separated CSV with the same columns; a header line
// starting with "link" is skipped).
HostResult<std::vector<EnrollOptions>> parse_batch(const std::string& text,
                                                   const std::string& source);

struct ExportSummary {
  size_t certs = 0, evidence = 0, licenses = 0, decisions = 0, bundles = 0;
};
// Writes OUT/ca.pem (when given), OUT/devices/<ueid>/devid.pem, OUT/decisions/<id>.json,
// OUT/evidence/<id>.cose, OUT/licenses/<id>.cose, OUT/devices.json, OUT/audit.jsonl (when given),
// and OUT/bundles/<id>/ (manifest.json + files, docs/audit.md) for every decision with an
// evidence bundle.
HostResult<ExportSummary> export_artifacts(const std::string& out_dir, registry::Registry* reg,
                                           const std::string& ca_cert_path,
                                           const std::string& audit_log_path, bool force);

}  // namespace locus::provision
