# cmake -DBAUD=<rate> -P tests/qemu/check_uart_setting.cmake: runs the build-time check of an
# ast1030-evb UART rate (boards/ast1030-evb/uart.cmake) as the firmware build would, and
# prints "baud=B divisor=D actual=A" or stops with the build's error. Registered by
# tests/qemu/CMakeLists.txt (qemu_uart_setting_*): accepted rates must give their divisor,
# rates the UART cannot make must stop the build with a message naming the range.
if(NOT DEFINED BAUD)
  message(FATAL_ERROR "usage: cmake -DBAUD=<rate> -P check_uart_setting.cmake")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../../boards/ast1030-evb/uart.cmake)
locus_ast1030_uart_divisor("${BAUD}" div actual)
message("baud=${BAUD} divisor=${div} actual=${actual}")
