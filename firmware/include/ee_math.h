/* TFLite's quantized arithmetic (tensorflow/lite/kernels/internal/common.h and gemmlowp's fixedpoint.h),
 * restated in portable C99 so that results are bit-exact on any compiler:
 *  - right shifts of negative values are defined here (ee_asr32: arithmetic, rounding toward -inf) instead
 *    of relying on implementation-defined `>>`;
 *  - products that TFLite computes in int32 and could wrap are computed in uint32 and converted back, so
 *    UBSan stays quiet and the wrap-around is the documented two's-complement one. */
#ifndef EE_MATH_H
#define EE_MATH_H

#include <stdint.h>

#define EE_INT32_MIN (-2147483647 - 1)
#define EE_INT32_MAX 2147483647

/* Arithmetic right shift (floor division by 2^n), 0 <= n <= 31, defined for negative x. */
static inline int32_t ee_asr32(int32_t x, int n)
{
    return x >= 0 ? (int32_t)((uint32_t)x >> n) : (int32_t)~((uint32_t)~x >> n);
}

/* x * 2^n with two's-complement wrap-around (TFLite's `x * (1 << n)`), 0 <= n <= 30. */
static inline int32_t ee_shl32(int32_t x, int n)
{
    return (int32_t)((uint32_t)x << n);
}

static inline int32_t ee_min32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t ee_max32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t ee_clamp32(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating INT32_MIN * INT32_MIN. */
static inline int32_t ee_srdhm(int32_t a, int32_t b)
{
    if (a == EE_INT32_MIN && b == EE_INT32_MIN) {
        return EE_INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C99 division truncates toward zero, as in C++ */
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
static inline int32_t ee_rdbpot(int32_t x, int exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return ee_asr32(x, exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding, TFLite's default): x * m * 2^(shift - 31). */
static inline int32_t ee_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    return ee_rdbpot(ee_srdhm(ee_shl32(x, left), multiplier), right);
}

/* Round-to-nearest division used by TFLite's average pooling and mean: ties away from zero. */
static inline int32_t ee_div_round(int32_t acc, int32_t count)
{
    return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

static inline int8_t ee_sat8(int32_t x)
{
    return (int8_t)ee_clamp32(x, -128, 127);
}

#endif /* EE_MATH_H */
