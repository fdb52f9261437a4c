/* Fault handler shared by every Cortex-M port: one line naming the faulting address and the CFSR, then the
 * port's exit (QEMU: semihosting exit code 3; hardware: halt), so that a host sees a reason instead of a
 * silent hang. */
#include <stdint.h>

#include "cortexm.h"
#include "ee_port.h"

static void put_str(const char *s)
{
    while (*s) {
        ee_port_putc((uint8_t)*s++);
    }
}

static void put_hex(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4) {
        ee_port_putc((uint8_t)"0123456789abcdef"[(v >> shift) & 0xFu]);
    }
}

__attribute__((used)) static void fault_report(const uint32_t *frame)
{
    put_str("m-ee-fault-[pc=");
    put_hex(frame[6]);
    put_str(",cfsr=");
    put_hex(EE_REG32(0xE000ED28u));
    put_str("]\r\n");
    ee_port_exit(3);
}

__attribute__((naked)) void ee_fault_isr(void)
{
    __asm volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n b fault_report\n");
}
