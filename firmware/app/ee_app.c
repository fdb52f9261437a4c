#include "ee_app.h"

#include <stdint.h>
#include <string.h>

#include "ee_model.h"
#include "ee_port.h"
#include "telemetry.h"

#ifndef EE_ENERGY_MODE
#define EE_ENERGY_MODE 0
#endif
#ifndef EE_APP_MODEL_NAME
#define EE_APP_MODEL_NAME "model"
#endif
#ifndef EE_APP_BENCHMARK
#define EE_APP_BENCHMARK "ic01"
#endif

typedef struct {
    int32_t exit_stage;
    int32_t predicted;
    uint64_t counts[EE_NUM_STAGES];
} app_record;

static int8_t s_input[EE_INPUT_SIZE];
static uint32_t s_expected;   /* bytes announced by `db load N` */
static uint32_t s_loaded;     /* bytes received since */
static int s_force_full;
static uint32_t s_seq;
static uint64_t s_counts[EE_NUM_STAGES];
static app_record s_records[EE_REC_BUFFER];
static ee_result_t s_last;
static int s_have_last;

static void stage_hook(int stage, int begin)
{
    if (begin) {
        ee_port_counter_start();
    } else if (stage >= 0 && stage < EE_NUM_STAGES) {
        s_counts[stage] = ee_port_counter_read();
    }
}

static void error_line(const char *what, const char *detail)
{
    ee_line line;
    ee_line_reset(&line, "e-[");
    ee_line_str(&line, what);
    /* The detail echoes host input: only printable ASCII goes out (the protocol is ASCII; a host may send
     * anything). */
    for (const char *p = detail; p != 0 && *p; p++) {
        ee_line_char(&line, (*p >= 0x20 && *p < 0x7f) ? *p : '?');
    }
    ee_line_char(&line, ']');
    ee_line_send(&line);
}

