// Host binding against two software TPMs (swtpm), each with its own local EK CA:
// enrollment (EK certificate, credential activation, golden PCRs), quotes appraised by the
// verifier code, interop with tpm2_checkquote, and every refusal with its specific reason.
// The tests run in the listed order and share the two TPMs (group setup).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "locus/provision/enroll_host.h"
#include "locus/tpm/enroll.h"
#include "locus/tpm/esapi.h"
#include "locus/tpm/registry.h"
#include "locus/tpm/verify.h"
#include "locus_test/hex.h"
#include "swtpm_harness.h"

// cmocka last: its fail() macro clashes with <ios>.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
// clang-format off
#include "locus_test/cmocka.h"
// clang-format on

using namespace locus;
using namespace locus::tpm;

namespace {

const char* kBoard = "01aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899";
const std::vector<uint32_t> kPcrs = {0, 1, 7};

struct World {
  test::Swtpm swtpm_a, swtpm_b;
  Tpm tpm_a, tpm_b;
  TpmRegistry reg;
  std::string tmp;
  std::string ak_a_path, ak_b_path, ak_a2_path;
  QuoteBundle last_accepted;
  std::vector<uint8_t> last_nonce;
};
World* g = nullptr;

const uint8_t kEvidence[] = {0xd2, 0x84, 0x43, 0xa1, 0x01,
                             0x26, 0xa0, 0x41, 0x00, 0x40};  // stand-in COSE bytes

std::vector<uint8_t> nonce_of(uint8_t seed) {
  std::vector<uint8_t> n(32);
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(seed + i * 7);
  return n;
}

bool has_reason(const QuoteVerdict& v, QuoteCheck c) {
  for (const auto& r : v.reasons) {
    if (r.check == c) return true;
  }
  return false;
}

void print_reasons(const QuoteVerdict& v) {
  for (const auto& r : v.reasons)
    std::fprintf(stderr, "  reason %s: %s\n", to_string(r.check), r.text.c_str());
}

void write_bin(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

int group_setup(void**) {
  g = new World;
  char tmpl[] = "/tmp/locus-tpmtest.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return -1;
  g->tmp = tmpl;
  g->ak_a_path = g->tmp + "/ak-a.blob";
  g->ak_b_path = g->tmp + "/ak-b.blob";
  g->ak_a2_path = g->tmp + "/ak-a2.blob";
  if (!g->swtpm_a.start() || !g->swtpm_b.start()) return -1;
  if (!g->tpm_a.open(g->swtpm_a.tcti()).ok() || !g->tpm_b.open(g->swtpm_b.tcti()).ok()) return -1;
  if (!g->reg.open(g->tmp + "/registry.db").ok()) return -1;
  return 0;
}

int group_teardown(void**) {
  if (g == nullptr) return 0;
  g->tpm_a.close();
  g->tpm_b.close();
  g->swtpm_a.stop();
  g->swtpm_b.stop();
  const char* rm[] = {"rm", "-rf", "--", g->tmp.c_str(), nullptr};
  (void)test::run_command(rm, "");
  delete g;
  g = nullptr;
  return 0;
}

// The harness puts swtpm's two ports below the kernel's ephemeral range: there no client
// connection of this or an earlier run holds a local port in TIME_WAIT (after a load run, a
// port next to a kernel-chosen one was almost never bindable and swtpm could not start).
void swtpm_ports_outside_ephemeral_range(void**) {
  int lo = 0, hi = 0;
  std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
  assert_true(static_cast<bool>(f >> lo >> hi));
  for (const test::Swtpm* t : {&g->swtpm_a, &g->swtpm_b}) {
    assert_true(t->port() >= 1024 && t->port() + 1 <= 65535);
    // Outside [lo, hi] whenever there is room for it (the default range leaves 10000..lo-1).
    if (lo - 2 - 10000 >= 1000 || 65534 - std::max(hi + 1, 1024) >= 1000)
      assert_true(t->port() + 1 < lo || t->port() > hi);
  }
  assert_int_not_equal(g->swtpm_a.port(), g->swtpm_b.port());
}

// The EK certificate swtpm_setup wrote to NV 0x01c00002 chains to host A's local CA and holds
// the EK public key the TPM re-creates from the default template: verification passes.
void ek_certificate_chains_to_manufacturer_ca(void**) {
  auto ek = g->tpm_a.ek();
  assert_true(ek.ok());
  assert_false(ek->cert_der.empty());
  assert_int_equal(ek->modulus.size(), 256);
  const auto s = verify_ek_certificate(ek->cert_der, g->swtpm_a.ca_file(), ek->modulus);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.message().c_str());
  assert_true(s.ok());
}

// Host A's EK certificate checked against host B's CA (a CA we do not trust for A): refused
// with kEkCertUntrusted and a reason that says so.
void ek_certificate_from_unknown_ca_refused(void**) {
  auto ek = g->tpm_a.ek();
  assert_true(ek.ok());
  const auto s = verify_ek_certificate(ek->cert_der, g->swtpm_b.ca_file(), ek->modulus);
  assert_true(s.code() == Status(TpmError::kEkCertUntrusted));
  assert_true(s.message().find("not issued by the given TPM manufacturer CA") != std::string::npos);
  // And enroll_host refuses the whole host for the same reason.
  auto ak = g->tpm_b.create_ak(g->ak_b_path);
  assert_true(ak.ok());
  provision::HostEnrollOptions o{"host-b", g->swtpm_a.ca_file(), kPcrs};
  auto rec = provision::enroll_host(g->tpm_b, o);
  assert_true(rec.code() == Status(TpmError::kEkCertUntrusted));
  assert_true(rec.message().find("not issued by the given TPM manufacturer CA") !=
              std::string::npos);
}

// The EK certificate of A with B's EK modulus: the key in the certificate is not this TPM's
// EK -> kEkMismatch.
void ek_certificate_of_another_tpm_refused(void**) {
  auto ek_a = g->tpm_a.ek();
  auto ek_b = g->tpm_b.ek();
  assert_true(ek_a.ok() && ek_b.ok());
  const auto s = verify_ek_certificate(ek_a->cert_der, g->swtpm_a.ca_file(), ek_b->modulus);
  assert_true(s.code() == Status(TpmError::kEkMismatch));
}

// Enroll host A (EK cert, MakeCredential/ActivateCredential, golden PCRs), bind the board to it,
// then a quote bound to a nonce and evidence is accepted; a second, later quote too.
void enroll_and_quote_accepted(void**) {
  auto ak = g->tpm_a.create_ak(g->ak_a_path);
  assert_true(ak.ok());
  provision::HostEnrollOptions o{"host-a", g->swtpm_a.ca_file(), kPcrs};
  auto rec = provision::enroll_host(g->tpm_a, o);
  if (!rec.ok()) std::fprintf(stderr, "enroll: %s\n", rec.message().c_str());
  assert_true(rec.ok());
  assert_true(g->reg.put_host(rec.value()).ok());
  assert_true(g->reg.bind_board(kBoard, "host-a").ok());
  auto host = g->reg.get_host("host-a");
  assert_true(host.ok());
  assert_true(host->ak_key == ak->public_key);

  for (uint8_t i = 1; i <= 2; ++i) {
    auto n = nonce_of(i);
    auto q = g->tpm_a.quote_evidence(n, kEvidence, kPcrs);
    assert_true(q.ok());
    auto v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence);
    assert_true(v.ok());
    print_reasons(*v);
    assert_true(v->accepted);
    assert_true(v->reasons.empty());
    g->last_accepted = *q;
    g->last_nonce = n;
  }
}

