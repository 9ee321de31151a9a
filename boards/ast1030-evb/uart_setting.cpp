// One UART5 rate for ast1030-evb images (see uart_setting.h). Built only by
// locus_ast1030_uart_setting() (uart.cmake), which passes the rate and its divisor. The
// board's runtime library carries the build's default (LOCUS_AST1030_UART_BAUD); an image
// that lists another setting's object among its sources defines the two constants first, so
// the linker never pulls the default's archive member (and both at once would not link).
#include "uart_setting.h"

#if !defined(LOCUS_AST1030_UART_BAUD) || !defined(LOCUS_AST1030_UART_DIVISOR)
#error "compiled by locus_ast1030_uart_setting() (boards/ast1030-evb/uart.cmake) only"
#endif

namespace locus::cm::port::ast1030 {
namespace {
// The same checks as uart.cmake, so a hand-made definition cannot slip through.
constexpr uint64_t kClockX13 = uint64_t{kUartClockHz24};  // the UART clock times 13, in Hz
constexpr uint64_t kMade = uint64_t{kUartClockDiv} * 16u * LOCUS_AST1030_UART_BAUD *
                           LOCUS_AST1030_UART_DIVISOR;  // 13 * 16 * baud * divisor
constexpr uint64_t kOff = kMade > kClockX13 ? kMade - kClockX13 : kClockX13 - kMade;
static_assert(LOCUS_AST1030_UART_DIVISOR >= 1u && LOCUS_AST1030_UART_DIVISOR <= 0xFFFFu,
              "the 16550 divisor (DLL/DLM) is 1..65535");
static_assert(kOff * 50u <= kMade, "the divisor misses the rate by more than 2 %");
}  // namespace

const uint32_t kUartBaud = LOCUS_AST1030_UART_BAUD;
const uint32_t kUartDivisor = LOCUS_AST1030_UART_DIVISOR;
}  // namespace locus::cm::port::ast1030
