// Agent side of the host binding on TPM2-TSS ESAPI (see agent.h for the key hierarchy).
#include "locus/tpm/esapi.h"

#include <fcntl.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "locus/tpm/reader.h"

namespace locus::tpm {

namespace {

constexpr char kBlobMagic[8] = {'L', 'O', 'C', 'U', 'S', 'A', 'K', '1'};
constexpr size_t kMaxBlobFile = 4096;

// TCG EK Credential Profile 2.0, template L-1 (RSA 2048, AES-128-CFB), authPolicy =
// PolicySecret(TPM_RH_ENDORSEMENT).
constexpr uint8_t kEkPolicy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
                                   0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
                                   0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

TPM2B_PUBLIC ek_template() {
  TPM2B_PUBLIC t{};
  t.publicArea.type = TPM2_ALG_RSA;
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                                  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  t.publicArea.authPolicy.size = sizeof(kEkPolicy);
  std::memcpy(t.publicArea.authPolicy.buffer, kEkPolicy, sizeof(kEkPolicy));
  auto& rsa = t.publicArea.parameters.rsaDetail;
  rsa.symmetric.algorithm = TPM2_ALG_AES;
  rsa.symmetric.keyBits.aes = 128;
  rsa.symmetric.mode.aes = TPM2_ALG_CFB;
  rsa.scheme.scheme = TPM2_ALG_NULL;
  rsa.keyBits = 2048;
  rsa.exponent = 0;
  t.publicArea.unique.rsa.size = 256;  // 256 zero bytes, as the profile says
  return t;
}

// ECC P-256 restricted signing key, ECDSA with SHA-256 (what tpm2_createak -G ecc makes).
TPM2B_PUBLIC ak_template() {
  TPM2B_PUBLIC t{};
  t.publicArea.type = TPM2_ALG_ECC;
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  auto& ecc = t.publicArea.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  return t;
}

template <typename T>
struct EsysFree {
  T* p = nullptr;
  ~EsysFree() { Esys_Free(p); }
};

bool fill_selection(const std::vector<uint32_t>& pcrs, TPML_PCR_SELECTION* sel) {
  *sel = TPML_PCR_SELECTION{};
  if (pcrs.empty()) return false;
  sel->count = 1;
  sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
  sel->pcrSelections[0].sizeofSelect = 3;
  for (uint32_t p : pcrs) {
    if (p > kMaxPcrIndex) return false;
    sel->pcrSelections[0].pcrSelect[p / 8] =
        static_cast<uint8_t>(sel->pcrSelections[0].pcrSelect[p / 8] | (1u << (p % 8)));
  }
  return true;
}

}  // namespace

struct Tpm::Impl {
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  ESYS_CONTEXT* esys = nullptr;
  ESYS_TR ek = ESYS_TR_NONE;
  ESYS_TR ak = ESYS_TR_NONE;
  TPM2B_PUBLIC ek_public{};
  AkInfo ak_info;
  std::string last_error;

  Status fail(const char* what, TSS2_RC rc) {
    last_error = std::string(what) + ": " + Tss2_RC_Decode(rc);
    (void)std::fprintf(stderr, "{\"module\":\"tpm\",\"level\":\"error\",\"msg\":\"%s\"}\n",
                       last_error.c_str());
    return TpmError::kEsys;
  }

  // Re-creates the EK (deterministic from the endorsement seed) for one use. It is flushed
  // right after, so that a TPM without a resource manager (swtpm, /dev/tpm0) keeps its few
  // transient slots for AKs.
  Status load_ek() {
    if (ek != ESYS_TR_NONE) return Status::Ok();
    TPM2B_PUBLIC tmpl = ek_template();
    TPM2B_SENSITIVE_CREATE sens{};
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION none{};
    EsysFree<TPM2B_PUBLIC> pub;
    TSS2_RC rc = Esys_CreatePrimary(esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                    ESYS_TR_NONE, &sens, &tmpl, &outside, &none, &ek, &pub.p,
                                    nullptr, nullptr, nullptr);
    if (rc != TSS2_RC_SUCCESS) {
      ek = ESYS_TR_NONE;
      return fail("CreatePrimary(EK)", rc);
    }
    ek_public = *pub.p;
    return Status::Ok();
  }
  void unload_ek() {
    if (ek != ESYS_TR_NONE) (void)Esys_FlushContext(esys, ek);
    ek = ESYS_TR_NONE;
  }

