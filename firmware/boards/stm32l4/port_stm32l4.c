/* Board port for STM32L4+ (see family.h): PLL clock, LPUART1 (interrupt-driven receive, polled transmit),
 * DWT cycle counter, SysTick time base, GPIO timestamp pin. */
#include <stdint.h>

#include "cortexm.h"
#include "ee_port.h"
#include "family.h"

#define RCC_BASE 0x40021000u
#define RCC_CR EE_REG32(RCC_BASE + 0x00u)
#define RCC_CFGR EE_REG32(RCC_BASE + 0x08u)
#define RCC_PLLCFGR EE_REG32(RCC_BASE + 0x0Cu)
#define RCC_AHB2ENR EE_REG32(RCC_BASE + 0x4Cu)
#define RCC_APB1ENR1 EE_REG32(RCC_BASE + 0x58u)
#define RCC_APB1ENR2 EE_REG32(RCC_BASE + 0x5Cu)
#define RCC_CCIPR EE_REG32(RCC_BASE + 0x88u)
#define PWR_CR1 EE_REG32(0x40007000u)
#define PWR_CR2 EE_REG32(0x40007004u)
#define PWR_SR2 EE_REG32(0x40007014u)
#define PWR_CR5 EE_REG32(0x40007080u)
#define FLASH_ACR EE_REG32(0x40022000u)

#define GPIOF_BASE 0x48001400u
#define GPIOG_BASE 0x48001800u
#define GPIO_MODER(b) EE_REG32((b) + 0x00u)
#define GPIO_OSPEEDR(b) EE_REG32((b) + 0x08u)
#define GPIO_BSRR(b) EE_REG32((b) + 0x18u)
#define GPIO_AFRL(b) EE_REG32((b) + 0x20u)
#define GPIO_AFRH(b) EE_REG32((b) + 0x24u)

#define LPUART_BASE 0x40008000u
#define LPUART_CR1 EE_REG32(LPUART_BASE + 0x00u)
#define LPUART_BRR EE_REG32(LPUART_BASE + 0x0Cu)
#define LPUART_ISR EE_REG32(LPUART_BASE + 0x1Cu)
#define LPUART_ICR EE_REG32(LPUART_BASE + 0x20u)
#define LPUART_RDR EE_REG32(LPUART_BASE + 0x24u)
#define LPUART_TDR EE_REG32(LPUART_BASE + 0x28u)
#define LPUART_ISR_ORE (1u << 3)
#define LPUART_ISR_RXNE (1u << 5)
#define LPUART_ISR_TXE (1u << 7)

#define TS_PIN 13u /* PF13 */

const char ee_port_counter_kind[] = "dwt";
const uint32_t ee_port_clock_hz = EE_CLOCK_HZ;
const char ee_port_board_name[] = EE_BOARD_NAME;

static void delay_cycles(uint32_t n)
{
    for (volatile uint32_t i = 0; i < n; i++) {
    }
}

/* 120 MHz: MSI 4 MHz / M 1 * N 60 / R 2, range 1 boost mode; the AHB runs at half speed for 1 us across the
 * switch, as RM0432 requires when going above 80 MHz. */
static void clock_init(void)
{
    RCC_APB1ENR1 |= 1u << 28; /* PWREN */
    (void)RCC_APB1ENR1;
    PWR_CR1 = (PWR_CR1 & ~(3u << 9)) | (1u << 9); /* VOS range 1 */
    while (PWR_SR2 & (1u << 10)) {                 /* VOSF */
    }
    PWR_CR5 &= ~(1u << 8); /* R1MODE = 0: boost */
    FLASH_ACR = (FLASH_ACR & ~0xFu) | 5u;
    while ((FLASH_ACR & 0xFu) != 5u) {
    }
    RCC_PLLCFGR = (1u << 0) /* MSI */ | (0u << 4) /* M = 1 */ | (60u << 8) /* N */ | (0u << 25) /* R = 2 */ |
                  (1u << 24) /* PLLREN */;
    RCC_CR |= 1u << 24; /* PLLON */
    while (!(RCC_CR & (1u << 25))) {
    }
    RCC_CFGR = (RCC_CFGR & ~(0xFu << 4)) | (0x8u << 4); /* HPRE = /2 */
    RCC_CFGR = (RCC_CFGR & ~3u) | 3u;                   /* SW = PLL */
    while (((RCC_CFGR >> 2) & 3u) != 3u) {
    }
    delay_cycles(60); /* >= 1 us at 60 MHz */
    RCC_CFGR &= ~(0xFu << 4);
}

