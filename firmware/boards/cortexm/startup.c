/* Reset and vector table for every Cortex-M family: FPU on, .data copied, .bss zeroed, then main().
 * The family header gives the number of external interrupts and the UART receive interrupt. */
#include <stdint.h>

#include "cortexm.h"
#include "ee_port.h"
#include "family.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[], __stack_bottom[],
    __stack_top[];

#define STACK_PAINT 0x5AC4C0DEu
int main(void);
void ee_systick_isr(void);
void ee_uart_rx_isr(void);
void ee_fault_isr(void);

void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* Full access to CP10/CP11 before any floating-point or MVE instruction runs. */
    EE_SCB_CPACR |= 0xFu << 20;
    ee_dsb();
    ee_isb();
#endif
    /* Paint the stack below this frame (64 bytes of margin), for the high-water mark. */
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_bottom; p < sp - 16;) {
        *p++ = STACK_PAINT;
    }
    const uint32_t *src = __data_load;
    for (uint32_t *dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0;
    }
    ee_port_exit(main());
}

void ee_port_stack_usage(uint32_t *used, uint32_t *size)
{
    const uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == STACK_PAINT) {
        p++;
    }
    *used = (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
    *size = (uint32_t)((uintptr_t)__stack_top - (uintptr_t)__stack_bottom);
}

static void default_isr(void)
{
    ee_fault_isr();
}

typedef void (*ee_vector)(void);

/* The range initializer fills every interrupt; the UART's entry then overrides its slot. */
#pragma GCC diagnostic ignored "-Woverride-init"

__attribute__((section(".vectors"), used)) const ee_vector ee_vectors[16 + EE_NUM_IRQS] = {
    [0] = (ee_vector)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = ee_fault_isr,  /* NMI */
    [3] = ee_fault_isr,  /* HardFault */
    [4] = ee_fault_isr,  /* MemManage */
    [5] = ee_fault_isr,  /* BusFault */
    [6] = ee_fault_isr,  /* UsageFault */
    [7] = ee_fault_isr,  /* SecureFault (Armv8-M) */
    [11] = default_isr,  /* SVCall */
    [12] = default_isr,  /* DebugMonitor */
    [14] = default_isr,  /* PendSV */
    [15] = ee_systick_isr,
    [16 ... 16 + EE_NUM_IRQS - 1] = default_isr,
    [16 + EE_UART_RX_IRQ] = ee_uart_rx_isr,
};