// The quote last accepted is sent again with its own nonce and evidence: the TPM clock did not
// advance relative to the recorded one -> kReplay.
void replayed_quote_refused(void**) {
  auto v = appraise_board_quote(g->reg, kBoard, g->last_accepted, g->last_nonce, kEvidence);
  assert_true(v.ok());
  assert_false(v->accepted);
  assert_true(has_reason(*v, QuoteCheck::kReplay));
  assert_int_equal(v->reasons.size(), 1);
}

// A fresh quote made for nonce 9 is presented for nonce 10 (and, separately, for other
// evidence): extraData does not match -> kWrongExtraData, and only that.
void quote_for_another_nonce_refused(void**) {
  auto n9 = nonce_of(9);
  auto n10 = nonce_of(10);
  auto q = g->tpm_a.quote_evidence(n9, kEvidence, kPcrs);
  assert_true(q.ok());
  auto v = appraise_board_quote(g->reg, kBoard, *q, n10, kEvidence);
  assert_true(v.ok());
  assert_false(v->accepted);
  assert_true(has_reason(*v, QuoteCheck::kWrongExtraData));
  assert_int_equal(v->reasons.size(), 1);
  const uint8_t other_evidence[] = {0xd2, 0x84, 0x00};
  v = appraise_board_quote(g->reg, kBoard, *q, n9, other_evidence);
  assert_true(v.ok());
  assert_true(has_reason(*v, QuoteCheck::kWrongExtraData));
}

