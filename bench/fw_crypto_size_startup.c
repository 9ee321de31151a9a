/* Link-only startup for bench/fw_crypto_size: a vector table and a reset handler that sets
 * up .data/.bss and calls main. Never run; the boards' real startup lives in boards/. */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);

void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void) {
  for (;;) {
  }
}

void Reset_Handler(void) {
  memcpy(&_sdata, &_sidata, (size_t)((uintptr_t)&_edata - (uintptr_t)&_sdata));
  memset(&_sbss, 0, (size_t)((uintptr_t)&_ebss - (uintptr_t)&_sbss));
  for (void (**f)(void) = __init_array_start; f < __init_array_end; ++f) (*f)();
  (void)main();
  for (;;) {
  }
}

__attribute__((section(".isr_vector"), used)) void (*const g_fw_crypto_size_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack,
    Reset_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
};
