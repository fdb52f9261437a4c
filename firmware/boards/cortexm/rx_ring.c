/* The UART receive ring every Cortex-M port shares: the port's RX interrupt pushes, ee_port_getc pops. */
#include "cortexm.h"

#define RX_RING 256u /* a power of two; the host waits for m-ready, so a command never fills it */

static volatile uint8_t s_rx[RX_RING];
static volatile uint32_t s_rx_head; /* written by the interrupt */
static uint32_t s_rx_tail;

void ee_rx_push(uint8_t c)
{
    if (s_rx_head - s_rx_tail < RX_RING) { /* full: the byte is dropped; the host's timeouts tell */
        s_rx[s_rx_head % RX_RING] = c;
        s_rx_head++;
    }
}

int ee_rx_getc(void)
{
    for (;;) {
        ee_disable_irq();
        if (s_rx_head != s_rx_tail) {
            uint8_t c = s_rx[s_rx_tail % RX_RING];
            s_rx_tail++;
            ee_enable_irq();
            return c;
        }
        /* WFI wakes on the pending UART interrupt even with PRIMASK set, so no byte is missed between the
         * check and the sleep; while asleep QEMU does not spin the host CPU. */
        ee_wfi();
        ee_enable_irq();
    }
}