// A quote signed by a second AK of the same TPM but labelled with the enrolled AK's name:
// the signature does not verify with the enrolled AK -> kBadSignature.
void quote_from_wrong_ak_refused(void**) {
  Tpm t;
  assert_true(t.open(g->swtpm_a.tcti()).ok());
  auto ak2 = t.create_ak(g->ak_a2_path);
  assert_true(ak2.ok());
  auto n = nonce_of(20);
  auto q = t.quote_evidence(n, kEvidence, kPcrs);
  assert_true(q.ok());
  auto host = g->reg.get_host("host-a");
  assert_true(host.ok());
  q.value().ak_name = host->ak_name;  // the forgery claims to be the enrolled AK
  auto v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence);
  assert_true(v.ok());
  assert_false(v->accepted);
  assert_true(has_reason(*v, QuoteCheck::kBadSignature));
}

// Credential activation fails when the AK is not the one the credential was made for, or the
// TPM is not the EK's: (a) credential for host A's EK and AK-2's name, activated with AK-1
// loaded; (b) credential for host B's EK and AK-1's name, activated on host A.
void ak_not_activated_for_ek_refused(void**) {
  auto ek_a = g->tpm_a.ek();
  auto ek_b = g->tpm_b.ek();
  Tpm t;
  assert_true(t.open(g->swtpm_a.tcti()).ok());
  auto ak2 = t.load_ak(g->ak_a2_path);
  assert_true(ak2.ok());
  auto ak1 = g->tpm_a.ak();
  assert_true(ak1.ok());
  const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  // Control: the right pair activates and returns the secret.
  auto ok = make_credential(ek_a->public_area, ak1->name, secret);
  assert_true(ok.ok());
  auto got = g->tpm_a.activate_credential(*ok);
  assert_true(got.ok());
  assert_true(*got == std::vector<uint8_t>(secret, secret + sizeof(secret)));
  // (a)
  auto ch = make_credential(ek_a->public_area, ak2->name, secret);
  assert_true(ch.ok());
  assert_true(g->tpm_a.activate_credential(*ch).status() == Status(TpmError::kActivationFailed));
  // (b)
  ch = make_credential(ek_b->public_area, ak1->name, secret);
  assert_true(ch.ok());
  assert_true(g->tpm_a.activate_credential(*ch).status() == Status(TpmError::kActivationFailed));
}

// tpm2_checkquote (tpm2-tools) accepts the library's quote: AK public as PEM, TPMS_ATTEST as the
// message, TPMT_SIGNATURE, the PCR values (-f with -l), qualification = extraData. With another
// qualification it refuses (so the check can fail).
void interop_tpm2_checkquote(void**) {
  auto n = nonce_of(30);
  auto q = g->tpm_a.quote_evidence(n, kEvidence, kPcrs);
  assert_true(q.ok());
  auto ak = g->tpm_a.ak();
  const std::string pem = g->tmp + "/ak.pem", msg = g->tmp + "/quote.msg",
                    sig = g->tmp + "/quote.sig", pcrs = g->tmp + "/quote.pcrs";
  {
    std::ofstream f(pem);
    f << p256_public_pem(ak->public_key);
  }
  write_bin(msg, q->attest);
  write_bin(sig, q->signature);
  std::vector<uint8_t> values;
  for (const auto& p : q->pcrs) values.insert(values.end(), p.value.begin(), p.value.end());
  write_bin(pcrs, values);
  auto edr = quote_extra_data(n, kEvidence);
  assert_true(edr.ok());
  const Sha256Digest ed = edr.value();
  const std::string qual = locus_test::to_hex(ed.data(), ed.size());
  const char* argv[] = {"tpm2_checkquote", "-u", pem.c_str(),  "-m",   msg.c_str(),    "-s",
                        sig.c_str(),       "-f", pcrs.c_str(), "-l",   "sha256:0,1,7", "-g",
                        "sha256",          "-q", qual.c_str(), nullptr};
  assert_int_equal(test::run_command(argv, g->tmp + "/checkquote.log"), 0);
  const std::string wrong(64, '0');
  const char* argv2[] = {"tpm2_checkquote", "-u", pem.c_str(),   "-m",   msg.c_str(),    "-s",
                         sig.c_str(),       "-f", pcrs.c_str(),  "-l",   "sha256:0,1,7", "-g",
                         "sha256",          "-q", wrong.c_str(), nullptr};
  assert_int_not_equal(test::run_command(argv2, g->tmp + "/checkquote.log"), 0);
}

