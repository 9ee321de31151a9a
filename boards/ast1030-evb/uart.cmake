# boards/ast1030-evb/uart.cmake: the UART5 (board link) rate of ast1030-evb images.
# Included by boards/ast1030-evb (firmware build) and by tests/qemu (host build, which reads
# the firmware build's LOCUS_AST1030_UART_BAUD and computes the same divisors).
#
# The AST1030's UART clock is 24 MHz / 13 = 1,846,153.8 Hz (Aspeed's AST10x0 Zephyr SDK:
# drivers/clock_control/clock_control_ast10x0.c, aspeed_clock_control_get_rate, every UART;
# drivers/serial/uart_aspeed.c computes divisor = clock / (16 * baud)). A 16550 divides it by
# 16 * divisor, divisor 1..65535: 115,384.6 baud at divisor 1 is the fastest the UART allows.
#
#   locus_ast1030_uart_divisor(<baud> <out_divisor> <out_actual_baud>)
#       the divisor nearest to <baud> and the rate it makes (whole baud); FATAL_ERROR when
#       <baud> is not a whole number or no divisor comes within 2 % of it (a UART link
#       tolerates ~2 % between the two ends).
#   locus_ast1030_uart_second(<default_baud> <out_baud>)
#       the one other rate the firmware build makes an image for (tests and benches compare
#       the two): the fastest (115200) unless the default already is, then 19200
#       (divisor 6; not 9600, whose divisor 12 is what QEMU's 16550 holds at reset, so a
#       test could not tell it from a divisor never written).
#   locus_ast1030_uart_setting(<target> <baud>)   (firmware build)
#       OBJECT library <target>: uart_setting.cpp compiled for <baud> and its divisor.
include_guard(GLOBAL)
set(LOCUS_AST1030_UART_DIR ${CMAKE_CURRENT_LIST_DIR})

function(locus_ast1030_uart_divisor baud out_div out_actual)
  if(NOT baud MATCHES "^[1-9][0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?$")
    message(FATAL_ERROR "LOCUS_AST1030_UART_BAUD='${baud}': not a rate in baud (a whole number, 1..999999999)")
  endif()
  # rate = 24e6 / (13 * 16 * divisor) = 24e6 / (208 * divisor); nearest divisor, rounded.
  math(EXPR div "(24000000 + 104 * ${baud}) / (208 * ${baud})")
  if(div LESS 1)
    set(div 1)
  endif()
  if(div GREATER 65535)
    set(div 65535)
  endif()
  math(EXPR made "208 * ${baud} * ${div}")
  math(EXPR off "24000000 - ${made}")
  if(off LESS 0)
    math(EXPR off "0 - ${off}")
  endif()
  math(EXPR actual "24000000 / (208 * ${div})")
  math(EXPR off_permille "${off} * 1000 / ${made}")
  math(EXPR off_50 "${off} * 50")
  if(off_50 GREATER made)
    message(FATAL_ERROR "LOCUS_AST1030_UART_BAUD=${baud} is not a rate the AST1030 UART can make: "
      "its clock is 24 MHz / 13 = 1846153 Hz, divided by 16 x divisor (1..65535), so rates run "
      "from 2 to 115384 baud (divisor 1, the fastest); the nearest divisor ${div} gives "
      "${actual} baud, ${off_permille} per mille off (more than 2 %)")
  endif()
  set(${out_div} ${div} PARENT_SCOPE)
  set(${out_actual} ${actual} PARENT_SCOPE)
endfunction()

function(locus_ast1030_uart_second default_baud out_baud)
  locus_ast1030_uart_divisor(${default_baud} div actual)
  if(div EQUAL 1)
    set(${out_baud} 19200 PARENT_SCOPE)
  else()
    set(${out_baud} 115200 PARENT_SCOPE)
  endif()
endfunction()

function(locus_ast1030_uart_setting target baud)
  locus_ast1030_uart_divisor(${baud} div actual)
  add_library(${target} OBJECT ${LOCUS_AST1030_UART_DIR}/uart_setting.cpp)
  target_compile_definitions(${target} PRIVATE
    LOCUS_AST1030_UART_BAUD=${baud}u LOCUS_AST1030_UART_DIVISOR=${div}u)
  target_compile_options(${target} PRIVATE -Os)
  target_link_libraries(${target} PRIVATE locus_warnings locus_freestanding)
  message(STATUS "ast1030-evb UART5 setting ${target}: ${baud} baud = divisor ${div} (${actual} baud)")
endfunction()
