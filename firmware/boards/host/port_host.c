/* Host-native port: the host link is stdin/stdout, the counter is CLOCK_MONOTONIC nanoseconds. Lets tests
 * run the command loop and the generated model natively, without an emulator. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ee_port.h"

#ifndef EE_BOARD_NAME
#define EE_BOARD_NAME "host"
#endif

const char ee_port_counter_kind[] = "host-ns";
const uint32_t ee_port_clock_hz = 1000000000u;
const char ee_port_board_name[] = EE_BOARD_NAME;

static uint64_t s_start;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ee_port_init(void)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}

void ee_port_putc(uint8_t c)
{
    putchar(c);
    if (c == '\n') {
        fflush(stdout); /* a host waits for whole lines */
    }
}

int ee_port_getc(void)
{
    fflush(stdout);
    int c = getchar();
    return c == EOF ? -1 : c;
}

void ee_port_counter_start(void)
{
    s_start = now_ns();
}

uint64_t ee_port_counter_read(void)
{
    return now_ns() - s_start;
}

uint64_t ee_port_time_us(void)
{
    return now_ns() / 1000u;
}

void ee_port_stack_usage(uint32_t *used, uint32_t *size)
{
    *used = 0;
    *size = 0;
}

void ee_port_timestamp_edge(void)
{
}

void ee_port_reset(void)
{
    /* A fresh process image: every static back to its initial value, and the boot line again. */
    char *const argv[] = {"firmware", NULL};
    fflush(stdout);
    execv("/proc/self/exe", argv);
    perror("ee_port_reset: execv");
    exit(1);
}

void ee_port_exit(int code)
{
    fflush(stdout);
    exit(code);
}
