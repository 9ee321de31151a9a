// locus/crypto/x509.h: certificates and CSRs through mbed TLS.
//
// Available on the board and the host: creating a CSR, issuing a certificate (with the
// TCG DICE TcbInfo extension, OID 2.23.133.5.4.1) and reading TcbInfo back from DER.
// Host only (x509_host.h): parsing, chain verification, CSR parsing.
#pragma once

#include "locus/crypto/p256.h"
#include "locus/status.h"

namespace locus::crypto {

enum class X509Error : uint8_t {
  kBackend = 1,  // mbed TLS error not mapped below
  kOutputTooSmall = 2,
  kBadSubject = 3,  // subject/issuer name mbed TLS could not parse
  kBadValidity = 4,
  kMalformed = 5,     // DER could not be parsed
  kNoTcbInfo = 6,     // the certificate carries no TcbInfo extension
  kBadTcbInfo = 7,    // TcbInfo present but malformed or with an unsupported hash
  kChainInvalid = 8,  // chain verification failed
  kNotCa = 9,
  kWrongKeyType = 10,  // not an EC P-256 key
  kBadCsrSignature = 11,
  kWrongSignatureAlgorithm = 12,  // signed with something other than ecdsa-with-SHA256
  kIssuerMismatch = 13,           // the issuer name is not the expected issuer's subject
  kBadCertSignature = 14,         // the certificate's signature does not verify
};
const char* to_string(X509Error e);

// TCG DICE TcbInfo (DICE Attestation Architecture): we carry one FWID (SHA-256) and the SVN.
struct TcbInfo {
  std::array<uint8_t, 32> fwid{};
  uint32_t svn = 0;
};

struct CertSpec {
  const char* subject = nullptr;  // e.g. "CN=locus Alias,O=locus,serialNumber=<ueid hex>"
  const char* issuer = nullptr;   // the issuer's subject name
  ByteSpan serial;                // 1..20 bytes, big-endian, positive
  const char* not_before = "20250101000000";  // YYYYMMDDhhmmss (UTC)
  const char* not_after = "99991231235959";   // RFC 5280 "no well-defined expiration"
  bool is_ca = false;
  int max_path_len = -1;              // -1: unlimited (only with is_ca)
  const TcbInfo* tcb_info = nullptr;  // optional TcbInfo extension
  // authorityKeyIdentifier keyIdentifier. Empty: derived from the issuer's public key the way
  // locus derives every subjectKeyIdentifier (first 20 bytes of SHA-256 over the 65-byte
  // point, RFC 7093 method 1). Set it to the issuer certificate's actual SKI when the issuer
  // was not made by locus (e.g. a CA created with openssl, which uses SHA-1).
  ByteSpan authority_key_id;
};

// The subjectKeyIdentifier locus writes for a P-256 key: SHA-256(0x04||X||Y)[0..20).
constexpr size_t kKeyIdSize = 20;
Status x509_key_id(const P256PublicKey& key, std::array<uint8_t, kKeyIdSize>* out);

// Certificates: serial 1..20 bytes, first byte non-zero (minimal), and < 0x80 when 20 bytes
// long (so the DER INTEGER stays within RFC 5280's 20 octets). Times are 14 digits.
// Extensions written: basicConstraints (critical when cA), keyUsage (critical; CA:
// keyCertSign|cRLSign, otherwise digitalSignature), subjectKeyIdentifier, authorityKeyIdentifier,
// and TcbInfo (non-critical, so that generic verifiers such as openssl accept the chain).

// DER CSR for `key` with `subject`, signed by `key`.
Status x509_write_csr(const P256PrivateKey& key, const char* subject, MutByteSpan out,
                      size_t* out_len);
// DER certificate for subject_key, signed by issuer_key (ECDSA-SHA256).
Status x509_issue(const CertSpec& spec, const P256PublicKey& subject_key,
                  const P256PrivateKey& issuer_key, MutByteSpan out, size_t* out_len);
// Reads the TcbInfo extension of a DER certificate (a bounded walk, no heap).
Status x509_read_tcb_info(ByteSpan cert_der, TcbInfo* out);

}  // namespace locus::crypto

namespace locus {
template <>
struct ErrorModule<crypto::X509Error> {
  static constexpr Module value = Module::kX509;
};
}  // namespace locus
