/* A tiny bare-metal harness that counts the instructions of generated inference code under QEMU
 * (`qemu-system-arm -M mps2-an386 -icount shift=0 -semihosting-config enable=on,target=native`).
 *
 * With -icount shift=0 every retired instruction advances virtual time by 1 ns, and SysTick on the CPU clock
 * (25 MHz on MPS2) ticks once per 40 instructions, so ticks x 40 counts instructions, reproducibly.
 * For each embedded sample (ee_bench_inputs.h) it runs ee_infer at full depth, then writes to the host file
 * EE_BENCH_OUT (semihosting): uint32 ticks, uint32 stack bytes used by ee_infer (the stack is painted before
 * and scanned after: a measured high-water mark), the result's exit_logits, and the whole arena (so a keep-all
 * plan lets the host compare every tensor). Exits through SYS_EXIT_EXTENDED with 0, or 1 on an error. */
#include <stdint.h>
#include <string.h>

#include "ee_bench_inputs.h"
#include "ee_model.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define CPACR (*(volatile uint32_t *)0xE000ED88u)
#define RELOAD 0xFFFFFFu

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_bottom, __stack_top;

#define STACK_PAINT 0xA5A5A5A5u

/* Paints the free stack below the caller's frame (minus a margin for this function's own frame). */
__attribute__((noinline)) static void paint_stack(void)
{
    volatile uint32_t marker = 0;
    const uintptr_t limit = (uintptr_t)&marker - 128u;
    for (uint32_t *p = &__stack_bottom; (uintptr_t)p < limit; ++p) {
        *p = STACK_PAINT;
    }
}

/* Bytes between the stack top and the deepest word that is no longer paint. */
static uint32_t stack_used(void)
{
    const uint32_t *p = &__stack_bottom;
    while (p < &__stack_top && *p == STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((uintptr_t)&__stack_top - (uintptr_t)p);
}
int main(void);
void ee_bench_reset(void);
void ee_bench_systick(void);
static void ee_bench_fault(void);

static volatile uint32_t wraps;

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top, ee_bench_reset, ee_bench_fault, ee_bench_fault, ee_bench_fault,
    ee_bench_fault, ee_bench_fault, 0, 0, 0, 0, ee_bench_fault, ee_bench_fault, 0, ee_bench_fault, ee_bench_systick,
};

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void semihost_exit(int code)
{
    const uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20u, block);
    for (;;) {
    }
}

static void ee_bench_fault(void)
{
    semihost_exit(3);
}

void ee_bench_systick(void)
{
    wraps++;
}

void ee_bench_reset(void)
{
    uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) {
        *dst++ = 0;
    }
    CPACR |= 0xFu << 20; /* FPU on before any hard-float code */
    __asm volatile("dsb\n isb" ::: "memory");
    semihost_exit(main());
}

static uint64_t ticks(void)
{
    return ((uint64_t)wraps << 24) + ((RELOAD + 1u - SYST_CVR) & RELOAD);
}

static int write_all(uint32_t handle, const void *buf, uint32_t len)
{
    const uint32_t args[3] = {handle, (uint32_t)(uintptr_t)buf, len};
    return semihost(0x05u, args) == 0 ? 0 : -1; /* SYS_WRITE returns the bytes not written */
}

int main(void)
{
    static const char path[] = EE_BENCH_OUT;
    const uint32_t open_args[3] = {(uint32_t)(uintptr_t)path, 5u /* "wb" */, sizeof path - 1u};
    const uint32_t handle = semihost(0x01u, open_args);
    ee_result_t r;
    if (handle == 0xFFFFFFFFu || ee_init() != 0) {
        return 1;
    }
    for (int i = 0; i < EE_BENCH_NUM_INPUTS; ++i) {
        memcpy(ee_input_buffer(), ee_bench_inputs[i], EE_INPUT_SIZE);
        paint_stack();
        SYST_CSR = 0;
        SYST_RVR = RELOAD;
        SYST_CVR = 0;
        wraps = 0;
        SYST_CSR = 7u; /* CPU clock, interrupt on wrap, enable */
        const uint64_t t0 = ticks();
        const int rc = ee_infer(ee_input_buffer(), 1, &r);
        const uint64_t t1 = ticks();
        SYST_CSR = 0;
        const uint32_t elapsed = (uint32_t)(t1 - t0);
        const uint32_t stack = stack_used();
        if (rc < 0 || write_all(handle, &elapsed, 4u) != 0 || write_all(handle, &stack, 4u) != 0 || write_all(handle, r.exit_logits, sizeof r.exit_logits) != 0 ||
            write_all(handle, ee_debug_arena(), EE_ARENA_SIZE) != 0) {
            return 1;
        }
    }
    semihost(0x02u, &handle);
    return 0;
}
