// Enrollment ordering against a real locus-host-sim board and a real SQLite registry: the
// registry row is written first (pending), the board is given its certificate, then the row
// turns active. When the final registry write fails after the board took its certificate
// (injected by a registry wrapper that fails activate_device once), the board is not lost:
// the device stays pending (no nonce, refused by the verifier), and running enroll again
// resumes with the same certificate and completes; a third enroll says "already enrolled".
// A board that holds a certificate this registry never issued is refused before any write.
#include <cstring>
#include <fstream>
#include <string>

#include "locus/audit/audit.h"
#include "locus/provision/provision.h"
#include "locus/registry/registry.h"
#include "locus_test/cmocka.h"  // last: its macros clash with the C++ library
#include "locus_test/proc.h"
#include "locus_test/testproc.h"

using namespace locus;
using host::test::Process;

namespace {

std::string g_dir;
std::string P(const std::string& n) {
  return g_dir + "/" + n;
}

// Forwards everything to the real registry; activate_device fails while `fail_activate`.
class FailingRegistry final : public registry::Registry {
 public:
  explicit FailingRegistry(registry::Registry* r) : r_(r) {}
  bool fail_activate = true;
  host::HStatus transaction(const std::function<host::HStatus()>& b) override {
    return r_->transaction(b);
  }
  host::HStatus add_device(const registry::Device& d) override { return r_->add_device(d); }
  host::HostResult<registry::Device> get_device(ByteSpan u) override { return r_->get_device(u); }
  host::HostResult<std::vector<registry::Device>> list_devices() override {
    return r_->list_devices();
  }
  host::HStatus activate_device(ByteSpan u) override {
    if (fail_activate) return {host::HostError::kDb, "injected: disk full"};
    return r_->activate_device(u);
  }
  host::HStatus revoke_ueid(ByteSpan u, const std::string& w) override {
    return r_->revoke_ueid(u, w);
  }
  host::HStatus revoke_serial(const std::string& s, const std::string& w) override {
    return r_->revoke_serial(s, w);
  }
  host::HostResult<bool> serial_revoked(const std::string& s) override {
    return r_->serial_revoked(s);
  }
  host::HStatus put_nonce(const registry::NonceIssue& n) override { return r_->put_nonce(n); }
  host::HostResult<registry::NonceCheck> peek_nonce(ByteSpan n, ByteSpan u, int64_t t) override {
    return r_->peek_nonce(n, u, t);
  }
  host::HostResult<registry::NonceCheck> consume_nonce(ByteSpan n, ByteSpan u, int64_t t) override {
    return r_->consume_nonce(n, u, t);
  }
  host::HStatus purge_nonces(int64_t t) override { return r_->purge_nonces(t); }
  host::HostResult<uint64_t> next_license_counter(ByteSpan u) override {
    return r_->next_license_counter(u);
  }
  host::HostResult<bool> take_license_counter(ByteSpan u, uint64_t e) override {
    return r_->take_license_counter(u, e);
  }
  host::HostResult<uint64_t> last_license_counter(ByteSpan u) override {
    return r_->last_license_counter(u);
  }
  host::HostResult<int64_t> reserve_decision_id() override { return r_->reserve_decision_id(); }
  host::HostResult<int64_t> add_decision(const registry::Decision& d) override {
    return r_->add_decision(d);
  }
  host::HostResult<std::vector<registry::Decision>> list_decisions(int64_t l) override {
    return r_->list_decisions(l);
  }
  host::HostResult<std::vector<registry::Decision>> decisions_after(int64_t a, int64_t l) override {
    return r_->decisions_after(a, l);
  }
  host::HostResult<std::vector<registry::Device>> devices_after(ByteSpan a, int64_t l) override {
    return r_->devices_after(a, l);
  }
  host::HostResult<int64_t> count_devices() override { return r_->count_devices(); }
  host::HostResult<std::vector<registry::Decision>> latest_decisions_between(ByteSpan a,
                                                                             ByteSpan t) override {
    return r_->latest_decisions_between(a, t);
  }
  host::HostResult<std::vector<registry::Decision>> latest_decisions() override {
    return r_->latest_decisions();
  }
  host::HostResult<registry::AuditHead> get_audit_head(const std::string& l) override {
    return r_->get_audit_head(l);
  }
  host::HStatus set_audit_head(const std::string& l, const registry::AuditHead& h) override {
    return r_->set_audit_head(l, h);
  }
  host::HStatus add_audit_pending(const std::string& l, uint64_t s,
                                  const std::string& line) override {
    return r_->add_audit_pending(l, s, line);
  }
  host::HStatus add_audit_pending_if_absent(const std::string& l, uint64_t s,
                                            const std::string& line) override {
    return r_->add_audit_pending_if_absent(l, s, line);
  }
  host::HostResult<std::vector<registry::AuditPending>> list_audit_pending(const std::string& l,
                                                                           uint64_t a) override {
    return r_->list_audit_pending(l, a);
  }
  host::HStatus prune_audit_pending(const std::string& l, uint64_t s) override {
    return r_->prune_audit_pending(l, s);
  }
  host::HStatus put_tpm_host(const registry::TpmHostRow& h) override { return r_->put_tpm_host(h); }
  host::HostResult<registry::TpmHostRow> get_tpm_host(const std::string& h) override {
    return r_->get_tpm_host(h);
  }
  host::HostResult<std::string> tpm_host_by_ak_name(ByteSpan n) override {
    return r_->tpm_host_by_ak_name(n);
  }
  host::HStatus bind_board_host(const std::string& u, const std::string& h) override {
    return r_->bind_board_host(u, h);
  }
  host::HostResult<std::string> board_host(const std::string& u) override {
    return r_->board_host(u);
  }
  host::HostResult<bool> record_tpm_quote(const std::string& h, int64_t c, int64_t r,
                                          int64_t s) override {
    return r_->record_tpm_quote(h, c, r, s);
  }
  host::HStatus raise_trust_list_version(const std::string& s, int64_t v) override {
    return r_->raise_trust_list_version(s, v);
  }
  host::HostResult<int64_t> trust_list_version(const std::string& s) override {
    return r_->trust_list_version(s);
  }
  host::HostResult<int> schema_version() override { return r_->schema_version(); }
  std::string describe() const override { return r_->describe(); }

