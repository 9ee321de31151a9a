// Interop of locus's crypto/X.509 with OpenSSL (the `openssl` command line tool):
// OpenSSL must accept what we produce, and we must accept what OpenSSL produces.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "locus/crypto/x509.h"
#include "locus/crypto/x509_host.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

std::string g_dir;

std::string path(const char* name) {
  return g_dir + "/" + name;
}

void write_file(const std::string& p, const void* data, size_t n) {
  FILE* f = fopen(p.c_str(), "wb");
  if (f == nullptr) fail_msg("cannot write %s", p.c_str());
  if (fwrite(data, 1, n, f) != n) fail_msg("short write %s", p.c_str());
  fclose(f);
}
void write_file(const std::string& p, const std::string& s) {
  write_file(p, s.data(), s.size());
}

Bytes read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) fail_msg("cannot read %s", p.c_str());
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Runs a shell command; returns its exit status and stdout+stderr.
int run(const std::string& cmd, std::string* output = nullptr) {
  const std::string full = "cd '" + g_dir + "' && " + cmd + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr) fail_msg("popen failed");
  std::string out;
  char buf[512];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  if (output != nullptr) *output = out;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void write_pem(const char* name, const Bytes& der, const char* label) {
  std::string pem;
  ASSERT_OK(der_to_pem(ByteSpan(der.data(), der.size()), label, &pem));
  write_file(path(name), pem);
}

struct Party {
  P256PrivateKey priv;
  P256PublicKey pub;
};
Party make_party(const char* label) {
  static const uint8_t seed[32] = {0x17, 0x29};
  Party p;
  ASSERT_OK(p256_derive_key(seed, ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)),
                            &p.priv));
  ASSERT_OK(p256_public_key(p.priv, &p.pub));
  return p;
}

Bytes issue(const Party& subject, const P256PrivateKey& issuer_key, const char* subj,
            const char* iss, bool ca, const TcbInfo* tcb, uint8_t serial,
            ByteSpan aki = ByteSpan()) {
  CertSpec spec;
  spec.subject = subj;
  spec.issuer = iss;
  const uint8_t ser[2] = {0x7f, serial};
  spec.serial = ByteSpan(ser, 2);
  spec.is_ca = ca;
  spec.max_path_len = ca ? 1 : -1;
  spec.tcb_info = tcb;
  spec.authority_key_id = aki;
  Bytes out(1024);
  size_t len = 0;
  ASSERT_OK(x509_issue(spec, subject.pub, issuer_key, MutByteSpan(out.data(), out.size()), &len));
  out.resize(len);
  return out;
}

// SubjectPublicKeyInfo DER for a P-256 point (id-ecPublicKey, prime256v1).
Bytes spki(const P256PublicKey& pub) {
  Bytes der = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
  der.insert(der.end(), pub.q.begin(), pub.q.end());
  return der;
}

int setup(void**) {
  char tmpl[] = "/tmp/locus-crypto-interop-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return -1;
  g_dir = tmpl;
  return 0;
}
int teardown(void**) {
  if (!g_dir.empty() && g_dir.rfind("/tmp/locus-crypto-interop-", 0) == 0) {
    if (system(("rm -rf '" + g_dir + "'").c_str()) != 0) return -1;
  }
  return 0;
}

