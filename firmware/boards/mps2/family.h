/* Arm MPS2 FPGA images as QEMU models them (hw/arm/mps2.c): mps2-an386 (Cortex-M4F), mps2-an500 (M7).
 * Code in ZBT SSRAM1 at 0x0, data in SSRAM2/3 at 0x20000000, CMSDK UART0 at 0x40004000 (RX interrupt 0),
 * FPGAIO at 0x40028000, 25 MHz system clock driving SysTick. */
#ifndef EE_FAMILY_H
#define EE_FAMILY_H

#ifndef EE_UART_BASE
#define EE_UART_BASE 0x40004000u
#endif
#define EE_UART_RX_IRQ 0
#define EE_NUM_IRQS 32
#define EE_FPGAIO_BASE 0x40028000u
#define EE_SYSTICK_HZ 25000000u
#ifndef EE_CLOCK_HZ
#define EE_CLOCK_HZ EE_SYSTICK_HZ
#endif
#ifndef EE_UART_BAUD
#define EE_UART_BAUD 115200u
#endif
#ifndef EE_BOARD_NAME
#define EE_BOARD_NAME "mps2"
#endif

#endif /* EE_FAMILY_H */
