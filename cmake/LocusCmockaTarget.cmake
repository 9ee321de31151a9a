# CMocka for the Cortex-M test images (firmware flavour only).
#
# Debian ships CMocka for the host (libcmocka-dev) but no arm-none-eabi build, so, as with
# mbed TLS, scripts/bootstrap.sh fetches Debian 12's own source package (`apt-get source
# cmocka/bookworm`, 1.1.5 like the host library) into .deps/, and this file compiles its one
# source file, src/cmocka.c, for the target: newlib (nano) gives stdio, malloc and setjmp,
# tests/qemu/target/newlib_semihosting.cpp routes stdout/stderr and exit through the boards'
# ARM semihosting layer (boards/cortex-m). No CMake of CMocka's own is run.
#
#   locus_cmocka_target   static library, include dir <cmocka>/include
include_guard(GLOBAL)

set(LOCUS_CMOCKA_DIR "" CACHE PATH "CMocka 1.1 source tree (default: the one scripts/bootstrap.sh fetched into .deps/)")
include(LocusDeps)
locus_deps_source(LOCUS_CMOCKA_DIR "cmocka-1.1.*" "CMocka 1.1 (for the on-target test suites)")
if(NOT EXISTS "${LOCUS_CMOCKA_DIR}/src/cmocka.c" OR NOT EXISTS "${LOCUS_CMOCKA_DIR}/include/cmocka.h")
  message(FATAL_ERROR "LOCUS_CMOCKA_DIR=${LOCUS_CMOCKA_DIR} is not a CMocka source tree")
endif()
file(STRINGS "${LOCUS_CMOCKA_DIR}/CMakeLists.txt" _cmocka_ver REGEX "project\\(cmocka VERSION 1\\.1\\.")
if(_cmocka_ver STREQUAL "")
  message(FATAL_ERROR "LOCUS_CMOCKA_DIR must hold CMocka 1.1.x (${LOCUS_CMOCKA_DIR})")
endif()
message(STATUS "locus: CMocka (target) from ${LOCUS_CMOCKA_DIR}")

add_library(locus_cmocka_target STATIC "${LOCUS_CMOCKA_DIR}/src/cmocka.c")
target_include_directories(locus_cmocka_target SYSTEM PUBLIC "${LOCUS_CMOCKA_DIR}/include")
# What CMocka's ConfigureChecks.cmake finds in newlib for arm-none-eabi (headers and
# functions only: no sigsetjmp, no clock_gettime, no thread-local storage, no malloc.h).
target_compile_definitions(locus_cmocka_target PRIVATE
  HAVE_INTTYPES_H=1 HAVE_SIGNAL_H=1 HAVE_STRINGS_H=1 HAVE_SETJMP_H=1 HAVE_STDARG_H=1
  HAVE_STDDEF_H=1 HAVE_STDINT_H=1 HAVE_STDIO_H=1 HAVE_STDLIB_H=1 HAVE_STRING_H=1
  HAVE_CALLOC=1 HAVE_EXIT=1 HAVE_FPRINTF=1 HAVE_SNPRINTF=1 HAVE_VSNPRINTF=1 HAVE_FREE=1
  HAVE_LONGJMP=1 HAVE_MALLOC=1 HAVE_MEMCPY=1 HAVE_MEMSET=1 HAVE_PRINTF=1 HAVE_SETJMP=1
  HAVE_SIGNAL=1 HAVE_STRCMP=1 HAVE_STRCPY=1 HAVE_STRSIGNAL=1 WORDS_SIZEOF_VOID_P=4
  # newlib-nano's printf has no C99 length modifiers ("%zd" would print "zd"); size_t is
  # 32 bits here.
  "PRIdS=\"d\"")
target_compile_options(locus_cmocka_target PRIVATE -Os -w)
