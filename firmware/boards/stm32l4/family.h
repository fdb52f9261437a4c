/* STM32L4+ (STM32L4R5ZI on NUCLEO-L4R5ZI): Cortex-M4F at 120 MHz from MSI 4 MHz x PLL (range 1 boost mode,
 * 5 flash wait states); the ST-LINK virtual COM port is LPUART1 on PG7 (TX) / PG8 (RX), AF8, powered through
 * VDDIO2; DWT CYCCNT counts core cycles; the energy-mode timestamp is a falling edge on PF13 (Arduino D7).
 * Register addresses and bits from RM0432 (STM32L4+ reference manual). Built and linked by the tests; it has
 * not been run on a board yet. */
#ifndef EE_FAMILY_H
#define EE_FAMILY_H

#define EE_UART_RX_IRQ 70 /* LPUART1 */
#define EE_NUM_IRQS 96
#ifndef EE_CLOCK_HZ
#define EE_CLOCK_HZ 120000000u
#endif
#ifndef EE_UART_BAUD
#define EE_UART_BAUD 115200u
#endif
#ifndef EE_BOARD_NAME
#define EE_BOARD_NAME "stm32l4"
#endif

#endif /* EE_FAMILY_H */