// Host B is enrolled too; the board (bound to host A) shows up with a quote from host B:
// refused with kBoardMoved, and the reason names both hosts.
void board_moved_to_another_host_refused(void**) {
  provision::HostEnrollOptions o{"host-b", g->swtpm_b.ca_file(), kPcrs};
  auto rec = provision::enroll_host(g->tpm_b, o);
  if (!rec.ok()) std::fprintf(stderr, "enroll B: %s\n", rec.message().c_str());
  assert_true(rec.ok());
  assert_true(g->reg.put_host(rec.value()).ok());
  auto n = nonce_of(40);
  auto q = g->tpm_b.quote_evidence(n, kEvidence, kPcrs);
  assert_true(q.ok());
  auto v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence);
  assert_true(v.ok());
  assert_false(v->accepted);
  assert_int_equal(v->reasons.size(), 1);
  assert_int_equal(v->reasons[0].check, QuoteCheck::kBoardMoved);
  print_reasons(*v);
  assert_true(v->reasons[0].text.find("'host-a'") != std::string::npos);
  assert_true(v->reasons[0].text.find("'host-b'") != std::string::npos);
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The saved AK context (<blob>.ctx): a second agent loading AK-1 gets it through the saved
// context (the file is not rewritten: same inode) with AK-1's name, and quotes with it. A
// context of another AK of the same TPM (AK-2's) put in its place is not used: load_ak falls
// back to the EK path, returns AK-1's name and rewrites the file (new inode). So does a file
// of garbage. (After a TPM reset, tpm_reset_reported below loads through the fallback too.)
void saved_ak_context_used_and_checked(void**) {
  const std::string ctx = g->ak_a_path + ".ctx";
  auto ak1 = g->tpm_a.ak();
  assert_true(ak1.ok());
  {
    Tpm t;
    assert_true(t.open(g->swtpm_a.tcti()).ok());
    assert_true(t.load_ak(g->ak_a_path).ok());  // writes the context if no earlier load did
  }
  const ino_t before = inode_of(ctx);
  assert_true(before != 0);
  {
    Tpm t;
    assert_true(t.open(g->swtpm_a.tcti()).ok());
    auto ak = t.load_ak(g->ak_a_path);
    assert_true(ak.ok());
    assert_true(ak->name == ak1->name);
    assert_true(inode_of(ctx) == before);
    auto q = t.quote_evidence(nonce_of(60), kEvidence, kPcrs);
    assert_true(q.ok());
    assert_true(q->ak_name == ak1->name);
  }
  // AK-2's context (made by ak_not_activated_for_ek_refused's load_ak) in AK-1's place.
  const std::string ctx2 = g->ak_a2_path + ".ctx";
  assert_true(inode_of(ctx2) != 0);
  {
    std::ifstream in(ctx2, std::ios::binary);
    const std::vector<uint8_t> other((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    assert_true(other.size() > 16);
    write_bin(ctx, other);
  }
  const ino_t swapped = inode_of(ctx);
  {
    Tpm t;
    assert_true(t.open(g->swtpm_a.tcti()).ok());
    auto ak = t.load_ak(g->ak_a_path);
    assert_true(ak.ok());
    assert_true(ak->name == ak1->name);
    assert_true(inode_of(ctx) != swapped);
  }
  write_bin(ctx, std::vector<uint8_t>(100, 0x41));
  const ino_t garbage = inode_of(ctx);
  {
    Tpm t;
    assert_true(t.open(g->swtpm_a.tcti()).ok());
    auto ak = t.load_ak(g->ak_a_path);
    assert_true(ak.ok());
    assert_true(ak->name == ak1->name);
    assert_true(inode_of(ctx) != garbage);
  }
}

// Host A's TPM gets TPM2_Shutdown(CLEAR) and its swtpm is restarted (TPM2_Startup(CLEAR):
// resetCount increments), as in a host reboot. The agent reloads its AK from the blob file.
// The next quote is refused with kTpmReset (only) by default and accepted when the policy
// accepts reboots (PCR 7, extended by the previous test, is back to its golden value).
void tpm_reset_reported(void**) {
  assert_true(g->tpm_a.shutdown().ok());
  g->tpm_a.close();
  assert_true(g->swtpm_a.restart());
  assert_true(g->tpm_a.open(g->swtpm_a.tcti()).ok());
  assert_true(g->tpm_a.load_ak(g->ak_a_path).ok());
  auto n = nonce_of(50);
  auto q = g->tpm_a.quote_evidence(n, kEvidence, kPcrs);
  assert_true(q.ok());
  auto v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence);
  assert_true(v.ok());
  assert_false(v->accepted);
  print_reasons(*v);
  assert_int_equal(v->reasons.size(), 1);
  assert_int_equal(v->reasons[0].check, QuoteCheck::kTpmReset);
  QuoteOptions o;
  o.accept_reboot = true;
  v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence, o);
  assert_true(v.ok());
  print_reasons(*v);
  assert_true(v->accepted);
}

