# boards/cortex-m/CortexM.cmake: build helpers shared by the QEMU Cortex-M4 boards.
# Included by each board folder and by tests/qemu/target (firmware flavour only).
#
#   locus_cortex_m_board(<board> PORT ... CONTRACT ...)
#       static library locus_cortex_m_runtime_<board>: reset, vectors, SysTick, semihosting,
#       console + the board's PORT files (UART, timer, watchdog: locus::cm::port), linked
#       with boards/<board>/memory.ld through boards/cortex-m/sections.ld;
#       static library locus_board_<board>: the runtime + the board contract of
#       locus/firmware/board.h (boards/cortex-m/src/board_cortex_m.cpp + the CONTRACT files: entropy,
#       storage). The on-target test suites link the runtime with the fake board of
#       tests/firmware instead of the contract.
#   locus_cortex_m_image(<name> BOARD <board> SOURCES ... [LIBS ...] [RUNTIME_ONLY])
#       executable images/<name>.elf (loaded by qemu -kernel), size report after the link.
include_guard(GLOBAL)


function(locus_cortex_m_board board)
  cmake_parse_arguments(B "" "" "PORT;CONTRACT" ${ARGN})
  set(LOCUS_CORTEX_M_DIR ${CMAKE_CURRENT_FUNCTION_LIST_DIR})
  set(common
    ${LOCUS_CORTEX_M_DIR}/src/startup.cpp
    ${LOCUS_CORTEX_M_DIR}/src/systick.cpp
    ${LOCUS_CORTEX_M_DIR}/src/semihosting.cpp
    ${LOCUS_CORTEX_M_DIR}/src/console.cpp
    ${LOCUS_CORTEX_M_DIR}/src/test_hooks_default.cpp)
  add_library(locus_cortex_m_runtime_${board} STATIC ${common} ${B_PORT})
  target_include_directories(locus_cortex_m_runtime_${board} PUBLIC
    ${LOCUS_CORTEX_M_DIR}/include ${PROJECT_SOURCE_DIR}/firmware/include)
  target_link_libraries(locus_cortex_m_runtime_${board} PUBLIC locus_crypto PRIVATE locus_warnings locus_freestanding)
  target_compile_options(locus_cortex_m_runtime_${board} PRIVATE -Os)
  get_filename_component(bdir ${PROJECT_SOURCE_DIR}/boards/${board} ABSOLUTE)
  target_link_options(locus_cortex_m_runtime_${board} INTERFACE
    -nostartfiles -L${bdir} -T${LOCUS_CORTEX_M_DIR}/sections.ld
    -Wl,-u,g_vectors -Wl,-u,Reset_Handler -Wl,--print-memory-usage
    # mbed TLS (linked after locus_crypto) calls back into the crypto arena.
    -Wl,-u,locus_fw_calloc -Wl,-u,locus_fw_free)
  set_property(TARGET locus_cortex_m_runtime_${board} APPEND PROPERTY INTERFACE_LINK_DEPENDS
    ${bdir}/memory.ld ${LOCUS_CORTEX_M_DIR}/sections.ld)

  add_library(locus_board_${board} STATIC ${LOCUS_CORTEX_M_DIR}/src/board_cortex_m.cpp ${B_CONTRACT})
  target_link_libraries(locus_board_${board} PUBLIC locus_cortex_m_runtime_${board}
    PRIVATE locus_warnings locus_freestanding)
  target_compile_options(locus_board_${board} PRIVATE -Os)
endfunction()

function(locus_cortex_m_image name)
  cmake_parse_arguments(I "RUNTIME_ONLY" "BOARD" "SOURCES;LIBS" ${ARGN})
  set(LOCUS_IMAGE_DIR ${CMAKE_BINARY_DIR}/images)
  add_executable(${name} ${I_SOURCES})
  # The board library goes last: it resolves what the core and the libraries leave open.
  # RUNTIME_ONLY: the image brings its own board contract (the fake board of the suites).
  if(I_RUNTIME_ONLY)
    set(blib locus_cortex_m_runtime_${I_BOARD})
  else()
    set(blib locus_board_${I_BOARD})
  endif()
  target_link_libraries(${name} PRIVATE ${I_LIBS} ${blib} locus_warnings locus_freestanding)
  set_target_properties(${name} PROPERTIES SUFFIX .elf RUNTIME_OUTPUT_DIRECTORY ${LOCUS_IMAGE_DIR})
  target_link_options(${name} PRIVATE -Wl,-Map=${LOCUS_IMAGE_DIR}/${name}.map)
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_SIZE} $<TARGET_FILE:${name}> VERBATIM)
endfunction()