  // Policy session satisfying the EK's authPolicy, PolicySecret(TPM_RH_ENDORSEMENT).
  Status ek_session(ESYS_TR* sess) {
    TPMT_SYM_DEF sym{};
    sym.algorithm = TPM2_ALG_NULL;
    TSS2_RC rc =
        Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                              ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, sess);
    if (rc != TSS2_RC_SUCCESS) return fail("StartAuthSession", rc);
    TPM2B_TIMEOUT* to = nullptr;
    TPMT_TK_AUTH* tk = nullptr;
    rc = Esys_PolicySecret(esys, ESYS_TR_RH_ENDORSEMENT, *sess, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, nullptr, nullptr, nullptr, 0, &to, &tk);
    Esys_Free(to);
    Esys_Free(tk);
    if (rc != TSS2_RC_SUCCESS) {
      Esys_FlushContext(esys, *sess);
      *sess = ESYS_TR_NONE;
      return fail("PolicySecret(endorsement)", rc);
    }
    return Status::Ok();
  }

  void flush_session(ESYS_TR* s) {
    if (*s == ESYS_TR_NONE) return;
    // A policy session used without continueSession is already gone; ignore that error.
    (void)Esys_FlushContext(esys, *s);
    *s = ESYS_TR_NONE;
  }

  Status set_ak_info(const TPM2B_PUBLIC& pub) {
    ak_info = AkInfo{};
    uint8_t buf[sizeof(TPMT_PUBLIC)];
    size_t off = 0;
    if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub.publicArea, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS) {
      return TpmError::kMalformed;
    }
    ak_info.public_area.assign(buf, buf + off);
    const auto& e = pub.publicArea.unique.ecc;
    if (pub.publicArea.type != TPM2_ALG_ECC || e.x.size != 32 || e.y.size != 32)
      return TpmError::kBadAkAttributes;
    ak_info.public_key[0] = 0x04;
    std::memcpy(ak_info.public_key.data() + 1, e.x.buffer, 32);
    std::memcpy(ak_info.public_key.data() + 33, e.y.buffer, 32);
    EsysFree<TPM2B_NAME> name;
    TSS2_RC rc = Esys_TR_GetName(esys, ak, &name.p);
    if (rc != TSS2_RC_SUCCESS) return fail("TR_GetName(AK)", rc);
    ak_info.name.assign(name.p->name, name.p->name + name.p->size);
    return Status::Ok();
  }

  // The loaded AK's saved context (TPM2_ContextSave) lets the next agent start skip the EK
  // (CreatePrimary) and the Load under it. The context is sealed by the TPM to this TPM and
  // this boot (a TPM reset makes ContextLoad fail); it is only an accelerator: the object it
  // loads is used only if its public area, read back from the TPM, equals the AK blob's, so a
  // substituted file cannot put another key in the AK's place. Any failure falls back to the
  // EK path.
  bool load_saved_context(const std::string& path, const TPM2B_PUBLIC& want) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    uint8_t buf[sizeof(TPMS_CONTEXT) + 16];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0 || n == static_cast<ssize_t>(sizeof buf)) return false;
    TPMS_CONTEXT ctx{};
    size_t off = 0;
    if (Tss2_MU_TPMS_CONTEXT_Unmarshal(buf, size_t(n), &off, &ctx) != TSS2_RC_SUCCESS ||
        off != size_t(n)) {
      return false;
    }
    ESYS_TR h = ESYS_TR_NONE;
    if (Esys_ContextLoad(esys, &ctx, &h) != TSS2_RC_SUCCESS) return false;
    EsysFree<TPM2B_PUBLIC> pub;
    EsysFree<TPM2B_NAME> name, qname;
    bool same = Esys_ReadPublic(esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub.p, &name.p,
                                &qname.p) == TSS2_RC_SUCCESS;
    if (same) {
      uint8_t a[sizeof(TPMT_PUBLIC)], b[sizeof(TPMT_PUBLIC)];
      size_t la = 0, lb = 0;
      same = Tss2_MU_TPMT_PUBLIC_Marshal(&pub.p->publicArea, a, sizeof a, &la) == TSS2_RC_SUCCESS &&
             Tss2_MU_TPMT_PUBLIC_Marshal(&want.publicArea, b, sizeof b, &lb) == TSS2_RC_SUCCESS &&
             la == lb && std::memcmp(a, b, la) == 0;
    }
    if (!same) {
      (void)Esys_FlushContext(esys, h);
      return false;
    }
    if (ak != ESYS_TR_NONE) (void)Esys_FlushContext(esys, ak);
    ak = h;
    if (!set_ak_info(want).ok()) {
      (void)Esys_FlushContext(esys, ak);
      ak = ESYS_TR_NONE;
      return false;
    }
    return true;
  }

  // Best effort: a missing or unwritable cache only costs the next start the EK path.
  void save_context(const std::string& path) {
    EsysFree<TPMS_CONTEXT> ctx;
    if (Esys_ContextSave(esys, ak, &ctx.p) != TSS2_RC_SUCCESS) return;
    uint8_t buf[sizeof(TPMS_CONTEXT) + 16];
    size_t off = 0;
    if (Tss2_MU_TPMS_CONTEXT_Marshal(ctx.p, buf, sizeof buf, &off) != TSS2_RC_SUCCESS) return;
    const std::string tmp = path + ".tmp";
    (void)::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return;
    const bool ok = ::write(fd, buf, off) == static_cast<ssize_t>(off) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) (void)::unlink(tmp.c_str());
  }

  Status load_blobs(const TPM2B_PUBLIC& pub, const TPM2B_PRIVATE& priv) {
    if (ak != ESYS_TR_NONE) {
      (void)Esys_FlushContext(esys, ak);
      ak = ESYS_TR_NONE;
    }
    ESYS_TR sess = ESYS_TR_NONE;
    LOCUS_TRY(load_ek());
    Status s = ek_session(&sess);
    if (!s.ok()) {
      unload_ek();
      return s;
    }
    TSS2_RC rc = Esys_Load(esys, ek, sess, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &ak);
    flush_session(&sess);
    unload_ek();
    if (rc != TSS2_RC_SUCCESS) {
      ak = ESYS_TR_NONE;
      return fail("Load(AK under EK)", rc);
    }
    return set_ak_info(pub);
  }
};

