#include "telemetry.h"

#include "ee_port.h"

void ee_line_reset(ee_line *line, const char *prefix)
{
    line->len = 0;
    ee_line_str(line, prefix);
}

void ee_line_char(ee_line *line, char c)
{
    if (line->len < EE_LINE_MAX - 3) {
        line->text[line->len++] = c;
    }
}

void ee_line_str(ee_line *line, const char *s)
{
    while (*s) {
        ee_line_char(line, *s++);
    }
}

void ee_line_u64(ee_line *line, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0);
    while (n > 0) {
        ee_line_char(line, digits[--n]);
    }
}

void ee_line_i32(ee_line *line, int32_t v)
{
    if (v < 0) {
        ee_line_char(line, '-');
        ee_line_u64(line, (uint64_t)(-(int64_t)v));
    } else {
        ee_line_u64(line, (uint64_t)v);
    }
}

static const char k_hex[] = "0123456789abcdef";

void ee_line_hex32(ee_line *line, uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4) {
        ee_line_char(line, k_hex[(v >> shift) & 0xFu]);
    }
}

void ee_line_hex8(ee_line *line, uint8_t v)
{
    ee_line_char(line, k_hex[v >> 4]);
    ee_line_char(line, k_hex[v & 0xFu]);
}

void ee_line_ratio3(ee_line *line, uint32_t num, uint32_t den)
{
    uint32_t milli = (uint32_t)(((uint64_t)num * 1000u + den / 2u) / den);
    ee_line_u64(line, milli / 1000u);
    ee_line_char(line, '.');
    ee_line_char(line, (char)('0' + (int)(milli / 100u % 10u)));
    ee_line_char(line, (char)('0' + (int)(milli / 10u % 10u)));
    ee_line_char(line, (char)('0' + (int)(milli % 10u)));
}

void ee_line_send(ee_line *line)
{
    line->text[line->len++] = '\r';
    line->text[line->len++] = '\n';
    for (uint32_t i = 0; i < line->len; i++) {
        ee_port_putc((uint8_t)line->text[i]);
    }
    line->len = 0;
}

void ee_puts(const char *s)
{
    while (*s) {
        ee_port_putc((uint8_t)*s++);
    }
    ee_port_putc('\r');
    ee_port_putc('\n');
}

uint32_t ee_crc32(const char *data, uint32_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < len; i++) {
        crc ^= (uint8_t)data[i];
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

void ee_record_send(const ee_record *rec)
{
    ee_line line;
    ee_line_reset(&line, "m-ee-rec-[");
    uint32_t start = line.len;
    ee_line_u64(&line, rec->seq);
    ee_line_char(&line, ',');
    ee_line_i32(&line, rec->exit_stage);
    ee_line_char(&line, ',');
    ee_line_i32(&line, rec->predicted);
    ee_line_char(&line, ',');
    ee_line_i32(&line, rec->mode);
    for (uint32_t k = 0; k < rec->num_stages; k++) {
        ee_line_char(&line, ',');
        ee_line_u64(&line, rec->counts[k]);
    }
    uint32_t crc = ee_crc32(&line.text[start], line.len - start);
    ee_line_str(&line, "]-");
    ee_line_hex32(&line, crc);
    ee_line_send(&line);
}