static void uart_init(void)
{
    RCC_APB1ENR1 |= 1u << 28;
    PWR_CR2 |= 1u << 9;        /* IOSV: VDDIO2 powers port G */
    RCC_AHB2ENR |= (1u << 5) | (1u << 6); /* GPIOF, GPIOG */
    (void)RCC_AHB2ENR;
    /* PG7 TX, PG8 RX: alternate function 8. */
    GPIO_MODER(GPIOG_BASE) = (GPIO_MODER(GPIOG_BASE) & ~((3u << 14) | (3u << 16))) | (2u << 14) | (2u << 16);
    GPIO_AFRL(GPIOG_BASE) = (GPIO_AFRL(GPIOG_BASE) & ~(0xFu << 28)) | (8u << 28);
    GPIO_AFRH(GPIOG_BASE) = (GPIO_AFRH(GPIOG_BASE) & ~0xFu) | 8u;
    /* PF13: output, high (the timestamp is a falling edge). */
    GPIO_BSRR(GPIOF_BASE) = 1u << TS_PIN;
    GPIO_MODER(GPIOF_BASE) = (GPIO_MODER(GPIOF_BASE) & ~(3u << (2 * TS_PIN))) | (1u << (2 * TS_PIN));
    GPIO_OSPEEDR(GPIOF_BASE) |= 3u << (2 * TS_PIN);

    RCC_CCIPR = (RCC_CCIPR & ~(3u << 10)) | (1u << 10); /* LPUART1 clock = SYSCLK */
    RCC_APB1ENR2 |= 1u << 0;
    (void)RCC_APB1ENR2;
    LPUART_CR1 = 0;
    LPUART_BRR = (uint32_t)(((uint64_t)EE_CLOCK_HZ * 256u + EE_UART_BAUD / 2u) / EE_UART_BAUD);
    LPUART_CR1 = (1u << 5) /* RXNEIE */ | (1u << 3) /* TE */ | (1u << 2) /* RE */ | (1u << 0) /* UE */;
}

void ee_uart_rx_isr(void)
{
    uint32_t isr = LPUART_ISR;
    if (isr & LPUART_ISR_ORE) {
        LPUART_ICR = LPUART_ISR_ORE; /* a lost byte: the host's checksums and timeouts tell */
    }
    while (LPUART_ISR & LPUART_ISR_RXNE) {
        ee_rx_push((uint8_t)LPUART_RDR);
    }
}

void ee_port_init(void)
{
    clock_init();
    ee_systick_init();
    EE_SCB_DEMCR |= EE_SCB_DEMCR_TRCENA;
    EE_DWT_CYCCNT = 0;
    EE_DWT_CTRL |= 1u;
    uart_init();
    ee_nvic_enable(EE_UART_RX_IRQ);
    ee_enable_irq();
}

void ee_port_putc(uint8_t c)
{
    while (!(LPUART_ISR & LPUART_ISR_TXE)) {
    }
    LPUART_TDR = c;
}

int ee_port_getc(void)
{
    return ee_rx_getc();
}

void ee_port_counter_start(void)
{
    EE_DWT_CYCCNT = 0;
}

uint64_t ee_port_counter_read(void)
{
    return EE_DWT_CYCCNT;
}

uint64_t ee_port_time_us(void)
{
    uint64_t ticks = ee_systick_now();
    return (ticks / EE_CLOCK_HZ) * 1000000u + (ticks % EE_CLOCK_HZ) * 1000000u / EE_CLOCK_HZ;
}

void ee_port_timestamp_edge(void)
{
    GPIO_BSRR(GPIOF_BASE) = 1u << (TS_PIN + 16u); /* low: the power monitor triggers on this edge */
    delay_cycles(120);
    GPIO_BSRR(GPIOF_BASE) = 1u << TS_PIN;
}

void ee_port_reset(void)
{
    while (!(LPUART_ISR & (1u << 6))) { /* TC: the last byte has left the shift register */
    }
    ee_dsb();
    EE_SCB_AIRCR = EE_SCB_AIRCR_SYSRESETREQ;
    ee_dsb();
    for (;;) {
    }
}

void ee_port_exit(int code)
{
    (void)code;
    for (;;) {
        ee_wfi();
    }
}