Tpm::Tpm() : impl_(new Impl) {}
Tpm::~Tpm() {
  close();
}

std::string Tpm::last_error() const {
  return impl_->last_error;
}

void Tpm::close() {
  Impl& m = *impl_;
  if (m.esys != nullptr) {
    if (m.ak != ESYS_TR_NONE) (void)Esys_FlushContext(m.esys, m.ak);
    if (m.ek != ESYS_TR_NONE) (void)Esys_FlushContext(m.esys, m.ek);
    Esys_Finalize(&m.esys);
  }
  m.ak = m.ek = ESYS_TR_NONE;
  if (m.tcti != nullptr) Tss2_TctiLdr_Finalize(&m.tcti);
  m.esys = nullptr;
  m.tcti = nullptr;
}

Status Tpm::open(const std::string& tcti_conf) {
  close();
  Impl& m = *impl_;
  if (tcti_conf.empty() || tcti_conf.size() > 512) return TpmError::kInvalidArgument;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti_conf.c_str(), &m.tcti);
  if (rc != TSS2_RC_SUCCESS) {
    m.last_error = "TctiLdr_Initialize(" + tcti_conf + "): " + Tss2_RC_Decode(rc);
    m.tcti = nullptr;
    return TpmError::kTcti;
  }
  rc = Esys_Initialize(&m.esys, m.tcti, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    m.esys = nullptr;
    Status s = m.fail("Esys_Initialize", rc);
    close();
    return s;
  }
  // The EK is made only when needed (ek(), create_ak, load_ak without a usable saved AK
  // context, activate_credential): on swtpm each CreatePrimary of the RSA EK costs ~35 ms.
  return Status::Ok();
}

