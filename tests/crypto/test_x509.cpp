// Unit tests of locus/crypto/x509.h (board side) and x509_host.h (host side).
#include "locus/crypto/x509.h"
#include "locus/crypto/x509_host.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

ByteSpan str(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), strlen(s));
}

struct Party {
  P256PrivateKey priv;
  P256PublicKey pub;
};

Party make_party(const char* label) {
  static const uint8_t seed[32] = {0x42, 1, 2, 3};
  Party p;
  ASSERT_OK(p256_derive_key(seed, str(label), &p.priv));
  ASSERT_OK(p256_public_key(p.priv, &p.pub));
  return p;
}

Bytes issue(const Party& subject, const Party& issuer, const char* subj, const char* iss, bool ca,
            const TcbInfo* tcb = nullptr, uint8_t serial = 1) {
  CertSpec spec;
  spec.subject = subj;
  spec.issuer = iss;
  const uint8_t ser[1] = {serial};
  spec.serial = ByteSpan(ser, 1);
  spec.is_ca = ca;
  spec.tcb_info = tcb;
  Bytes out(1024);
  size_t len = 0;
  ASSERT_OK(x509_issue(spec, subject.pub, issuer.priv, MutByteSpan(out.data(), out.size()), &len));
  out.resize(len);
  return out;
}

struct Chain {
  Party root = make_party("root"), dev = make_party("devid"), alias = make_party("alias");
  TcbInfo tcb;
  Bytes root_der, dev_der, alias_der;
  Chain() {
    for (size_t i = 0; i < 32; ++i) tcb.fwid[i] = static_cast<uint8_t>(0xA0 + i);
    tcb.svn = 0x80;  // needs a 0x00 pad byte in DER
    root_der = issue(root, root, "CN=locus test root,O=locus", "CN=locus test root,O=locus", true);
    dev_der = issue(dev, root, "CN=locus DeviceID,O=locus", "CN=locus test root,O=locus", true,
                    nullptr, 2);
    alias_der =
        issue(alias, dev, "CN=locus Alias,O=locus", "CN=locus DeviceID,O=locus", false, &tcb, 3);
  }
};

// An Alias certificate carrying TcbInfo is issued; reading TcbInfo back yields the same FWID
// and SVN, and the host parser sees subject, issuer, serial, key and CA flag as issued.
void issue_and_read_tcb_info(void**) {
  Chain c;
  TcbInfo back;
  ASSERT_OK(x509_read_tcb_info(ByteSpan(c.alias_der.data(), c.alias_der.size()), &back));
  assert_bytes_equal(back.fwid, c.tcb.fwid);
  assert_int_equal(back.svn, 0x80);
  for (uint32_t svn : {0u, 1u, 0x7Fu, 0xFFFFu, 0x80000000u, 0xFFFFFFFFu}) {
    TcbInfo t = c.tcb;
    t.svn = svn;
    Bytes der = issue(c.alias, c.dev, "CN=a", "CN=locus DeviceID,O=locus", false, &t);
    TcbInfo r;
    ASSERT_OK(x509_read_tcb_info(ByteSpan(der.data(), der.size()), &r));
    assert_int_equal(r.svn, svn);
  }
  Certificate cert;
  ASSERT_OK(cert.parse(ByteSpan(c.alias_der.data(), c.alias_der.size())));
  assert_string_equal(cert.subject().c_str(), "CN=locus Alias, O=locus");
  assert_string_equal(cert.issuer().c_str(), "CN=locus DeviceID, O=locus");
  assert_int_equal(cert.serial().size(), 1);
  assert_int_equal(cert.serial()[0], 3);
  assert_false(cert.is_ca());
  P256PublicKey pk;
  ASSERT_OK(cert.public_key(&pk));
  assert_bytes_equal(pk.q, c.alias.pub.q);
  std::array<uint8_t, kKeyIdSize> kid{};
  ASSERT_OK(x509_key_id(c.alias.pub, &kid));
  assert_bytes_equal(cert.subject_key_id(), kid);
  ASSERT_OK(cert.tcb_info(&back));
  Certificate dev;
  ASSERT_OK(dev.parse(ByteSpan(c.dev_der.data(), c.dev_der.size())));
  assert_true(dev.is_ca());
}

// A certificate without TcbInfo reports kNoTcbInfo; garbage reports kMalformed.
void read_tcb_info_absent_or_garbage(void**) {
  Chain c;
  TcbInfo t;
  ASSERT_ERR(x509_read_tcb_info(ByteSpan(c.dev_der.data(), c.dev_der.size()), &t),
             X509Error::kNoTcbInfo);
  const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
  ASSERT_ERR(x509_read_tcb_info(junk, &t), X509Error::kMalformed);
  ASSERT_ERR(x509_read_tcb_info(ByteSpan(), &t), X509Error::kMalformed);
  // Every truncation of a valid certificate is rejected without reading out of bounds.
  for (size_t n = 0; n < c.alias_der.size(); ++n) {
    assert_false(x509_read_tcb_info(ByteSpan(c.alias_der.data(), n), &t).ok());
  }
}

