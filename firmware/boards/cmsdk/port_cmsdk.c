/* Board port for Arm's MPS2/MPS3 FPGA images as QEMU emulates them: CMSDK APB UART (interrupt-driven
 * receive, polled transmit), SysTick under -icount shift=0 as an exact instruction counter, FPGAIO LED 0 as
 * the energy-mode timestamp pin, semihosting exit. */
#include <stdint.h>

#include "cortexm.h"
#include "ee_port.h"
#include "family.h"

#define UART_DATA EE_REG32(EE_UART_BASE + 0x00u)
#define UART_STATE EE_REG32(EE_UART_BASE + 0x04u)
#define UART_CTRL EE_REG32(EE_UART_BASE + 0x08u)
#define UART_INTCLEAR EE_REG32(EE_UART_BASE + 0x0Cu)
#define UART_BAUDDIV EE_REG32(EE_UART_BASE + 0x10u)
#define UART_STATE_TXFULL (1u << 0)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_TXEN (1u << 0)
#define UART_CTRL_RXEN (1u << 1)
#define UART_CTRL_RXINTEN (1u << 3)
#define UART_INT_RX (1u << 1)

#define FPGAIO_LED EE_REG32(EE_FPGAIO_BASE + 0x00u)

const char ee_port_counter_kind[] = "systick-icount";
const uint32_t ee_port_clock_hz = EE_CLOCK_HZ;
const char ee_port_board_name[] = EE_BOARD_NAME;

void ee_uart_rx_isr(void)
{
    /* Clear first, then drain: a byte that lands after the last read raises the interrupt again. (Clearing
     * after the drain could lose that byte's interrupt, and with it the UART, which stays full.) */
    UART_INTCLEAR = UART_INT_RX;
    while (UART_STATE & UART_STATE_RXFULL) {
        ee_rx_push((uint8_t)UART_DATA);
    }
}

void ee_port_init(void)
{
    ee_systick_init();
    UART_BAUDDIV = EE_SYSTICK_HZ / EE_UART_BAUD;
    UART_CTRL = UART_CTRL_TXEN | UART_CTRL_RXEN | UART_CTRL_RXINTEN;
    ee_nvic_enable(EE_UART_RX_IRQ);
    ee_enable_irq();
}

void ee_port_putc(uint8_t c)
{
    while (UART_STATE & UART_STATE_TXFULL) {
    }
    UART_DATA = c;
}

int ee_port_getc(void)
{
    return ee_rx_getc();
}

static uint64_t ticks_to_instructions(uint64_t ticks)
{
    /* -icount shift=0: one instruction per nanosecond of virtual time. */
    return (ticks / EE_SYSTICK_HZ) * 1000000000u + (ticks % EE_SYSTICK_HZ) * 1000000000u / EE_SYSTICK_HZ;
}

void ee_port_counter_start(void)
{
    ee_systick_restart();
}

uint64_t ee_port_counter_read(void)
{
    return ticks_to_instructions(ee_systick_since_restart());
}

uint64_t ee_port_time_us(void)
{
    /* Modeled time: instructions taken as cycles of the board clock. */
    uint64_t insn = ticks_to_instructions(ee_systick_now());
    return (insn / EE_CLOCK_HZ) * 1000000u + (insn % EE_CLOCK_HZ) * 1000000u / EE_CLOCK_HZ;
}

void ee_port_timestamp_edge(void)
{
    FPGAIO_LED |= 1u;
    FPGAIO_LED &= ~1u;
}

void ee_port_reset(void)
{
    while (UART_STATE & UART_STATE_TXFULL) {
    }
    ee_dsb();
    EE_SCB_AIRCR = EE_SCB_AIRCR_SYSRESETREQ;
    ee_dsb();
    for (;;) {
    }
}

void ee_port_exit(int code)
{
    ee_semihost_exit(code);
}
