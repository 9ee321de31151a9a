#!/usr/bin/env bash
# Installs what locus needs on Debian 12 and fetches two source packages into .deps/:
# mbed TLS 3.6 (Debian 13's; Debian 12 ships 2.28) and CMocka 1.1 (Debian 12's, cross-built
# for the on-target test suites: Debian has no arm-none-eabi build of it).
# Idempotent: when everything is present it only checks and returns (< 1 s).
#
#   scripts/bootstrap.sh            install missing packages, fetch mbed TLS and CMocka
#   scripts/bootstrap.sh --test     also the packages only the tests need (TEST_PACKAGES:
#                                   headless Chromium for the fleet page, promtool for
#                                   /metrics, python3-jwt for the EAR check); scripts/test.sh
#                                   passes it, the demo does not
#   LOCUS_MBEDTLS_DIR=/path ...     use another mbed TLS 3.6 source tree instead
#   LOCUS_CMOCKA_DIR=/path ...      use another CMocka 1.1 source tree instead
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
  libboost-dev libgoogle-perftools-dev
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

# Source packages into .deps/ (kept out of git):
#   mbed TLS 3.6 LTS from Debian 13 (trixie): Debian 12 ships the end-of-life 2.28.
#   CMocka 1.1 from Debian 12 (bookworm), the same version as libcmocka-dev, cross-built for
#   the on-target test suites (cmake/LocusCmockaTarget.cmake).
mkdir -p "${DEPS}"
# fetch_source NAME SUITE GLOB CHECK_FILE OVERRIDE_VAR
fetch_source() {
  local name="$1" suite="$2" glob="$3" check="$4" override="$5"
  if [ -n "${!override:-}" ]; then
    log "using ${name} from ${override}=${!override}"
    return 0
  fi
  local have
  have="$(ls -d "${DEPS}"/${glob} 2>/dev/null | head -1 || true)"
  if [ -n "$have" ] && [ -e "$have/$check" ]; then
    log "${name} source present: ${have}"
    return 0
  fi
  local list="/etc/apt/sources.list.d/locus-${suite}-src.list"
  if [ ! -f "$list" ]; then
    log "adding deb-src entry for Debian ${suite} in ${list}"
    echo "deb-src http://deb.debian.org/debian ${suite} main" | $SUDO tee "$list" >/dev/null
    $SUDO apt-get update -qq
  fi
  log "fetching ${name} source (apt-get source ${name}/${suite}) into ${DEPS}"
  ( cd "${DEPS}" && apt-get source -qq "${name}/${suite}" >/dev/null 2>&1 ) || {
    $SUDO apt-get update -qq
    ( cd "${DEPS}" && apt-get source -qq "${name}/${suite}" >/dev/null )
  }
  have="$(ls -d "${DEPS}"/${glob} 2>/dev/null | head -1 || true)"
  if [ -z "$have" ] || [ ! -e "$have/$check" ]; then
    log "error: apt-get source ${name}/${suite} did not give a ${glob} tree in ${DEPS}"
    exit 1
  fi
  log "${name} source ready: ${have}"
}
fetch_source mbedtls trixie "mbedtls-3.6.*" library LOCUS_MBEDTLS_DIR
fetch_source cmocka bookworm "cmocka-1.1.*" src/cmocka.c LOCUS_CMOCKA_DIR