// Replaces the TcbInfo value inside a DER certificate (same length) to test the decoder.
Bytes with_tcb_value(const Bytes& cert, const Bytes& value) {
  static const uint8_t oid[] = {0x06, 0x06, 0x67, 0x81, 0x05, 0x05, 0x04, 0x01, 0x04};
  Bytes out = cert;
  for (size_t i = 0; i + sizeof(oid) < out.size(); ++i) {
    if (memcmp(out.data() + i, oid, sizeof(oid)) == 0) {
      const size_t len = out[i + sizeof(oid)];
      assert_int_equal(len, value.size());
      memcpy(out.data() + i + sizeof(oid) + 1, value.data(), value.size());
      return out;
    }
  }
  fail_msg("TcbInfo not found");
  return out;
}

// Malformed TcbInfo values are rejected with kBadTcbInfo: fields out of order, a negative SVN,
// a non-SHA-256 FWID only, a 31-byte digest, a missing SVN.
void read_tcb_info_malformed(void**) {
  Chain c;
  TcbInfo t;
  const Bytes good = with_tcb_value(
      c.alias_der, hex("3035830200"
                       "80"
                       "a62f302d0609608648016503040201"
                       "0420"
                       "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"));
  ASSERT_OK(x509_read_tcb_info(ByteSpan(good.data(), good.size()), &t));
  assert_int_equal(t.svn, 0x80);
  const char* bad[] = {
      // [6] before [3]
      "3035a62f302d06096086480165030402010420a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9ba"
      "bbbcbdbebf8302008"
      "0",
      // negative SVN (0x8000)
      "303583028000"
      "a62f302d06096086480165030402010420a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbc"
      "bdbebf",
      // hash OID is sha384 (…0402 02), so no SHA-256 FWID
      "3035830200"
      "80"
      "a62f302d0609608648016503040202"
      "0420a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
      // svn tag replaced by [4] (layer): no SVN
      "3035840200"
      "80"
      "a62f302d0609608648016503040201"
      "0420a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
      // digest 31 bytes + a trailing byte inside the FWID
      "3035830200"
      "80"
      "a62f302d0609608648016503040201"
      "041fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe"
      "05",
      // non-minimal SVN (0x00 0x01)
      "3035830200"
      "01"
      "a62f302d0609608648016503040201"
      "0420a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
  };
  for (const char* h : bad) {
    Bytes cert = with_tcb_value(c.alias_der, hex(h));
    ASSERT_ERR(x509_read_tcb_info(ByteSpan(cert.data(), cert.size()), &t), X509Error::kBadTcbInfo);
  }
}

// The whole chain root -> DeviceID -> Alias verifies against the root, in DER and PEM.
void chain_verifies(void**) {
  Chain c;
  uint32_t flags = 1;
  ASSERT_OK(
      x509_verify_chain({c.alias_der, c.dev_der}, {c.root_der}, ChainProfile::kLocusP256, &flags));
  assert_int_equal(flags, 0);
  std::string pem;
  ASSERT_OK(der_to_pem(ByteSpan(c.alias_der.data(), c.alias_der.size()), "CERTIFICATE", &pem));
  Bytes pem_bytes(pem.begin(), pem.end());
  ASSERT_OK(x509_verify_chain({pem_bytes, c.dev_der}, {c.root_der}, ChainProfile::kTpmEk));
  Bytes der;
  ASSERT_OK(pem_to_der(pem, "CERTIFICATE", &der));
  assert_bytes_equal(der, c.alias_der);
}

// A chain is rejected when the root is not the one that signed it, when a certificate was
// tampered with (one bit of the TcbInfo FWID flipped), when the intermediate is missing, and
// when the intermediate is not a CA.
void chain_rejects_bad(void**) {
  Chain c;
  Party other = make_party("other root");
  Bytes other_root =
      issue(other, other, "CN=locus test root,O=locus", "CN=locus test root,O=locus", true);
  uint32_t flags = 0;
  ASSERT_ERR(
      x509_verify_chain({c.alias_der, c.dev_der}, {other_root}, ChainProfile::kLocusP256, &flags),
      X509Error::kChainInvalid);
  assert_int_not_equal(flags, 0);

  Bytes tampered = c.alias_der;
  const size_t pos = c.alias_der.size() - 100;  // inside the TBS (the signature is ~72 bytes)
  tampered[pos] ^= 0x01;
  assert_false(
      x509_verify_chain({tampered, c.dev_der}, {c.root_der}, ChainProfile::kLocusP256).ok());

  ASSERT_ERR(x509_verify_chain({c.alias_der}, {c.root_der}, ChainProfile::kLocusP256),
             X509Error::kChainInvalid);

  Bytes dev_not_ca =
      issue(c.dev, c.root, "CN=locus DeviceID,O=locus", "CN=locus test root,O=locus", false);
  ASSERT_ERR(x509_verify_chain({c.alias_der, dev_not_ca}, {c.root_der}, ChainProfile::kLocusP256),
             X509Error::kChainInvalid);
  const uint8_t junk[3] = {1, 2, 3};
  assert_false(
      x509_verify_chain({Bytes(junk, junk + 3)}, {c.root_der}, ChainProfile::kLocusP256).ok());
}

