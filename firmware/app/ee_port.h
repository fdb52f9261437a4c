/* The board port: everything the command loop needs from a board, and nothing else.
 *
 * One implementation per MCU family (firmware/boards/<family>/) plus a host-native one (boards/host/) used to
 * test the command loop without an emulator. Board-specific code lives only behind this interface:
 * startup, clock, UART, counter and the energy-mode timestamp pin. */
#ifndef EE_PORT_H
#define EE_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Clocks, UART, counter. Called once from main() after the C runtime is set up. */
void ee_port_init(void);

/* Blocking byte I/O on the host link (the board's UART). ee_port_getc returns -1 only when the link is
 * closed for good (host-native port at end of input); boards never return -1. */
void ee_port_putc(uint8_t c);
int ee_port_getc(void);

/* The per-stage counter: ee_port_counter_start() zeroes it, ee_port_counter_read() returns the counts since.
 * Units are EE_PORT_COUNTER_KIND's: retired instructions (QEMU, "systick-icount"), core cycles ("dwt") or
 * nanoseconds ("host-ns"). */
void ee_port_counter_start(void);
uint64_t ee_port_counter_read(void);

/* Monotonic microseconds for the EnergyRunner `m-lap-us-` lines. On QEMU they are modeled: instructions
 * converted at the board clock (one instruction per cycle), not wall time. */
uint64_t ee_port_time_us(void);

/* Energy mode: the timestamp is a falling edge on the board's timestamp GPIO (the power monitor's trigger). */
void ee_port_timestamp_edge(void);

/* Resets the chip (SYSRESETREQ) once the UART has sent everything (host-native: re-executes the program).
 * Does not return. */
void ee_port_reset(void);

/* Ends the program with an exit code where that means something (semihosting on QEMU); otherwise hangs. */
void ee_port_exit(int code);

/* Stack high-water mark since reset and the stack's size, in bytes (both 0 where unknown). */
void ee_port_stack_usage(uint32_t *used, uint32_t *size);

/* Name of the counter's unit, the core clock in Hz, and the board name, for the boot and info lines. */
extern const char ee_port_counter_kind[];
extern const uint32_t ee_port_clock_hz;
extern const char ee_port_board_name[];

#ifdef __cplusplus
}
#endif

#endif /* EE_PORT_H */