Result<EkInfo> Tpm::ek() {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  LOCUS_TRY(m.load_ek());  // also learns the EK public (open() no longer makes the EK)
  EkInfo info;
  uint8_t buf[sizeof(TPMT_PUBLIC)];
  size_t off = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&m.ek_public.publicArea, buf, sizeof(buf), &off) !=
      TSS2_RC_SUCCESS) {
    m.unload_ek();
    return TpmError::kMalformed;
  }
  info.public_area.assign(buf, buf + off);
  const auto& n = m.ek_public.publicArea.unique.rsa;
  info.modulus.assign(n.buffer, n.buffer + n.size);
  // Name = nameAlg || SHA-256(TPMT_PUBLIC), computed by the TPM for the loaded EK.
  EsysFree<TPM2B_NAME> name;
  TSS2_RC rc = Esys_TR_GetName(m.esys, m.ek, &name.p);
  m.unload_ek();
  if (rc != TSS2_RC_SUCCESS) return m.fail("TR_GetName(EK)", rc);
  info.name.assign(name.p->name, name.p->name + name.p->size);

  // EK certificate from NV (absent is not an error here; enrollment refuses it).
  ESYS_TR nv = ESYS_TR_NONE;
  rc = Esys_TR_FromTPMPublic(m.esys, kEkCertNvIndexRsa, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                             &nv);
  if (rc != TSS2_RC_SUCCESS) return info;
  EsysFree<TPM2B_NV_PUBLIC> nvpub;
  EsysFree<TPM2B_NAME> nvname;
  rc =
      Esys_NV_ReadPublic(m.esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nvpub.p, &nvname.p);
  if (rc != TSS2_RC_SUCCESS) {
    (void)Esys_TR_Close(m.esys, &nv);
    return m.fail("NV_ReadPublic(EK cert)", rc);
  }
  uint16_t total = nvpub.p->nvPublic.dataSize;
  uint16_t done = 0;
  for (int guard = 0; done < total && guard < 64; ++guard) {
    uint16_t chunk = static_cast<uint16_t>(total - done > 512 ? 512 : total - done);
    EsysFree<TPM2B_MAX_NV_BUFFER> data;
    rc = Esys_NV_Read(m.esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, chunk, done,
                      &data.p);
    if (rc != TSS2_RC_SUCCESS || data.p->size != chunk) {
      (void)Esys_TR_Close(m.esys, &nv);
      return m.fail("NV_Read(EK cert)", rc);
    }
    info.cert_der.insert(info.cert_der.end(), data.p->buffer, data.p->buffer + data.p->size);
    done = static_cast<uint16_t>(done + chunk);
  }
  (void)Esys_TR_Close(m.esys, &nv);
  if (done != total) return TpmError::kEkCertInvalid;
  // The NV index may be larger than the DER; trim to the outer SEQUENCE length.
  if (info.cert_der.size() >= 4 && info.cert_der[0] == 0x30 && info.cert_der[1] == 0x82) {
    size_t len = 4 + ((static_cast<size_t>(info.cert_der[2]) << 8) | info.cert_der[3]);
    if (len <= info.cert_der.size()) info.cert_der.resize(len);
  }
  return info;
}

Result<AkInfo> Tpm::create_ak(const std::string& blob_path) {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  if (blob_path.empty()) return TpmError::kInvalidArgument;
  int fd = ::open(blob_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    m.last_error = "cannot create " + blob_path + " (exists or not writable)";
    return TpmError::kIo;
  }
  TPM2B_PUBLIC tmpl = ak_template();
  TPM2B_SENSITIVE_CREATE sens{};
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION none{};
  ESYS_TR sess = ESYS_TR_NONE;
  Status s = m.load_ek();
  if (s.ok()) s = m.ek_session(&sess);
  EsysFree<TPM2B_PRIVATE> priv;
  EsysFree<TPM2B_PUBLIC> pub;
  if (s.ok()) {
    TSS2_RC rc = Esys_Create(m.esys, m.ek, sess, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside,
                             &none, &priv.p, &pub.p, nullptr, nullptr, nullptr);
    m.flush_session(&sess);
    if (rc != TSS2_RC_SUCCESS) s = m.fail("Create(AK under EK)", rc);
  }
  m.unload_ek();
  if (s.ok()) {
    uint8_t buf[kMaxBlobFile];
    size_t off = sizeof(kBlobMagic);
    std::memcpy(buf, kBlobMagic, sizeof(kBlobMagic));
    if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub.p, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS ||
        Tss2_MU_TPM2B_PRIVATE_Marshal(priv.p, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS) {
      s = TpmError::kMalformed;
    } else if (::write(fd, buf, off) != static_cast<ssize_t>(off) || ::fsync(fd) != 0) {
      s = TpmError::kIo;
    }
  }
  ::close(fd);
  if (!s.ok()) {
    ::unlink(blob_path.c_str());
    return s;
  }
  LOCUS_TRY(m.load_blobs(*pub.p, *priv.p));
  return m.ak_info;
}

