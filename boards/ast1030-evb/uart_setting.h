// The UART5 (board link) line rate of an ast1030-evb image: a link-time setting, one per
// image. boards/ast1030-evb/uart.cmake computes the divisor from the rate in baud and refuses
// a rate the UART cannot make; uart_setting.cpp is compiled once per rate with the result.
//
// The AST1030's UART clock is 24 MHz / 13 = 1,846,153.8 Hz (Aspeed's AST10x0 Zephyr SDK,
// drivers/clock_control/clock_control_ast10x0.c: every UART, UART5 included), so a 16550
// divisor of 1 (the smallest) gives 115,384.6 baud: the fastest this UART allows.
#pragma once

#include <stdint.h>

namespace locus::cm::port::ast1030 {
constexpr uint32_t kUartClockHz24 = 24000000u;  // the UART clock is this / 13
constexpr uint32_t kUartClockDiv = 13u;
// Nominal rate the image was built for (LOCUS_AST1030_UART_BAUD) and the DLL/DLM divisor:
// actual rate = 24 MHz / (13 * 16 * kUartDivisor), within 2 % of kUartBaud.
extern const uint32_t kUartBaud;
extern const uint32_t kUartDivisor;
}  // namespace locus::cm::port::ast1030
