/* edge_ee telemetry: one ASCII line per inference, framed so that a host can check it and resynchronize.
 *
 *   m-ee-rec-[<seq>,<exit>,<pred>,<mode>,<n_0>,<n_1>,...,<n_{K-1}>]-<crc>
 *
 *   seq     timed inferences since boot, from 0 (warm-up inferences have no record and take no number);
 *           a gap tells the host that records were lost
 *   exit    the exit taken, 0 .. K-1
 *   pred    the predicted class (argmax of that exit's int8 logits, lowest index on ties)
 *   mode    0 = early exit, 1 = forced full depth (`ee-mode full%`)
 *   n_k     stage k's count in the counter's unit (see the boot line): retired instructions on QEMU
 *           ("systick-icount", exact, 40-instruction resolution on MPS2), core cycles on hardware ("dwt"),
 *           nanoseconds in the host-native build ("host-ns"); 0 for stages that did not run. A stage's count
 *           covers its backbone segment, its exit head and its exit test.
 *   crc     CRC-32 (ISO-HDLC, as zlib.crc32) of the ASCII text strictly between '[' and ']', as 8 lowercase
 *           hex digits
 *
 * Other lines of the protocol (see ee_app.h) that belong to edge_ee:
 *   m-ee-boot-[<firmware version>,<counter kind>,<clock hz>]   printed once at reset, never with m-ready,
 *                                                              so that a host notices a reset
 *   m-ee-mode-[early|full]                                      reply to `ee-mode early%` / `ee-mode full%`
 *   m-ee-info-[model=..,stages=K,classes=C,input=N,arena=A,counter=..,clock=..,mode=..,stack=U/S]
 *                                                               reply to `ee-info%`
 *   m-ee-dropped-[<n>]                                          records of an `infer` beyond the record
 *                                                              buffer (their seq numbers are skipped)
 * Every line is ASCII and ends with "\r\n"; the MLPerf Tiny runner ignores lines it does not know.
 * The host parser and formatter are edge_ee/device/records.py. */
#ifndef EE_TELEMETRY_H
#define EE_TELEMETRY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EE_LINE_MAX 160

/* A line being built; text beyond EE_LINE_MAX - 3 is cut (never happens for the lines this firmware prints). */
typedef struct {
    char text[EE_LINE_MAX];
    uint32_t len;
} ee_line;

void ee_line_reset(ee_line *line, const char *prefix);
void ee_line_str(ee_line *line, const char *s);
void ee_line_char(ee_line *line, char c);
void ee_line_u64(ee_line *line, uint64_t v);
void ee_line_i32(ee_line *line, int32_t v);
void ee_line_hex32(ee_line *line, uint32_t v); /* 8 lowercase hex digits */
void ee_line_hex8(ee_line *line, uint8_t v);   /* 2 lowercase hex digits */
/* num / den (den > 0, num <= den) as a decimal with 3 digits after the point, rounded to nearest. */
void ee_line_ratio3(ee_line *line, uint32_t num, uint32_t den);
/* Appends "\r\n" and writes the line to the host link. */
void ee_line_send(ee_line *line);
/* Writes a constant line (without the line ending) plus "\r\n". */
void ee_puts(const char *s);

uint32_t ee_crc32(const char *data, uint32_t len);

/* One inference's telemetry. */
typedef struct {
    uint32_t seq;
    int32_t exit_stage;
    int32_t predicted;
    int32_t mode;
    uint32_t num_stages;
    const uint64_t *counts; /* num_stages entries */
} ee_record;

/* Formats and sends the m-ee-rec line of `rec`. */
void ee_record_send(const ee_record *rec);

#ifdef __cplusplus
}
#endif

#endif /* EE_TELEMETRY_H */