Result<AkInfo> Tpm::load_ak(const std::string& blob_path) {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  int fd = ::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return TpmError::kIo;
  uint8_t buf[kMaxBlobFile];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  if (n < static_cast<ssize_t>(sizeof(kBlobMagic)) || n == static_cast<ssize_t>(sizeof(buf)) ||
      std::memcmp(buf, kBlobMagic, sizeof(kBlobMagic)) != 0) {
    return TpmError::kBadBlob;
  }
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
  size_t off = sizeof(kBlobMagic);
  size_t len = static_cast<size_t>(n);
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &pub) != TSS2_RC_SUCCESS ||
      Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, len, &off, &priv) != TSS2_RC_SUCCESS || off != len) {
    return TpmError::kBadBlob;
  }
  const std::string ctx_path = blob_path + ".ctx";
  if (m.load_saved_context(ctx_path, pub)) return m.ak_info;
  LOCUS_TRY(m.load_blobs(pub, priv));
  m.save_context(ctx_path);
  return m.ak_info;
}

Result<AkInfo> Tpm::ak() const {
  if (impl_->esys == nullptr) return TpmError::kNotOpen;
  if (impl_->ak == ESYS_TR_NONE) return TpmError::kNoAk;
  return impl_->ak_info;
}

Result<std::vector<PcrValue>> Tpm::pcr_read(const std::vector<uint32_t>& pcrs) {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  std::vector<PcrValue> out;
  // PCR_Read returns at most 8 digests per call; read one PCR at a time (bounded by 24).
  for (uint32_t p : pcrs) {
    TPML_PCR_SELECTION sel;
    if (!fill_selection({p}, &sel)) return TpmError::kBadPcrSelection;
    uint32_t counter = 0;
    EsysFree<TPML_PCR_SELECTION> outsel;
    EsysFree<TPML_DIGEST> vals;
    TSS2_RC rc = Esys_PCR_Read(m.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
                               &outsel.p, &vals.p);
    if (rc != TSS2_RC_SUCCESS) return m.fail("PCR_Read", rc);
    if (vals.p->count != 1 || vals.p->digests[0].size != 32) return TpmError::kBadPcrSelection;
    PcrValue v;
    v.index = p;
    std::memcpy(v.value.data(), vals.p->digests[0].buffer, 32);
    out.push_back(v);
  }
  return out;
}

Status Tpm::shutdown() {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  TSS2_RC rc = Esys_Shutdown(m.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_SU_CLEAR);
  if (rc != TSS2_RC_SUCCESS) return m.fail("Shutdown", rc);
  return Status::Ok();
}

Status Tpm::pcr_extend(uint32_t pcr, const Sha256Digest& digest) {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  if (pcr > kMaxPcrIndex) return TpmError::kBadPcrSelection;
  TPML_DIGEST_VALUES d{};
  d.count = 1;
  d.digests[0].hashAlg = TPM2_ALG_SHA256;
  std::memcpy(d.digests[0].digest.sha256, digest.data(), 32);
  TSS2_RC rc = Esys_PCR_Extend(m.esys, static_cast<ESYS_TR>(ESYS_TR_PCR0 + pcr), ESYS_TR_PASSWORD,
                               ESYS_TR_NONE, ESYS_TR_NONE, &d);
  if (rc != TSS2_RC_SUCCESS) return m.fail("PCR_Extend", rc);
  return Status::Ok();
}