/* Non-negative decimal argument; returns -1 when `s` is missing or not a number. */
static int32_t parse_count(const char *s)
{
    if (s == 0 || *s == 0) {
        return -1;
    }
    int32_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000) {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    return v;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void timestamp(void)
{
#if EE_ENERGY_MODE
    ee_port_timestamp_edge();
#else
    uint64_t us = ee_port_time_us();
    ee_line line;
    ee_line_reset(&line, "m-lap-us-");
    ee_line_u64(&line, us);
    ee_line_send(&line);
#endif
}

static void send_results(void)
{
    uint16_t permille[EE_NUM_CLASSES];
    ee_scores_permille(&s_last, permille);
    ee_line line;
    ee_line_reset(&line, "m-results-[");
    for (int j = 0; j < EE_NUM_CLASSES; j++) {
        if (j > 0) {
            ee_line_char(&line, ',');
        }
        ee_line_ratio3(&line, permille[j], 1000u);
    }
    ee_line_char(&line, ']');
    ee_line_send(&line);
}

static void cmd_db(char *arg, char *rest)
{
    if (arg == 0) {
        error_line("db needs 'load N', 'print' or hex bytes", 0);
        return;
    }
    if (strcmp(arg, "load") == 0) {
        int32_t n = parse_count(rest);
        if (n != EE_INPUT_SIZE) {
            ee_line line;
            ee_line_reset(&line, "e-[db load: the model input is ");
            ee_line_u64(&line, EE_INPUT_SIZE);
            ee_line_str(&line, " int8 bytes]");
            ee_line_send(&line);
            return;
        }
        s_expected = (uint32_t)n;
        s_loaded = 0;
        ee_line line;
        ee_line_reset(&line, "m-[Expecting ");
        ee_line_u64(&line, (uint64_t)n);
        ee_line_str(&line, " bytes]");
        ee_line_send(&line);
        return;
    }
    if (strcmp(arg, "print") == 0) {
        ee_line line;
        ee_line_reset(&line, "m-buffer-[");
        for (uint32_t i = 0; i < s_loaded && i < 32; i++) {
            ee_line_hex8(&line, (uint8_t)s_input[i]);
        }
        ee_line_char(&line, ']');
        ee_line_send(&line);
        return;
    }
    uint32_t digits = (uint32_t)strlen(arg);
    if (digits % 2 != 0) {
        error_line("db: odd number of hex digits", 0);
        return;
    }
    if (s_expected == 0) {
        error_line("db: send 'db load N%' first", 0);
        return;
    }
    if (s_loaded + digits / 2 > s_expected) {
        error_line("db: more bytes than announced by db load", 0);
        return;
    }
    for (uint32_t i = 0; i < digits; i += 2) {
        int hi = hex_value(arg[i]);
        int lo = hex_value(arg[i + 1]);
        if (hi < 0 || lo < 0) {
            error_line("db: not a hex digit", 0);
            return;
        }
        s_input[s_loaded++] = (int8_t)(uint8_t)((hi << 4) | lo);
    }
    if (s_loaded == s_expected) {
        ee_puts("m-load-done");
    }
}

/* 0 on success; the model's ee_status (< 0) otherwise. */
static int run_one(ee_result_t *res)
{
    memset(s_counts, 0, sizeof(s_counts));
    int rc = ee_infer(s_input, s_force_full, res);
    return rc < 0 ? rc : 0;
}

static void cmd_infer(const char *n_arg, const char *w_arg)
{
    int32_t n = n_arg ? parse_count(n_arg) : 1;
    int32_t w = w_arg ? parse_count(w_arg) : 0;
    if (n < 1 || w < 0) {
        error_line("infer N W: N >= 1 inferences, W >= 0 warm-ups", 0);
        return;
    }
    if (s_expected == 0 || s_loaded != s_expected) {
        error_line("infer: no complete input loaded (db load N%, then db <hex>%)", 0);
        return;
    }
    ee_result_t res;
    ee_line line;
    ee_line_reset(&line, "m-warmup-start-");
    ee_line_u64(&line, (uint64_t)w);
    ee_line_send(&line);
    for (int32_t i = 0; i < w; i++) {
        if (run_one(&res) != 0) {
            error_line("infer: the model failed", 0);
            return;
        }
    }
    ee_puts("m-warmup-done");
    ee_line_reset(&line, "m-infer-start-");
    ee_line_u64(&line, (uint64_t)n);
    ee_line_send(&line);
    timestamp();
    int status = 0;
    for (int32_t i = 0; i < n && status == 0; i++) {
        status = run_one(&res);
        if (i < EE_REC_BUFFER) {
            s_records[i].exit_stage = res.exit_stage;
            s_records[i].predicted = res.predicted;
            memcpy(s_records[i].counts, s_counts, sizeof(s_counts));
        }
    }
    timestamp();
    if (status != 0) {
        error_line("infer: the model failed", 0);
        return;
    }
    ee_puts("m-infer-done");
    uint32_t kept = n < EE_REC_BUFFER ? (uint32_t)n : EE_REC_BUFFER;
    for (uint32_t i = 0; i < kept; i++) {
        ee_record rec = {s_seq + i, s_records[i].exit_stage, s_records[i].predicted, s_force_full,
                         EE_NUM_STAGES, s_records[i].counts};
        ee_record_send(&rec);
    }
    if ((uint32_t)n > kept) {
        ee_line_reset(&line, "m-ee-dropped-[");
        ee_line_u64(&line, (uint64_t)((uint32_t)n - kept));
        ee_line_char(&line, ']');
        ee_line_send(&line);
    }
    s_seq += (uint32_t)n;
    s_last = res;
    s_have_last = 1;
    send_results();
}

static void cmd_mode(const char *arg)
{
    if (arg != 0 && strcmp(arg, "full") == 0) {
        s_force_full = 1;
    } else if (arg != 0 && strcmp(arg, "early") == 0) {
        s_force_full = 0;
    } else {
        error_line("ee-mode needs 'early' or 'full'", 0);
        return;
    }
    ee_puts(s_force_full ? "m-ee-mode-[full]" : "m-ee-mode-[early]");
}

static void cmd_info(void)
{
    ee_line line;
    ee_line_reset(&line, "m-ee-info-[model=");
    ee_line_str(&line, EE_APP_MODEL_NAME);
    ee_line_str(&line, ",stages=");
    ee_line_u64(&line, EE_NUM_STAGES);
    ee_line_str(&line, ",classes=");
    ee_line_u64(&line, EE_NUM_CLASSES);
    ee_line_str(&line, ",input=");
    ee_line_u64(&line, EE_INPUT_SIZE);
    ee_line_str(&line, ",arena=");
    ee_line_u64(&line, EE_ARENA_SIZE);
    ee_line_str(&line, ",counter=");
    ee_line_str(&line, ee_port_counter_kind);
    ee_line_str(&line, ",clock=");
    ee_line_u64(&line, ee_port_clock_hz);
    ee_line_str(&line, s_force_full ? ",mode=full" : ",mode=early");
    uint32_t used, size;
    ee_port_stack_usage(&used, &size);
    ee_line_str(&line, ",stack=");
    ee_line_u64(&line, used);
    ee_line_char(&line, '/');
    ee_line_u64(&line, size);
    ee_line_char(&line, ']');
    ee_line_send(&line);
}

/* Counts a loop of exactly 2 x EE_CALIB_LOOPS instructions (subs + bne), so that a host can check the counter:
 * under QEMU -icount the count equals it up to the tick resolution plus a few instructions of overhead; on
 * hardware it shows cycles per instruction of a tight loop. */
#define EE_CALIB_LOOPS 100000u
static void cmd_calib(void)
{
#if defined(__arm__)
    uint32_t n = EE_CALIB_LOOPS;
    ee_port_counter_start();
    __asm volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n));
    uint64_t counted = ee_port_counter_read();
    ee_line line;
    ee_line_reset(&line, "m-ee-calib-[");
    ee_line_u64(&line, 2u * EE_CALIB_LOOPS);
    ee_line_char(&line, ',');
    ee_line_u64(&line, counted);
    ee_line_char(&line, ']');
    ee_line_send(&line);
