// Integration (label integration) and interop (label interop) tests of the locus-host-sim
// process: started on a free port, driven over its socket with the protocol library.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "locus/crypto/cose.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"
#include "locus/crypto/x509_host.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "locus_test/cmocka.h"
#include "locus_test/license.h"

using locus::ByteSpan;
using locus::MutByteSpan;
using locus::Status;
namespace proto = locus::protocol;
using Bytes = std::vector<uint8_t>;

namespace {

std::string g_dir;
bool g_interop = false;

uint64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

struct Sim {
  pid_t pid = -1;
  int port = 0;
  int fd = -1;
  proto::Deframer deframer;
  uint32_t next_id = 1;

  // Starts host-sim on port 0 and waits (bounded) for its "listening on" line.
  void start() {
    int out[2];
    assert_int_equal(pipe(out), 0);
    const std::string bin =
        std::string(getenv("LOCUS_BINARY_DIR")) + "/boards/host-sim/locus-host-sim";
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      dup2(out[1], 1);
      close(out[0]);
      const std::string uds = g_dir + "/uds.hex", img = g_dir + "/image.bin",
                        st = g_dir + "/state.bin";
      execl(bin.c_str(), bin.c_str(), "--uds", uds.c_str(), "--image", img.c_str(), "--state",
            st.c_str(), "--listen", "tcp:127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    const uint64_t deadline = now_ms() + 20000;
    while (line.find('\n') == std::string::npos && now_ms() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[128];
      const ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    const size_t at = line.find("listening on 127.0.0.1:");
    assert_true(at != std::string::npos);
    port = atoi(line.c_str() + at + strlen("listening on 127.0.0.1:"));
    assert_true(port > 0);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    deframer.reset();
  }

  void stop() {
    if (fd >= 0) close(fd);
    fd = -1;
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      waitpid(pid, &status, 0);
    }
    pid = -1;
  }

  // Sends one frame and waits (bounded) for one response frame.
  Bytes transact(uint8_t rev, const Bytes& payload, uint8_t* rev_out = nullptr) {
    static uint8_t frame[proto::kMaxFrameSize];
    size_t n = 0;
    assert_true(proto::encode_frame(rev, ByteSpan(payload.data(), payload.size()),
                                    MutByteSpan(frame, sizeof(frame)), &n)
                    .ok());
    assert_int_equal(send(fd, frame, n, MSG_NOSIGNAL), static_cast<ssize_t>(n));
    const uint64_t deadline = now_ms() + 20000;
    while (now_ms() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      uint8_t buf[512];
      const ssize_t r = read(fd, buf, sizeof(buf));
      assert_true(r > 0);
      for (ssize_t i = 0; i < r; ++i) {
        proto::DeframeResult d = deframer.feed(buf[i]);
        if (d.event == proto::DeframeEvent::kFrame) {
          assert_int_equal(i, r - 1);  // one response per request
          if (rev_out != nullptr) *rev_out = d.rev;
          return Bytes(d.payload.begin(), d.payload.end());
        }
        assert_int_not_equal(static_cast<int>(d.event),
                             static_cast<int>(proto::DeframeEvent::kError));
      }
    }
    fail_msg("no response from host-sim");
    return {};
  }

  template <typename Req, typename Resp>
  Status call(const Req& req, Resp* resp, Bytes* keep) {
    uint8_t buf[4096];
    size_t n = 0;
    const uint32_t id = next_id++;
    Status st = proto::encode_message(id, req, MutByteSpan(buf, sizeof(buf)), &n);
    if (!st.ok()) return st;
    *keep = transact(proto::kRevMessage, Bytes(buf, buf + n));
    proto::Envelope env;
    st = proto::decode_envelope(ByteSpan(keep->data(), keep->size()), &env);
    if (!st.ok()) return st;
    assert_int_equal(env.request_id, id);
    if (env.type == proto::kMsgError) {
      proto::ErrorResponse e;
      assert_true(proto::decode_body(env.body, &e).ok());
      return Status::FromCode(e.code);
    }
    assert_int_equal(env.type, Resp::kType);
    return proto::decode_body(env.body, resp);
  }

  proto::StatusInfo status() {
    proto::GetStatusRequest q;
    proto::StatusResponse r;
    Bytes keep;
    assert_true(call(q, &r, &keep).ok());
    return r.status;
  }
};

void key_from_seed(uint8_t seed, locus::crypto::P256PrivateKey* priv,
                   locus::crypto::P256PublicKey* pub) {
  const uint8_t s[2] = {'k', seed};
  const uint8_t label[] = "hostsim test";
  assert_true(
      locus::crypto::p256_derive_key(ByteSpan(s, 2), ByteSpan(label, sizeof(label) - 1), priv)
          .ok());
  assert_true(locus::crypto::p256_public_key(*priv, pub).ok());
}

int setup_dir(void**) {
  char tmpl[] = "/tmp/locus-hostsim-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return -1;
  g_dir = tmpl;
  const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
  write_file(g_dir + "/uds.hex", Bytes(hex.begin(), hex.end()));
  Bytes image(4096);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 7);
  write_file(g_dir + "/image.bin", image);
  return 0;
}

int teardown_dir(void**) {
  const std::string cmd = "rm -rf '" + g_dir + "'";
  return system(cmd.c_str()) == 0 ? 0 : -1;
}

// The whole provisioning + attestation + license flow against a real host-sim process:
// identity -> DeviceID cert from a test CA -> verifier key -> evidence (COSE + chain checked)
// -> license -> FULL -> the 2 s lease expires -> RESTRICTED; restart on the same state:
// RESTRICTED, counter kept, old license rejected.
void test_flow(void**) {
  Sim sim;
  sim.start();
  Bytes keep_id;
  proto::GetIdentityRequest iq;
  proto::IdentityResponse id;
  assert_true(sim.call(iq, &id, &keep_id).ok());
  assert_true(id.devid_cert.empty());
  assert_int_equal(id.ueid[0], 0x01);

  // Manufacturer CA: certify the DeviceID key from the CSR.
  locus::crypto::CsrInfo csr;
  assert_true(locus::crypto::x509_parse_csr(id.csr, &csr).ok());
  assert_memory_equal(csr.public_key.q.data(), id.devid_pub.data(), 65);
  locus::crypto::P256PrivateKey ca_priv;
  locus::crypto::P256PublicKey ca_pub;
  key_from_seed(1, &ca_priv, &ca_pub);
  const uint8_t one[1] = {1};
  locus::crypto::CertSpec root;
  root.subject = "CN=locus test root";
  root.issuer = "CN=locus test root";
  root.serial = ByteSpan(one, 1);
  root.is_ca = true;
  uint8_t root_der[1024], devid_der[1024];
  size_t root_len = 0, devid_len = 0;
  assert_true(locus::crypto::x509_issue(root, ca_pub, ca_priv,
                                        MutByteSpan(root_der, sizeof(root_der)), &root_len)
                  .ok());
  std::string ueid_hex;
  for (uint8_t b : id.ueid) {
    char h[3];
    snprintf(h, sizeof(h), "%02x", b);
    ueid_hex += h;
  }
  const std::string devid_subject = "CN=locus DeviceID,serialNumber=" + ueid_hex;
  locus::crypto::CertSpec dev;
  dev.subject = devid_subject.c_str();
  dev.issuer = "CN=locus test root";
  const uint8_t two[1] = {2};
  dev.serial = ByteSpan(two, 1);
  dev.is_ca = true;
  dev.max_path_len = 0;
  assert_true(locus::crypto::x509_issue(dev, csr.public_key, ca_priv,
                                        MutByteSpan(devid_der, sizeof(devid_der)), &devid_len)
                  .ok());
  proto::InstallDevidCertRequest cq;
  cq.cert = ByteSpan(devid_der, devid_len);
  proto::InstallDevidCertResponse cr;
  Bytes keep;
  assert_true(sim.call(cq, &cr, &keep).ok());

  // Verifier key.
  locus::crypto::P256PrivateKey vpriv;
  locus::crypto::P256PublicKey vpub;
  key_from_seed(2, &vpriv, &vpub);
  proto::InstallVerifierKeyRequest kq;
  memcpy(kq.key.data(), vpub.q.data(), 65);
  proto::InstallVerifierKeyResponse kr;
  assert_true(sim.call(kq, &kr, &keep).ok());

  // Evidence: COSE verified with the Alias key of the x5chain; chain root -> DeviceID -> Alias.
  Bytes nonce(32);
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(0xA0 + i);
  proto::GetEvidenceRequest eq;
  eq.nonce = ByteSpan(nonce.data(), nonce.size());
  proto::EvidenceResponse er;
  Bytes keep_ev;
  assert_true(sim.call(eq, &er, &keep_ev).ok());
  locus::cose::Sign1View v;
  assert_true(locus::cose::sign1_decode(er.cose_sign1, &v).ok());
  assert_int_equal(v.x5chain_len, 1);
  locus::crypto::Certificate alias;
  assert_true(alias.parse(v.x5chain[0]).ok());
  locus::crypto::P256PublicKey alias_pub;
  assert_true(alias.public_key(&alias_pub).ok());
  assert_true(locus::cose::sign1_verify_es256(v, alias_pub).ok());
  locus::crypto::TcbInfo tcb;
  assert_true(alias.tcb_info(&tcb).ok());
  assert_memory_equal(tcb.fwid.data(), id.fwid.data(), 32);
  assert_int_equal(tcb.svn, id.svn);
  const std::vector<Bytes> chain = {Bytes(v.x5chain[0].begin(), v.x5chain[0].end()),
                                    Bytes(devid_der, devid_der + devid_len)};
  const std::vector<Bytes> roots = {Bytes(root_der, root_der + root_len)};
  uint32_t flags = 0;
  assert_true(locus::crypto::x509_verify_chain(chain, roots,
                                               locus::crypto::ChainProfile::kLocusP256, &flags)
                  .ok());
  proto::EatClaims claims;
  assert_true(proto::decode_claims(v.payload, &claims).ok());
  assert_memory_equal(claims.nonce.data, nonce.data(), nonce.size());
  assert_memory_equal(claims.ueid.data(), id.ueid.data(), 33);
  assert_int_equal(claims.boot_count, 1);
  assert_int_equal(claims.mode, proto::kModeRestricted);

  if (g_interop) {
    write_file(g_dir + "/evidence.cose", Bytes(er.cose_sign1.begin(), er.cose_sign1.end()));
    write_file(g_dir + "/alias.der", Bytes(v.x5chain[0].begin(), v.x5chain[0].end()));
    write_file(g_dir + "/devid.der", Bytes(devid_der, devid_der + devid_len));
    write_file(g_dir + "/root.der", Bytes(root_der, root_der + root_len));
    write_file(g_dir + "/nonce.bin", nonce);
    write_file(g_dir + "/fwid.bin", Bytes(id.fwid.begin(), id.fwid.end()));
    sim.stop();
    // Debian's python3 (python3-cbor2, python3-cryptography), not a pyenv shim on PATH.
    const std::string py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    const std::string cmd = py + " '" + std::string(getenv("LOCUS_SOURCE_DIR")) +
                            "/tests/firmware/interop_check.py' '" + g_dir + "'";
    assert_int_equal(system(cmd.c_str()), 0);
    return;
  }

  // License with a 2 s lease -> FULL.
  const Bytes lic = locus_test::sign_full_license(vpriv, id.ueid, nonce, claims.board_nonce, 10, 2,
                                                  id.fwid, "sg-1");
  proto::ApplyLicenseRequest lq;
  lq.cose_sign1 = ByteSpan(lic.data(), lic.size());
  proto::ApplyLicenseResponse lr;
  assert_true(sim.call(lq, &lr, &keep).ok());
  assert_int_equal(lr.status.mode, proto::kModeFull);
  assert_int_equal(lr.status.license_counter, 10);
  // Expiry: poll GET_STATUS (bounded: 6 s) until RESTRICTED.
  const uint64_t t0 = now_ms();
  proto::StatusInfo s = sim.status();
  while (s.mode == proto::kModeFull && now_ms() - t0 < 6000) {
    pollfd none{-1, 0, 0};
    poll(&none, 0, 100);
    s = sim.status();
  }
  assert_int_equal(s.mode, proto::kModeRestricted);
  assert_true(now_ms() - t0 >= 1500);  // not earlier than the lease

  // Restart on the same state file.
  sim.stop();
  sim.start();
  s = sim.status();
  assert_int_equal(s.mode, proto::kModeRestricted);
  assert_int_equal(s.license_counter, 10);
  assert_int_equal(s.boot_count, 2);
  assert_true(s.has_devid_cert);
  assert_true(s.has_verifier_key);
  assert_true(sim.call(eq, &er, &keep_ev).ok());  // same nonce again
  const Status st = sim.call(lq, &lr, &keep);
  assert_false(st.ok());
  assert_int_equal(sim.status().mode, proto::kModeRestricted);
  // A client that disconnects does not stop the board.
  close(sim.fd);
  sim.fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(sim.port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(sim.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  sim.deframer.reset();
  assert_int_equal(sim.status().boot_count, 2);
  sim.stop();
}

}  // namespace

int main(int argc, char** argv) {
  g_interop = argc > 1 && strcmp(argv[1], "interop") == 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_flow, setup_dir, teardown_dir),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