Result<QuoteBundle> Tpm::quote(ByteSpan extra_data, const std::vector<uint32_t>& pcrs) {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  if (m.ak == ESYS_TR_NONE) return TpmError::kNoAk;
  if (extra_data.size > sizeof(TPMT_HA)) return TpmError::kInvalidArgument;
  TPML_PCR_SELECTION sel;
  if (!fill_selection(pcrs, &sel)) return TpmError::kBadPcrSelection;
  TPM2B_DATA q{};
  q.size = static_cast<uint16_t>(extra_data.size);
  if (extra_data.size > 0) std::memcpy(q.buffer, extra_data.data, extra_data.size);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme: ECDSA/SHA-256
  // Read, quote, read again: the values handed out must be the ones quoted.
  auto before = pcr_read(pcrs);
  if (!before.ok()) return before.status();
  EsysFree<TPM2B_ATTEST> attest;
  EsysFree<TPMT_SIGNATURE> sig;
  TSS2_RC rc = Esys_Quote(m.esys, m.ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &q, &scheme,
                          &sel, &attest.p, &sig.p);
  if (rc != TSS2_RC_SUCCESS) return m.fail("Quote", rc);
  auto after = pcr_read(pcrs);
  if (!after.ok()) return after.status();
  for (size_t i = 0; i < before->size(); ++i) {
    if ((*before)[i].value != (*after)[i].value) {
      m.last_error = "PCRs changed while quoting; retry";
      return TpmError::kEsys;
    }
  }
  QuoteBundle b;
  b.attest.assign(attest.p->attestationData, attest.p->attestationData + attest.p->size);
  uint8_t buf[sizeof(TPMT_SIGNATURE)];
  size_t off = 0;
  if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig.p, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
    return TpmError::kMalformed;
  b.signature.assign(buf, buf + off);
  b.pcrs = *after;
  b.ak_name = m.ak_info.name;
  return b;
}

Result<QuoteBundle> Tpm::quote_evidence(ByteSpan verifier_nonce, ByteSpan evidence_bytes,
                                        const std::vector<uint32_t>& pcrs) {
  Result<Sha256Digest> ed = quote_extra_data(verifier_nonce, evidence_bytes);
  if (!ed.ok()) return ed.status();
  return quote(ByteSpan(ed.value().data(), ed.value().size()), pcrs);
}

Result<std::vector<uint8_t>> Tpm::activate_credential(const CredentialChallenge& ch) {
  Impl& m = *impl_;
  if (m.esys == nullptr) return TpmError::kNotOpen;
  if (m.ak == ESYS_TR_NONE) return TpmError::kNoAk;
  TPM2B_ID_OBJECT blob{};
  TPM2B_ENCRYPTED_SECRET secret{};
  if (ch.credential_blob.empty() || ch.credential_blob.size() > sizeof(blob.credential) ||
      ch.encrypted_secret.empty() || ch.encrypted_secret.size() > sizeof(secret.secret)) {
    return TpmError::kInvalidArgument;
  }
  blob.size = static_cast<uint16_t>(ch.credential_blob.size());
  std::memcpy(blob.credential, ch.credential_blob.data(), blob.size);
  secret.size = static_cast<uint16_t>(ch.encrypted_secret.size());
  std::memcpy(secret.secret, ch.encrypted_secret.data(), secret.size);
  ESYS_TR sess = ESYS_TR_NONE;
  LOCUS_TRY(m.load_ek());
  Status s = m.ek_session(&sess);
  if (!s.ok()) {
    m.unload_ek();
    return s;
  }
  EsysFree<TPM2B_DIGEST> cert;
  TSS2_RC rc = Esys_ActivateCredential(m.esys, m.ak, m.ek, ESYS_TR_PASSWORD, sess, ESYS_TR_NONE,
                                       &blob, &secret, &cert.p);
  m.flush_session(&sess);
  m.unload_ek();
  if (rc != TSS2_RC_SUCCESS) {
    (void)m.fail("ActivateCredential", rc);
    return TpmError::kActivationFailed;
  }
  std::vector<uint8_t> out(cert.p->buffer, cert.p->buffer + cert.p->size);
  std::memset(cert.p->buffer, 0, sizeof(cert.p->buffer));
  return out;
}

}  // namespace locus::tpm
