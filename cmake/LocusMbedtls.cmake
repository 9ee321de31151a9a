# Builds mbed TLS 3.6 from source inside our build, with our own config headers:
#   mbedtls_locus       host tools      (crypto/config/locus_mbedtls_host.h)
#   mbedtls_locus       firmware        (crypto/config/locus_mbedtls_fw.h)
# Only library/*.c is compiled; mbed TLS's own CMake (programs, tests) is not used.
include(LocusDeps)
locus_deps_source(LOCUS_MBEDTLS_DIR "mbedtls-3.6.*" "mbed TLS 3.6")
if(NOT EXISTS "${LOCUS_MBEDTLS_DIR}/include/mbedtls/build_info.h")
  message(FATAL_ERROR "LOCUS_MBEDTLS_DIR=${LOCUS_MBEDTLS_DIR} is not an mbed TLS source tree")
endif()
file(STRINGS "${LOCUS_MBEDTLS_DIR}/include/mbedtls/build_info.h" _ver REGEX "#define MBEDTLS_VERSION_STRING ")
if(NOT _ver MATCHES "\"3\\.6\\.")
  message(FATAL_ERROR "LOCUS_MBEDTLS_DIR must hold mbed TLS 3.6 LTS (found: ${_ver})")
endif()
message(STATUS "locus: mbed TLS from ${LOCUS_MBEDTLS_DIR}")

if(LOCUS_FIRMWARE)
  set(_cfg locus_mbedtls_fw.h)
else()
  set(_cfg locus_mbedtls_host.h)
endif()

file(GLOB _mbedtls_srcs "${LOCUS_MBEDTLS_DIR}/library/*.c")
add_library(mbedtls_locus STATIC ${_mbedtls_srcs})
target_include_directories(mbedtls_locus SYSTEM PUBLIC
  "${LOCUS_MBEDTLS_DIR}/include" "${PROJECT_SOURCE_DIR}/crypto/config")
target_include_directories(mbedtls_locus PRIVATE "${LOCUS_MBEDTLS_DIR}/library")
target_compile_definitions(mbedtls_locus PUBLIC "MBEDTLS_CONFIG_FILE=\"${_cfg}\"")
if(LOCUS_FIRMWARE)
  # A static image at fixed addresses: no PIC, so no GOT indirection (smaller, faster, and
  # nothing for the linker script to keep in flash).
  target_compile_options(mbedtls_locus PRIVATE -Os)
else()
  # Host: the static library also ends up in shared objects / PIE executables.
  set_target_properties(mbedtls_locus PROPERTIES POSITION_INDEPENDENT_CODE ON)
endif()