 private:
  registry::Registry* r_;
};

bool start_board(Process* p, const std::string& tag, int* port, const std::string& sim) {
  std::ofstream(P("uds-" + tag), std::ios::binary) << std::string(32, tag[0]);
  std::ofstream(P("image"), std::ios::binary) << std::string(1000, 'x');
  *port = locus_test::start_host_sim(p, sim, P("uds-" + tag), P("image"), P("state-" + tag),
                                     P("sim-" + tag + ".log"));
  return *port > 0;
}

void test_failed_activation_resumes(void**) {
  const char* b = std::getenv("LOCUS_BINARY_DIR");
  assert_non_null(b);
  std::string sim = std::string(b) + "/boards/host-sim/locus-host-sim";
  g_dir = host::test::make_temp_dir("locus-enroll-order-");
  assert_true(provision::init_ca({P("ca.key"), P("ca.pem")}, "CN=Order Root,O=locus", false).ok());
  auto ca = provision::load_ca({P("ca.key"), P("ca.pem")});
  assert_true(ca.ok());
  assert_true(provision::init_license_key(P("lk.key"), P("lk.pub"), false).ok());
  crypto::P256PublicKey lpub;
  assert_true(provision::load_license_public(P("lk.pub"), &lpub).ok());
  auto real = registry::open(P("r.db"));
  assert_true(real.ok());
  FailingRegistry failing(real.value().get());
  audit::AuditLog log(P("audit.jsonl"), real.value().get());

  Process board;
  int port = 0;
  assert_true(start_board(&board, "a", &port, sim));
  provision::EnrollOptions o{"tcp:127.0.0.1:" + std::to_string(port), "sg-1", "rack-a", ""};

  // 1. The final registry write fails after the board took its certificate.
  auto r1 = provision::enroll(o, ca.value(), lpub, &failing, &log);
  assert_false(r1.ok());
  assert_non_null(strstr(r1.message().c_str(), "run enroll again"));
  auto devs = real.value()->list_devices().value();
  assert_int_equal(devs.size(), 1);
  assert_true(devs[0].state == registry::DeviceState::kPending);
  assert_int_equal(host::file_exists(P("audit.jsonl"))
                       ? audit::read_records(P("audit.jsonl")).value().size()
                       : 0,
                   0);

  // 2. Enrolling again resumes: same certificate, device active, one audit record.
  failing.fail_activate = false;
  auto r2 = provision::enroll(o, ca.value(), lpub, &failing, &log);
  if (!r2.ok()) fail_msg("resume failed: %s", r2.message().c_str());
  assert_true(r2.value().devid_cert == devs[0].devid_cert);
  auto d = real.value()->get_device(r2.value().ueid);
  assert_true(d.ok());
  assert_true(d.value().state == registry::DeviceState::kActive);
  assert_int_equal(audit::read_records(P("audit.jsonl")).value().size(), 1);

  // 3. A third run: already enrolled (kDuplicate), nothing changes.
  auto r3 = provision::enroll(o, ca.value(), lpub, &failing, &log);
  assert_false(r3.ok());
  assert_int_equal(r3.code().code(), locus::Status(host::HostError::kDuplicate).code());

  // 4. The same board against a registry that never issued its certificate: refused before
  //    any row is written.
  auto other = registry::open(P("other.db"));
  auto r4 = provision::enroll(o, ca.value(), lpub, other.value().get(), nullptr);
  assert_false(r4.ok());
  assert_non_null(strstr(r4.message().c_str(), "already holds a DeviceID certificate"));
  assert_int_equal(other.value()->list_devices().value().size(), 0);
  board.kill_and_wait(15);
  host::test::remove_tree(g_dir);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_failed_activation_resumes)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