// openssl verifies our chain root CA -> DeviceID -> Alias (with TcbInfo), and rejects it
// against a different root; `openssl x509 -text` shows the TcbInfo OID and our encoding.
void openssl_verifies_our_chain(void**) {
  Party root = make_party("root"), dev = make_party("devid"), alias = make_party("alias"),
        other = make_party("other");
  TcbInfo tcb;
  for (size_t i = 0; i < 32; ++i) tcb.fwid[i] = static_cast<uint8_t>(i);
  tcb.svn = 7;
  write_pem(
      "root.pem",
      issue(root, root.priv, "CN=locus root,O=locus", "CN=locus root,O=locus", true, nullptr, 1),
      "CERTIFICATE");
  write_pem(
      "devid.pem",
      issue(dev, root.priv, "CN=locus DeviceID,O=locus", "CN=locus root,O=locus", true, nullptr, 2),
      "CERTIFICATE");
  write_pem(
      "alias.pem",
      issue(alias, dev.priv, "CN=locus Alias,O=locus", "CN=locus DeviceID,O=locus", false, &tcb, 3),
      "CERTIFICATE");
  write_pem(
      "other.pem",
      issue(other, other.priv, "CN=locus root,O=locus", "CN=locus root,O=locus", true, nullptr, 1),
      "CERTIFICATE");
  std::string out;
  int rc = run("openssl verify -CAfile root.pem -untrusted devid.pem alias.pem", &out);
  if (rc != 0) fail_msg("openssl verify failed: %s", out.c_str());
  assert_non_null(strstr(out.c_str(), "alias.pem: OK"));
  rc = run("openssl verify -CAfile other.pem -untrusted devid.pem alias.pem", &out);
  assert_int_not_equal(rc, 0);

  rc = run("openssl x509 -in alias.pem -noout -text", &out);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out.c_str(), "2.23.133.5.4.1"));
  // The extension's DER as openssl sees it: DiceTcbInfo { [3] 7, [6] { { sha256, fwid } } }.
  rc = run("openssl asn1parse -in alias.pem | grep -A1 ':2.23.133.5.4.1'", &out);
  assert_int_equal(rc, 0);
  assert_non_null(
      strstr(out.c_str(), "[HEX DUMP]:3034830107A62F302D06096086480165030402010420000102030405"));
}

// openssl verifies our CSR's self-signature and reads its subject.
void openssl_verifies_our_csr(void**) {
  Party dev = make_party("devid");
  uint8_t buf[512];
  size_t len = 0;
  ASSERT_OK(x509_write_csr(dev.priv, "CN=locus DeviceID,O=locus", buf, &len));
  write_pem("csr.pem", Bytes(buf, buf + len), "CERTIFICATE REQUEST");
  std::string out;
  const int rc = run("openssl req -in csr.pem -verify -noout -subject", &out);
  if (rc != 0) fail_msg("openssl req -verify failed: %s", out.c_str());
  assert_non_null(strstr(out.c_str(), "verify OK"));
  assert_non_null(strstr(out.c_str(), "CN = locus DeviceID"));
}

// openssl verifies an ECDSA signature we made (DER-encoded) over a message with our public
// key, and rejects it over a changed message.
void openssl_verifies_our_signature(void**) {
  Party k = make_party("signer");
  const std::string msg = "locus interop message";
  write_file(path("msg.bin"), msg);
  write_file(path("msg2.bin"), msg + "!");
  P256Signature sig;
  ASSERT_OK(
      ecdsa_sign(k.priv, ByteSpan(reinterpret_cast<const uint8_t*>(msg.data()), msg.size()), &sig));
  uint8_t der[kP256SigDerMax];
  size_t len = 0;
  ASSERT_OK(signature_to_der(sig, der, &len));
  write_file(path("sig.der"), der, len);
  write_pem("pub.pem", spki(k.pub), "PUBLIC KEY");
  std::string out;
  int rc = run("openssl dgst -sha256 -verify pub.pem -signature sig.der msg.bin", &out);
  if (rc != 0) fail_msg("openssl dgst -verify failed: %s", out.c_str());
  assert_non_null(strstr(out.c_str(), "Verified OK"));
  rc = run("openssl dgst -sha256 -verify pub.pem -signature sig.der msg2.bin", &out);
  assert_int_not_equal(rc, 0);
}

// We verify a signature openssl made with a fresh key, and reject it over a changed message.
void we_verify_openssl_signature(void**) {
  std::string out;
  const std::string msg = "signed by openssl";
  write_file(path("omsg.bin"), msg);
  int rc =
      run("openssl ecparam -name prime256v1 -genkey -noout -out ok.pem && "
          "openssl ec -in ok.pem -pubout -outform DER -out opub.der && "
          "openssl dgst -sha256 -sign ok.pem -out osig.der omsg.bin",
          &out);
  if (rc != 0) fail_msg("openssl signing failed: %s", out.c_str());
  const Bytes pub_der = read_file(path("opub.der"));
  const Bytes sig_der = read_file(path("osig.der"));
  assert_int_equal(pub_der.size(), 91);
  P256PublicKey pub;
  memcpy(pub.q.data(), pub_der.data() + 26, 65);
  ASSERT_OK(p256_check_public(pub));
  P256Signature sig;
  ASSERT_OK(signature_from_der(ByteSpan(sig_der.data(), sig_der.size()), &sig));
  ASSERT_OK(
      ecdsa_verify(pub, ByteSpan(reinterpret_cast<const uint8_t*>(msg.data()), msg.size()), sig));
  const std::string msg2 = msg + ".";
  ASSERT_ERR(
      ecdsa_verify(pub, ByteSpan(reinterpret_cast<const uint8_t*>(msg2.data()), msg2.size()), sig),
      CryptoError::kBadSignature);
}

