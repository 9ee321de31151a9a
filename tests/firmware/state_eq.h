// Field-by-field equality of PersistentState (tests only).
#pragma once

#include <string.h>

#include "locus/firmware/store.h"

inline bool state_eq(const locus::firmware::PersistentState& a,
                     const locus::firmware::PersistentState& b) {
  return a.boot_count == b.boot_count && a.license_counter == b.license_counter &&
         a.min_svn == b.min_svn && a.has_verifier_key == b.has_verifier_key &&
         memcmp(a.verifier_key, b.verifier_key, 65) == 0 &&
         a.rotation_counter == b.rotation_counter && a.devid_cert_len == b.devid_cert_len &&
         memcmp(a.devid_cert, b.devid_cert, a.devid_cert_len) == 0;
}
