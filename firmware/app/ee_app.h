/* The command loop: MLPerf Tiny EnergyRunner protocol plus edge_ee's telemetry and mode commands.
 *
 * The host sends `<command>%` (no CR/LF needed, no echo); tokens are separated by spaces; a command has at
 * most EE_CMD_MAX characters. Every reply ends with the line `m-ready`, and `m-ready` appears nowhere else
 * (not at boot), because the MLPerf Tiny runner ends a reply at the first line containing it. Errors are
 * `e-[...]` lines (followed by `m-ready`).
 *
 *   name%                 m-name-dut-[edge_ee-<board>]
 *   profile%              m-profile-[edge_ee <version>]  m-model-[<benchmark>]
 *   db load N%            m-[Expecting N bytes]          N must be the model's int8 input size
 *   db <hex>%             ... m-load-done once N bytes arrived (lowercase or uppercase hex, 2 digits a byte)
 *   db print%             m-buffer-[<first bytes as hex>]
 *   infer N W%            m-warmup-start-W  m-warmup-done  m-infer-start-N  m-lap-us-<t0>  m-lap-us-<t1>
 *                         m-infer-done  m-ee-rec-[...] (one per timed inference)  m-results-[s0,...,sC-1]
 *                         (defaults N=1, W=0; s_j: probabilities of the exit taken by the last inference)
 *   results%              m-results-[...] of the last inference again
 *   timestamp%            m-lap-us-<t>
 *   ee-mode early|full%   m-ee-mode-[early|full]: early exit (default) or forced full depth
 *   ee-info%              m-ee-info-[model=..,stages=..,classes=..,input=..,arena=..,counter=..,clock=..,mode=..,
 *                         stack=<high-water mark>/<reserved>]  (stack bytes; 0/0 where unknown)
 *   ee-calib%             m-ee-calib-[<instructions>,<counted>]: the counter around a loop of known length
 *   ee-reset%             m-ee-reset, m-ready, then the chip resets and prints its boot line again
 *   help%                 the list of commands
 *
 * In energy mode (EE_ENERGY_MODE=1) the two timestamps of `infer` are GPIO falling edges instead of
 * `m-lap-us-` lines, as in the EEMBC reference firmware. Records and results are printed after the second
 * timestamp, so that printing never falls inside the measured window. */
#ifndef EE_APP_H
#define EE_APP_H

#ifdef __cplusplus
extern "C" {
#endif

#define EE_CMD_MAX 80
#ifndef EE_REC_BUFFER
#define EE_REC_BUFFER 32 /* records kept per `infer` command; further ones are counted as dropped */
#endif
#ifndef EE_FW_VERSION
#define EE_FW_VERSION "edge_ee-0.1.0"
#endif

/* Prints the boot line, then serves commands until the host link closes (host-native build only).
 * Returns the exit code. */
int ee_app_run(void);

#ifdef __cplusplus
}
#endif

#endif /* EE_APP_H */