// The swtpm is killed and restarted without TPM2_Shutdown (a crash): the quote shows
// clockInfo.safe = NO and a new resetCount -> kClockUnsafe and kTpmReset.
void unorderly_reset_reported(void**) {
  g->tpm_a.close();
  assert_true(g->swtpm_a.restart());
  assert_true(g->tpm_a.open(g->swtpm_a.tcti()).ok());
  assert_true(g->tpm_a.load_ak(g->ak_a_path).ok());
  auto n = nonce_of(55);
  auto q = g->tpm_a.quote_evidence(n, kEvidence, kPcrs);
  assert_true(q.ok());
  auto v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence);
  assert_true(v.ok());
  assert_false(v->accepted);
  print_reasons(*v);
  assert_true(has_reason(*v, QuoteCheck::kClockUnsafe));
  assert_true(has_reason(*v, QuoteCheck::kTpmReset));
  QuoteOptions o;
  o.accept_reboot = true;
  v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence, o);
  assert_true(v.ok());
  assert_true(v->accepted);
}

// PCR 7 of host A is extended after enrollment; the next quote is refused with kPcrMismatch
// naming PCR 7 (and only that: signature, nonce and clock are fine).
void pcr_extended_after_enrollment_refused(void**) {
  Sha256Digest d{};
  d.fill(0x5a);
  assert_true(g->tpm_a.pcr_extend(7, d).ok());
  auto n = nonce_of(60);
  auto q = g->tpm_a.quote_evidence(n, kEvidence, kPcrs);
  assert_true(q.ok());
  auto v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence);
  assert_true(v.ok());
  assert_false(v->accepted);
  print_reasons(*v);
  assert_int_equal(v->reasons.size(), 1);
  assert_int_equal(v->reasons[0].check, QuoteCheck::kPcrMismatch);
  assert_true(v->reasons[0].text.find("PCR 7") != std::string::npos);
  // Reported values forged back to the golden ones no longer hash to the signed pcrDigest.
  auto host = g->reg.get_host("host-a");
  q.value().pcrs = host->golden;
  v = appraise_board_quote(g->reg, kBoard, *q, n, kEvidence);
  assert_true(v.ok());
  assert_true(has_reason(*v, QuoteCheck::kPcrDigest));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(swtpm_ports_outside_ephemeral_range),
      cmocka_unit_test(ek_certificate_chains_to_manufacturer_ca),
      cmocka_unit_test(ek_certificate_from_unknown_ca_refused),
      cmocka_unit_test(ek_certificate_of_another_tpm_refused),
      cmocka_unit_test(enroll_and_quote_accepted),
      cmocka_unit_test(replayed_quote_refused),
      cmocka_unit_test(quote_for_another_nonce_refused),
      cmocka_unit_test(quote_from_wrong_ak_refused),
      cmocka_unit_test(ak_not_activated_for_ek_refused),
      cmocka_unit_test(interop_tpm2_checkquote),
      cmocka_unit_test(board_moved_to_another_host_refused),
      cmocka_unit_test(pcr_extended_after_enrollment_refused),
      cmocka_unit_test(saved_ak_context_used_and_checked),
      cmocka_unit_test(tpm_reset_reported),
      cmocka_unit_test(unorderly_reset_reported),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
