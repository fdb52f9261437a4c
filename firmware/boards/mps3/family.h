/* Arm MPS3 AN547 (Corstone SSE-300, Cortex-M55) as QEMU models it (hw/arm/mps2-tz.c). The core starts in
 * Secure state with the SAU off, so every address is Secure and no TrustZone set-up is needed. Code in the
 * ITCM at 0x0 (512 KiB), data in the DTCM at 0x20000000 (512 KiB), CMSDK UART0 at 0x49303000 (RX interrupt
 * 33), FPGAIO at 0x49302000, 32 MHz system clock driving SysTick. */
#ifndef EE_FAMILY_H
#define EE_FAMILY_H

#ifndef EE_UART_BASE
#define EE_UART_BASE 0x49303000u
#endif
#define EE_UART_RX_IRQ 33
#define EE_NUM_IRQS 64
#define EE_FPGAIO_BASE 0x49302000u
#define EE_SYSTICK_HZ 32000000u
#ifndef EE_CLOCK_HZ
#define EE_CLOCK_HZ EE_SYSTICK_HZ
#endif
#ifndef EE_UART_BAUD
#define EE_UART_BAUD 115200u
#endif
#ifndef EE_BOARD_NAME
#define EE_BOARD_NAME "mps3"
#endif

#endif /* EE_FAMILY_H */
