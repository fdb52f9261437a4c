/* SysTick as a free-running 64-bit tick counter: 24-bit down-counter reloaded at 0xFFFFFF, with the
 * wrap interrupt counting the upper bits. Under QEMU with -icount shift=0 one tick is exactly
 * 1e9 / EE_SYSTICK_HZ retired instructions (40 on MPS2's 25 MHz), independent of host load. */
#include "cortexm.h"

#define RELOAD 0xFFFFFFu

static volatile uint32_t s_wraps; /* wraps since the last restart */
static uint64_t s_base;           /* ticks accumulated before the last restart */

void ee_systick_isr(void)
{
    s_wraps++;
}

void ee_systick_init(void)
{
    EE_SYST_CSR = 0;
    EE_SYST_RVR = RELOAD;
    EE_SYST_CVR = 0;
    s_wraps = 0;
    s_base = 0;
    EE_SYST_CSR = EE_SYST_CSR_CLKSOURCE | EE_SYST_CSR_TICKINT | EE_SYST_CSR_ENABLE;
}

/* Interrupts must be masked: a wrap that has happened but not been serviced shows as PENDSTSET. */
static uint64_t since_restart_locked(void)
{
    uint32_t pending, cvr;
    do {
        pending = EE_SCB_ICSR & EE_SCB_ICSR_PENDSTSET;
        cvr = EE_SYST_CVR;
    } while (pending != (EE_SCB_ICSR & EE_SCB_ICSR_PENDSTSET));
    uint32_t wraps = s_wraps + (pending ? 1u : 0u);
    /* CVR is 0 right after a restart or a wrap and reloads to RELOAD on the next tick. */
    return ((uint64_t)wraps << 24) + ((RELOAD + 1u - cvr) & RELOAD);
}

uint64_t ee_systick_since_restart(void)
{
    uint32_t key = ee_irq_save();
    uint64_t t = since_restart_locked();
    ee_irq_restore(key);
    return t;
}

uint64_t ee_systick_now(void)
{
    uint32_t key = ee_irq_save();
    uint64_t t = s_base + since_restart_locked();
    ee_irq_restore(key);
    return t;
}

void ee_systick_restart(void)
{
    uint32_t key = ee_irq_save();
    s_base += since_restart_locked();
    EE_SCB_ICSR = EE_SCB_ICSR_PENDSTCLR;
    EE_SYST_CVR = 0;
    s_wraps = 0;
    ee_irq_restore(key);
}