// A CSR written on the board parses on the host; its key and subject match and the
// self-signature verifies. A CSR with a flipped bit in its body or signature is rejected.
void csr_round_trip(void**) {
  Party dev = make_party("devid");
  uint8_t buf[512];
  size_t len = 0;
  ASSERT_OK(x509_write_csr(dev.priv, "CN=locus DeviceID,O=locus,serialNumber=0123", buf, &len));
  CsrInfo info;
  ASSERT_OK(x509_parse_csr(ByteSpan(buf, len), &info));
  assert_bytes_equal(info.public_key.q, dev.pub.q);
  assert_string_equal(info.subject.c_str(), "CN=locus DeviceID, O=locus, serialNumber=0123");
  std::string pem;
  ASSERT_OK(der_to_pem(ByteSpan(buf, len), "CERTIFICATE REQUEST", &pem));
  ASSERT_OK(x509_parse_csr(str(pem.c_str()), &info));

  // Flip a bit of the subject's CN value (inside the signed body).
  Bytes body(buf, buf + len);
  const char* needle = "DeviceID";
  for (size_t i = 0; i + 8 < body.size(); ++i) {
    if (memcmp(body.data() + i, needle, 8) == 0) {
      body[i] ^= 0x20;
      break;
    }
  }
  ASSERT_ERR(x509_parse_csr(ByteSpan(body.data(), body.size()), &info),
             X509Error::kBadCsrSignature);
  Bytes sigflip(buf, buf + len);
  sigflip[len - 5] ^= 0x01;  // inside s
  ASSERT_ERR(x509_parse_csr(ByteSpan(sigflip.data(), sigflip.size()), &info),
             X509Error::kBadCsrSignature);
}

// One link checked without path validation (the verifier's root -> DeviceID -> Alias): each
// certificate verifies against its issuer's key and subject; the wrong key, the wrong issuer
// name, a changed TBS byte and an invalid issuer point are each refused with their own error.
// The raw parts (subject/issuer Name DER, TBS, r||s) are the certificate's own bytes.
void signed_by_checks_one_link(void**) {
  Chain c;
  Certificate root, dev, alias;
  ASSERT_OK(root.parse(ByteSpan(c.root_der.data(), c.root_der.size())));
  ASSERT_OK(dev.parse(ByteSpan(c.dev_der.data(), c.dev_der.size())));
  ASSERT_OK(alias.parse(ByteSpan(c.alias_der.data(), c.alias_der.size())));
  ASSERT_OK(x509_verify_signed_by(alias, c.dev.pub, dev.subject_raw()));
  ASSERT_OK(x509_verify_signed_by(dev, c.root.pub, root.subject_raw()));
  ASSERT_OK(x509_verify_signed_by(root, c.root.pub, root.subject_raw()));  // self-signed
  // The parts are views into the DER: TBS is the DER's first element, and its signature over
  // TBS verifies directly with p256.h.
  assert_true(alias.tbs().data > alias.der().data && alias.tbs().data < alias.der().data + 8);
  P256Signature sig;
  ASSERT_OK(alias.signature(&sig));
  ASSERT_OK(ecdsa_verify(c.dev.pub, alias.tbs(), sig));
  assert_int_equal(alias.issuer_raw().size, dev.subject_raw().size);
  assert_memory_equal(alias.issuer_raw().data, dev.subject_raw().data, dev.subject_raw().size);

  ASSERT_ERR(x509_verify_signed_by(alias, c.root.pub, dev.subject_raw()),
             X509Error::kBadCertSignature);
  ASSERT_ERR(x509_verify_signed_by(alias, c.dev.pub, root.subject_raw()),
             X509Error::kIssuerMismatch);
  ASSERT_ERR(x509_verify_signed_by(alias, c.dev.pub, ByteSpan()), X509Error::kIssuerMismatch);
  P256PublicKey off = c.dev.pub;
  off.q[64] ^= 1;
  ASSERT_ERR(x509_verify_signed_by(alias, off, dev.subject_raw()), X509Error::kWrongKeyType);
  // A changed byte inside the TBS (the serial) keeps the certificate parsable but breaks the
  // signature: same parts through x509_verify_tbs.
  Bytes tbs(alias.tbs().begin(), alias.tbs().end());
  tbs[tbs.size() / 2] ^= 0x01;
  ASSERT_ERR(x509_verify_tbs(alias.issuer_raw(), ByteSpan(tbs.data(), tbs.size()), sig, c.dev.pub,
                             dev.subject_raw()),
             X509Error::kBadCertSignature);
  ASSERT_OK(x509_verify_tbs(alias.issuer_raw(), alias.tbs(), sig, c.dev.pub, dev.subject_raw()));
  Certificate empty;
  ASSERT_ERR(x509_verify_signed_by(empty, c.dev.pub, dev.subject_raw()), X509Error::kMalformed);
  ASSERT_ERR(empty.signature(&sig), X509Error::kMalformed);
}