// An openssl-made CA (SHA-1 key identifiers) issues nothing itself; we issue a DeviceID cert
// under it, passing the CA's real SKI as authorityKeyIdentifier. Both openssl and our chain
// check accept the result; our parser reads openssl's CSR and verifies its signature.
void mixed_chain_with_openssl_root(void**) {
  std::string out;
  int rc =
      run("openssl ecparam -name prime256v1 -genkey -noout -out ca.key && "
          "openssl pkcs8 -topk8 -nocrypt -in ca.key -outform DER -out ca.p8 && "
          "openssl req -new -x509 -key ca.key -subj '/CN=openssl root/O=locus' -days 30 "
          "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
          "-out ca.pem && "
          "openssl req -new -key ca.key -subj '/CN=openssl csr' -out ocsr.pem",
          &out);
  if (rc != 0) fail_msg("openssl CA setup failed: %s", out.c_str());
  const Bytes ca_pem = read_file(path("ca.pem"));
  Certificate ca;
  ASSERT_OK(ca.parse(ByteSpan(ca_pem.data(), ca_pem.size())));
  assert_true(ca.is_ca());
  const Bytes ski = ca.subject_key_id();
  assert_int_equal(ski.size(), 20);
  // The CA's private scalar: PKCS#8 DER of a P-256 key ends with the ECPrivateKey; find the
  // 32-byte OCTET STRING (04 20) that follows "02 01 01".
  const Bytes p8 = read_file(path("ca.p8"));
  P256PrivateKey ca_key;
  bool found = false;
  for (size_t i = 0; i + 5 + 32 <= p8.size(); ++i) {
    if (p8[i] == 0x02 && p8[i + 1] == 0x01 && p8[i + 2] == 0x01 && p8[i + 3] == 0x04 &&
        p8[i + 4] == 0x20) {
      memcpy(ca_key.d.data(), p8.data() + i + 5, 32);
      found = true;
      break;
    }
  }
  assert_true(found);
  Party dev = make_party("devid");
  const std::string issuer = ca.subject();  // "CN=openssl root, O=locus"
  const Bytes dev_der = issue(dev, ca_key, "CN=locus DeviceID,O=locus", issuer.c_str(), true,
                              nullptr, 9, ByteSpan(ski.data(), ski.size()));
  write_pem("dev2.pem", dev_der, "CERTIFICATE");
  rc = run("openssl verify -CAfile ca.pem dev2.pem", &out);
  if (rc != 0) fail_msg("openssl verify of mixed chain failed: %s", out.c_str());
  ASSERT_OK(x509_verify_chain({dev_der}, {ca_pem}, ChainProfile::kLocusP256));

  const Bytes ocsr = read_file(path("ocsr.pem"));
  CsrInfo info;
  ASSERT_OK(x509_parse_csr(ByteSpan(ocsr.data(), ocsr.size()), &info));
  assert_string_equal(info.subject.c_str(), "CN=openssl csr");
}

}  // namespace

int main() {
  if (system("openssl version > /dev/null 2>&1") != 0) {
    fprintf(stderr, "openssl command not found\n");
    return 1;  // a missing tool is a failure, not a skip: the interop claim would be untested
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(openssl_verifies_our_chain),
      cmocka_unit_test(openssl_verifies_our_csr),
      cmocka_unit_test(openssl_verifies_our_signature),
      cmocka_unit_test(we_verify_openssl_signature),
      cmocka_unit_test(mixed_chain_with_openssl_root),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
