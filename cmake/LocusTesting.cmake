# Helpers for CMocka tests registered with CTest.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

# Preset host-fuzz (clang-14 + libFuzzer) sets LOCUS_FUZZ: label "fuzz" then means the
# coverage-guided runs of tests/fuzz only; the CMocka mutation tests that carry "fuzz" in the
# gcc builds are relabelled "replay" there (they run in host-asan; `ctest -L` takes a regex,
# so the new label must not contain "fuzz").
option(LOCUS_FUZZ "Build libFuzzer targets (preset host-fuzz, clang)" OFF)

# locus_add_test(NAME name SOURCES a.cpp ... LIBS lib ... LABELS unit kat ... [TIMEOUT s])
function(locus_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} locus_test_support locus_warnings)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${T_ARGS})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(LOCUS_FUZZ)
    list(TRANSFORM T_LABELS REPLACE "^fuzz$" "replay")
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "LOCUS_SOURCE_DIR=${PROJECT_SOURCE_DIR};LOCUS_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