#else
    error_line("ee-calib runs on Arm targets only", 0);
#endif
}

static void dispatch(char *cmd)
{
    char *tok[4] = {0, 0, 0, 0};
    int ntok = 0;
    for (char *p = cmd; *p && ntok < 4;) {
        while (*p == ' ') *p++ = 0;
        if (*p == 0) break;
        tok[ntok++] = p;
        while (*p && *p != ' ') p++;
    }
    if (ntok == 0) {
        error_line("empty command", 0);
    } else if (strcmp(tok[0], "name") == 0) {
        ee_line line;
        ee_line_reset(&line, "m-name-dut-[edge_ee-");
        ee_line_str(&line, ee_port_board_name);
        ee_line_char(&line, ']');
        ee_line_send(&line);
    } else if (strcmp(tok[0], "profile") == 0) {
        ee_puts("m-profile-[" EE_FW_VERSION "]");
        ee_puts("m-model-[" EE_APP_BENCHMARK "]");
    } else if (strcmp(tok[0], "db") == 0) {
        cmd_db(tok[1], tok[2]);
    } else if (strcmp(tok[0], "infer") == 0) {
        cmd_infer(tok[1], tok[2]);
    } else if (strcmp(tok[0], "results") == 0) {
        if (s_have_last) {
            send_results();
        } else {
            error_line("results: no inference yet", 0);
        }
    } else if (strcmp(tok[0], "timestamp") == 0) {
        timestamp();
    } else if (strcmp(tok[0], "ee-mode") == 0) {
        cmd_mode(tok[1]);
    } else if (strcmp(tok[0], "ee-info") == 0) {
        cmd_info();
    } else if (strcmp(tok[0], "ee-reset") == 0) {
        ee_puts("m-ee-reset");
        ee_puts("m-ready");
        ee_port_reset(); /* does not return */
    } else if (strcmp(tok[0], "ee-calib") == 0) {
        cmd_calib();
    } else if (strcmp(tok[0], "help") == 0) {
        ee_puts("m-help-[name profile db infer results timestamp ee-mode ee-info ee-calib ee-reset help]");
    } else {
        error_line("unknown command: ", tok[0]);
    }
    ee_puts("m-ready");
}

int ee_app_run(void)
{
    ee_line line;
    ee_line_reset(&line, "m-ee-boot-[" EE_FW_VERSION ",");
    ee_line_str(&line, ee_port_counter_kind);
    ee_line_char(&line, ',');
    ee_line_u64(&line, ee_port_clock_hz);
    ee_line_char(&line, ']');
    ee_line_send(&line);

    ee_set_stage_hook(stage_hook);
    if (ee_init() != 0) {
        error_line("model initialization failed", 0);
        return 1;
    }
    char cmd[EE_CMD_MAX + 1];
    uint32_t len = 0;
    int overflow = 0;
    for (;;) {
        int c = ee_port_getc();
        if (c < 0) {
            return 0;
        }
        if (c == '%') {
            cmd[len] = 0;
            if (overflow) {
                error_line("command longer than 80 characters", 0);
                ee_puts("m-ready");
            } else {
                dispatch(cmd);
            }
            len = 0;
            overflow = 0;
        } else if (c == '\r' || c == '\n') {
            /* terminals send line endings; the protocol does not use them */
        } else if (len < EE_CMD_MAX) {
            cmd[len++] = (char)c;
        } else {
            overflow = 1;
        }
    }
}
