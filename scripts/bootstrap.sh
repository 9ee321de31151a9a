#!/usr/bin/env bash
# Installs what locus needs on Debian 12 and fetches the mbed TLS 3.6 source.
# Idempotent: when everything is present it only checks and returns (< 1 s).
#
#   scripts/bootstrap.sh            install missing packages, fetch mbed TLS
#   scripts/bootstrap.sh --test     also the packages only the tests need (TEST_PACKAGES:
#                                   headless Chromium for the fleet page, promtool for
#                                   /metrics, python3-jwt for the EAR check); scripts/test.sh
#                                   passes it, the demo does not
#   LOCUS_MBEDTLS_DIR=/path ...     use another mbed TLS 3.6 source tree instead
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="${ROOT}/.deps"

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib binutils-arm-none-eabi
  qemu-system-arm
  libcmocka-dev
  libtss2-dev swtpm swtpm-tools tpm2-tools
  libsqlite3-dev sqlite3 libpq-dev postgresql
  libboost-dev
  nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libtomlplusplus-dev
  python3 python3-cbor2 python3-cryptography openssl libssl-dev
  libgeographiclib-dev
  clang-14 libclang-rt-14-dev llvm-14 clang-format-14 clang-tidy-14
  iproute2 valgrind dpkg-dev
)
# Only for the test suite (scripts/test.sh passes --test): a browser and two independent
# checkers are not something a verifier host needs.
TEST_PACKAGES=(chromium prometheus python3-jwt)
for arg in "$@"; do
  case "$arg" in
    --test) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
    *) printf '[bootstrap] unknown argument: %s (known: --test)\n' "$arg" >&2; exit 2 ;;
  esac
done

log() { printf '[bootstrap] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "all ${#PACKAGES[@]} Debian packages present"
fi

# mbed TLS 3.6 LTS from Debian 13's source package (Debian 12 ships the end-of-life 2.28).
if [ -n "${LOCUS_MBEDTLS_DIR:-}" ]; then
  log "using mbed TLS from LOCUS_MBEDTLS_DIR=${LOCUS_MBEDTLS_DIR}"
  exit 0
fi
if ls -d "${DEPS}"/mbedtls-3.6.*/library >/dev/null 2>&1; then
  log "mbed TLS source present: $(ls -d "${DEPS}"/mbedtls-3.6.* | head -1)"
  exit 0
fi
SRC_LIST=/etc/apt/sources.list.d/locus-trixie-src.list
if [ ! -f "$SRC_LIST" ]; then
  log "adding deb-src entry for Debian 13 (trixie) in ${SRC_LIST}"
  echo "deb-src http://deb.debian.org/debian trixie main" | $SUDO tee "$SRC_LIST" >/dev/null
  $SUDO apt-get update -qq
fi
mkdir -p "${DEPS}"
log "fetching mbed TLS source (apt-get source mbedtls) into ${DEPS}"
( cd "${DEPS}" && apt-get source -qq mbedtls >/dev/null 2>&1 ) || {
  $SUDO apt-get update -qq
  ( cd "${DEPS}" && apt-get source -qq mbedtls >/dev/null )
}
dir="$(ls -d "${DEPS}"/mbedtls-3.6.* 2>/dev/null | head -1 || true)"
if [ -z "$dir" ] || [ ! -d "$dir/library" ]; then
  log "error: apt-get source mbedtls did not give an mbed TLS 3.6 tree in ${DEPS}"
  exit 1
fi
log "mbed TLS source ready: $dir"
