/* The few Armv7-M / Armv8-M core registers this firmware touches (no CMSIS dependency). */
#ifndef EE_CORTEXM_H
#define EE_CORTEXM_H

#include <stdint.h>

#define EE_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define EE_SCB_ICSR EE_REG32(0xE000ED04u)
#define EE_SCB_ICSR_PENDSTSET (1u << 26)
#define EE_SCB_ICSR_PENDSTCLR (1u << 25)
#define EE_SCB_VTOR EE_REG32(0xE000ED08u)
#define EE_SCB_AIRCR EE_REG32(0xE000ED0Cu)
#define EE_SCB_AIRCR_SYSRESETREQ (0x05FA0000u | (1u << 2))
#define EE_SCB_CPACR EE_REG32(0xE000ED88u)
#define EE_SCB_DEMCR EE_REG32(0xE000EDFCu)
#define EE_SCB_DEMCR_TRCENA (1u << 24)

#define EE_SYST_CSR EE_REG32(0xE000E010u)
#define EE_SYST_RVR EE_REG32(0xE000E014u)
#define EE_SYST_CVR EE_REG32(0xE000E018u)
#define EE_SYST_CSR_ENABLE (1u << 0)
#define EE_SYST_CSR_TICKINT (1u << 1)
#define EE_SYST_CSR_CLKSOURCE (1u << 2) /* 1: the processor clock */

#define EE_NVIC_ISER(n) EE_REG32(0xE000E100u + 4u * (n))
#define EE_NVIC_ICPR(n) EE_REG32(0xE000E280u + 4u * (n))

#define EE_DWT_CTRL EE_REG32(0xE0001000u)
#define EE_DWT_CYCCNT EE_REG32(0xE0001004u)
#define EE_DWT_LAR EE_REG32(0xE0001FB0u)

static inline uint32_t ee_irq_save(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void ee_irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

static inline void ee_nvic_enable(uint32_t irq)
{
    EE_NVIC_ICPR(irq / 32u) = 1u << (irq % 32u);
    EE_NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

#define ee_dsb() __asm volatile("dsb" ::: "memory")
#define ee_isb() __asm volatile("isb" ::: "memory")
#define ee_wfi() __asm volatile("wfi" ::: "memory")
#define ee_enable_irq() __asm volatile("cpsie i" ::: "memory")
#define ee_disable_irq() __asm volatile("cpsid i" ::: "memory")

/* The UART receive ring (rx_ring.c): the port's RX interrupt pushes each byte, ee_port_getc waits for one. */
void ee_rx_push(uint8_t c);
int ee_rx_getc(void);

/* The 64-bit SysTick clock (systick.c): ticks of the processor clock since ee_systick_init(). */
void ee_systick_init(void);
uint64_t ee_systick_now(void);
/* Ticks since the last restart; ee_systick_restart() zeroes SYST_CVR so that a stage's count does not depend
 * on the phase of the tick (this keeps instruction counts reproducible under QEMU -icount). */
uint64_t ee_systick_since_restart(void);
void ee_systick_restart(void);

/* Semihosting SYS_EXIT_EXTENDED (QEMU: -semihosting-config enable=on,target=native). Only for emulated
 * boards: on hardware without a debugger the BKPT faults. */
void ee_semihost_exit(int code);

#endif /* EE_CORTEXM_H */
