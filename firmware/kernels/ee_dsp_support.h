/* Internal helpers of the DSP paths: int8 -> int16 expansion in the "reordered" order that pairs with SXTB16,
 * and the dual-MAC dot product. Groups of four elements x0 x1 x2 x3 are stored as x0 x2 x1 x3, so that
 * SXTB16(w) = (w0, w2) and SXTB16(ROR(w, 8)) = (w1, w3) multiply matching halves. Integer sums are exact, so the
 * different summation order gives the same int32 accumulator as the reference path. */
#ifndef EE_DSP_SUPPORT_H
#define EE_DSP_SUPPORT_H

#include <stdint.h>
#include <string.h>

#include "ee_features.h"

#if EE_USE_DSP

/* Rotate right by 8 (compiles to ROR; GCC's arm_acle.h has no __ror). */
static inline uint32_t ee_ror8(uint32_t x)
{
    return (x >> 8) | (x << 24);
}

/* Stores src[0..len) + offset as int16 into dst in reordered groups of four (the tail, len % 4, in order). */
static inline void ee_s8_to_s16_reordered(const int8_t *src, int32_t len, int32_t offset, int16_t *dst)
{
    int32_t i = 0;
    for (; i + 4 <= len; i += 4) {
        dst[i + 0] = (int16_t)(src[i + 0] + offset);
        dst[i + 1] = (int16_t)(src[i + 2] + offset);
        dst[i + 2] = (int16_t)(src[i + 1] + offset);
        dst[i + 3] = (int16_t)(src[i + 3] + offset);
    }
    for (; i < len; ++i) {
        dst[i] = (int16_t)(src[i] + offset);
    }
}

/* acc + sum_i w[i] * x[i], w int8 in natural order, x int16 in the reordered order above. */
static inline int32_t ee_dot_s8_s16_reordered(const int8_t *w, const int16_t *x, int32_t len, int32_t acc)
{
    int32_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t wq;
        uint32_t x02;
        uint32_t x13;
        memcpy(&wq, w + i, 4);
        memcpy(&x02, x + i, 4);
        memcpy(&x13, x + i + 2, 4);
        acc = __smlad(__sxtb16(wq), x02, acc);
        acc = __smlad(__sxtb16(ee_ror8(wq)), x13, acc);
    }
    for (; i < len; ++i) {
        acc += w[i] * x[i];
    }
    return acc;
}

/* Two filter rows against the same int16 column: the column is loaded once for both sums. */
static inline void ee_dot2_s8_s16_reordered(const int8_t *w0, const int8_t *w1, const int16_t *x, int32_t len,
                                            int32_t *sum0, int32_t *sum1)
{
    int32_t acc0 = 0, acc1 = 0;
    int32_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t a;
        uint32_t b;
        uint32_t x02;
        uint32_t x13;
        memcpy(&a, w0 + i, 4);
        memcpy(&b, w1 + i, 4);
        memcpy(&x02, x + i, 4);
        memcpy(&x13, x + i + 2, 4);
        acc0 = __smlad(__sxtb16(a), x02, acc0);
        acc0 = __smlad(__sxtb16(ee_ror8(a)), x13, acc0);
        acc1 = __smlad(__sxtb16(b), x02, acc1);
        acc1 = __smlad(__sxtb16(ee_ror8(b)), x13, acc1);
    }
    for (; i < len; ++i) {
        acc0 += w0[i] * x[i];
        acc1 += w1[i] * x[i];
    }
    *sum0 = acc0;
    *sum1 = acc1;
}

#endif /* EE_USE_DSP */

#if EE_USE_MVE

/* sum_i w[i] * x[i] over int8 vectors, 16 lanes per VMLADAVA with tail predication; *wsum = sum_i w[i]
 * (callers add input_offset * wsum, which equals adding the offset to every x exactly). */
static inline int32_t ee_dot_s8_mve(const int8_t *w, const int8_t *x, int32_t len, int32_t *wsum)
{
    int32_t acc = 0;
    int32_t sum = 0;
    for (int32_t i = 0; i < len; i += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)(len - i));
        const int8x16_t wv = vldrbq_z_s8(w + i, p);
        acc = vmladavaq_s8(acc, wv, vldrbq_z_s8(x + i, p));
        sum = vaddvaq_s8(sum, wv);
    }
    *wsum = sum;
    return acc;
}

/* Two int8 rows against one int8 vector x (loaded once for both). */
static inline void ee_dot2_s8_mve(const int8_t *w0, const int8_t *w1, const int8_t *x, int32_t len, int32_t *acc0,
                                  int32_t *acc1, int32_t *wsum0, int32_t *wsum1)
{
    int32_t a0 = 0, a1 = 0, s0 = 0, s1 = 0;
    for (int32_t i = 0; i < len; i += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)(len - i));
        const int8x16_t xv = vldrbq_z_s8(x + i, p);
        const int8x16_t v0 = vldrbq_z_s8(w0 + i, p);
        const int8x16_t v1 = vldrbq_z_s8(w1 + i, p);
        a0 = vmladavaq_s8(a0, v0, xv);
        a1 = vmladavaq_s8(a1, v1, xv);
        s0 = vaddvaq_s8(s0, v0);
        s1 = vaddvaq_s8(s1, v1);
    }
    *acc0 = a0;
    *acc1 = a1;
    *wsum0 = s0;
    *wsum1 = s1;
}

#endif /* EE_USE_MVE */

#endif /* EE_DSP_SUPPORT_H */