// x509_parse_csr_signature reports a broken self-signature separately: the CSR still parses
// (key and subject available) and *signature is kBadCsrSignature; a good one gives OK.
void csr_signature_reported_separately(void**) {
  Party dev = make_party("devid");
  uint8_t buf[512];
  size_t len = 0;
  ASSERT_OK(x509_write_csr(dev.priv, "CN=locus DeviceID,O=locus", buf, &len));
  CsrInfo info;
  Status sig = Status();
  ASSERT_OK(x509_parse_csr_signature(ByteSpan(buf, len), &info, &sig));
  ASSERT_OK(sig);
  Bytes flipped(buf, buf + len);
  flipped[len - 5] ^= 0x01;
  ASSERT_OK(x509_parse_csr_signature(ByteSpan(flipped.data(), flipped.size()), &info, &sig));
  ASSERT_ERR(sig, X509Error::kBadCsrSignature);
  assert_bytes_equal(info.public_key.q, dev.pub.q);
  assert_false(x509_parse_csr_signature(ByteSpan(buf, len - 1), &info, &sig).ok());
  ASSERT_ERR(sig, X509Error::kBadCsrSignature);  // fail closed on a parse error too
}

// Bad issuance arguments: missing subject, zero or oversized serial, malformed time,
// not_before after not_after, too-small output buffer.
void issue_rejects_bad_spec(void**) {
  Party a = make_party("a");
  uint8_t out[1024];
  size_t len = 0;
  const uint8_t ser[1] = {1};
  CertSpec s;
  s.subject = "CN=a";
  s.issuer = "CN=a";
  s.serial = ByteSpan(ser, 1);
  ASSERT_OK(x509_issue(s, a.pub, a.priv, out, &len));
  CertSpec t = s;
  t.subject = nullptr;
  ASSERT_ERR(x509_issue(t, a.pub, a.priv, out, &len), X509Error::kBadSubject);
  t = s;
  t.subject = "XX=bogus";
  ASSERT_ERR(x509_issue(t, a.pub, a.priv, out, &len), X509Error::kBadSubject);
  t = s;
  const uint8_t zero[1] = {0};
  t.serial = ByteSpan(zero, 1);
  ASSERT_ERR(x509_issue(t, a.pub, a.priv, out, &len), CoreError::kInvalidArgument);
  t = s;
  t.not_before = "2025010100000";
  ASSERT_ERR(x509_issue(t, a.pub, a.priv, out, &len), X509Error::kBadValidity);
  t = s;
  t.not_before = "20300101000000";
  t.not_after = "20290101000000";
  ASSERT_ERR(x509_issue(t, a.pub, a.priv, out, &len), X509Error::kBadValidity);
  ASSERT_ERR(x509_issue(s, a.pub, a.priv, MutByteSpan(out, 100), &len), X509Error::kOutputTooSmall);
  P256PublicKey off = a.pub;
  off.q[10] ^= 1;
  ASSERT_ERR(x509_issue(s, off, a.priv, out, &len), X509Error::kWrongKeyType);
  ASSERT_ERR(x509_write_csr(a.priv, "CN=a", MutByteSpan(out, 50), &len),
             X509Error::kOutputTooSmall);
}

// Issuing is deterministic: the same inputs give the same certificate bytes (RFC 6979).
void issue_is_deterministic(void**) {
  Chain a, b;
  assert_bytes_equal(a.alias_der, b.alias_der);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(issue_and_read_tcb_info),
      cmocka_unit_test(read_tcb_info_absent_or_garbage),
      cmocka_unit_test(read_tcb_info_malformed),
      cmocka_unit_test(chain_verifies),
      cmocka_unit_test(chain_rejects_bad),
      cmocka_unit_test(csr_round_trip),
      cmocka_unit_test(signed_by_checks_one_link),
      cmocka_unit_test(csr_signature_reported_separately),
      cmocka_unit_test(issue_rejects_bad_spec),
      cmocka_unit_test(issue_is_deterministic),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
