// locus/firmware/dice.h: the DICE layer of the firmware (DESIGN §2).
//
//   UDS  = board::read_uds()                       (32 bytes, wiped right after use)
//   FWID = board::measure_image()                  (SHA-256 of the image)
//   CDI  = HMAC-SHA256(key = UDS, msg = FWID)      (wiped right after use)
//   DeviceID key = p256_derive_key(seed = UDS, label = "locus DeviceID v1")
//   Alias key    = p256_derive_key(seed = CDI, label = "locus Alias v1")
//   storage key  = HKDF-SHA256(ikm = UDS, info = "locus storage key v1") (journal MACs)
//   UEID = 0x01 || SHA-256(DeviceID public key, 65-byte SEC1)
//   Alias certificate: subject "CN=locus Alias,serialNumber=<ueid hex>", issuer
//   "CN=locus DeviceID,serialNumber=<ueid hex>" (the DeviceID CSR subject, which the
//   manufacturer CA keeps in the DeviceID certificate), serial = first 16 bytes of
//   SHA-256(Alias public key) with the top bit cleared, TcbInfo {FWID, SVN}, signed by the
//   DeviceID key. The DeviceID private key stays in RAM for the life of the boot because the
//   CSR is produced on request; the Alias private key signs evidence and transcripts.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "locus/crypto/p256.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::firmware {

constexpr char kDeviceIdLabel[] = "locus DeviceID v1";
constexpr char kAliasLabel[] = "locus Alias v1";
constexpr char kStorageLabel[] = "locus storage key v1";
constexpr size_t kUeidSize = 33;
constexpr size_t kMaxAliasCert = 768;
constexpr size_t kMaxCsr = 512;

// Buffers that hold the UDS and the CDI while they are in use. The caller owns them so that
// a test can check they are zero afterwards; dice_derive() always wipes them before returning.
struct DiceSecrets {
  uint8_t uds[32];
  uint8_t cdi[32];
};

struct DiceIdentity {
  crypto::P256PrivateKey devid_priv;
  crypto::P256PublicKey devid_pub;
  crypto::P256PrivateKey alias_priv;
  crypto::P256PublicKey alias_pub;
  uint8_t fwid[32] = {};
  uint8_t ueid[kUeidSize] = {};
  char ueid_hex[2 * kUeidSize + 1] = {};
  uint32_t svn = 0;
  uint8_t alias_cert[kMaxAliasCert] = {};
  size_t alias_cert_len = 0;
  // MAC key of the persistent state (store.h): HKDF-SHA256(ikm = UDS, info = kStorageLabel).
  uint8_t storage_key[32] = {};
};

// Derives the whole identity and issues the Alias certificate for `svn`.
Status dice_derive(uint32_t svn, DiceSecrets* secrets, DiceIdentity* out);
// DER CSR for the DeviceID key, subject "CN=locus DeviceID,serialNumber=<ueid hex>".
Status dice_write_csr(const DiceIdentity& id, MutByteSpan out, size_t* out_len);
// Subject names (NUL-terminated) into buf; return false if buf is too small.
bool dice_devid_subject(const DiceIdentity& id, char* buf, size_t cap);
bool dice_alias_subject(const DiceIdentity& id, char* buf, size_t cap);
// Wipes both private keys (shutdown / tests).
void dice_wipe(DiceIdentity* id);

}  // namespace locus::firmware
