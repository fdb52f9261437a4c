/* SOFTMAX, int8 -> int8: bit-exact with TFLite Micro's reference_ops::Softmax for int8 (gemmlowp fixed point:
 * differences to the row maximum scaled to Q5.26, exp in Q0.31, sum in Q12.19, reciprocal by Newton-Raphson).
 * Output scale 1/256, zero point -128. */
#include "ee_nn.h"

#include "ee_math.h"

#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUM_INTEGER_BITS 12

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0. */
static int32_t sat_mul_pot(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) {
        return EE_INT32_MAX;
    }
    if (x < -threshold) {
        return EE_INT32_MIN;
    }
    return ee_shl32(x, exponent);
}

/* Wrapping add, as gemmlowp's Add on int32 (no saturation). */
static inline int32_t add_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;  /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = add_wrap(a, 1 << 28);
    const int32_t x2 = ee_srdhm(x, x);
    const int32_t x3 = ee_srdhm(x2, x);
    const int32_t x4 = ee_srdhm(x2, x2);
    const int32_t x4_over_4 = ee_rdbpot(x4, 2);
    const int32_t poly = ee_rdbpot(add_wrap(ee_srdhm(add_wrap(x4_over_4, x3), constant_1_over_3), x2), 1);
    return add_wrap(constant_term, ee_srdhm(constant_term, add_wrap(x, poly)));
}

/* gemmlowp exp_on_negative_values for a Q5.26 input a <= 0; result Q0.31. */
static int32_t exp_on_negative_values(int32_t a)
{
    const int fractional_bits = 31 - SCALED_DIFF_INTEGER_BITS;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (int32_t)((uint32_t)(a & mask) - (uint32_t)one_quarter);
    /* Rescale<0> from 5 integer bits: multiply by 2^5, saturating. */
    int32_t result = exp_quarter(sat_mul_pot(a_mod_quarter_minus_one_quarter, SCALED_DIFF_INTEGER_BITS));
    const int32_t remainder = (int32_t)((uint32_t)a_mod_quarter_minus_one_quarter - (uint32_t)a);
    static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    for (int e = -2; e <= 4; ++e) {
        if (SCALED_DIFF_INTEGER_BITS > e) {
            const int shift_amount = fractional_bits + e;
            if (remainder & ((int32_t)1 << shift_amount)) {
                result = ee_srdhm(result, multipliers[e + 2]);
            }
        }
    }
    /* 5 integer bits: no clamp below -32 needed (gemmlowp clamps only when integer bits > 5). */
    if (a == 0) {
        result = EE_INT32_MAX;
    }
    return result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0.31 in and out. */
static int32_t one_over_one_plus_x(int32_t a)
{
    /* RoundingHalfSum(a, One) with One = INT32_MAX in Q0.31. */
    const int64_t sum = (int64_t)a + EE_INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    const int32_t f2_one = (int32_t)1 << 29; /* One in Q2.29 */
    int32_t x = add_wrap(constant_48_over_17, ee_srdhm(half_denominator, constant_neg_32_over_17));
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = ee_srdhm(half_denominator, x);
        const int32_t one_minus = (int32_t)((uint32_t)f2_one - (uint32_t)half_denominator_times_x);
        /* x * one_minus is Q4.27; Rescale<2> multiplies by 4, saturating. */
        x = add_wrap(x, sat_mul_pot(ee_srdhm(x, one_minus), 2));
    }
    /* Rescale<0>(ExactMulByPot<-1>(x)): Q1.30 -> Q0.31 is a saturating multiply by 2. */
    return sat_mul_pot(x, 1);
}

static int count_leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

ee_status ee_softmax_s8(const ee_softmax_params *params, int32_t rows, int32_t depth, const int8_t *input,
                        int8_t *output)
{
    if (input == NULL || output == NULL || depth <= 0) {
        return EE_ARG_ERROR;
    }
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *in = input + r * depth;
        int8_t *out = output + r * depth;
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < depth; ++c) {
            max_in_row = ee_max32(max_in_row, in[c]);
        }
        /* Sum of exps in Q12.19: Rescale<12> from Q0.31 is a rounding right shift by 12. */
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= params->diff_min) {
                const int32_t rescaled = ee_srdhm(ee_shl32(diff, params->input_left_shift), params->input_multiplier);
                sum_of_exps = add_wrap(sum_of_exps, ee_rdbpot(exp_on_negative_values(rescaled), ACCUM_INTEGER_BITS));
            }
        }
        /* GetReciprocal(sum, 12 integer bits). */
        const int headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
        const int num_bits_over_unit = ACCUM_INTEGER_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = one_over_one_plus_x(shifted_sum_minus_one);
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= params->diff_min) {
                const int32_t rescaled = ee_srdhm(ee_shl32(diff, params->input_left_shift), params->input_multiplier);
                const int32_t exp_in_0 = exp_on_negative_values(rescaled);
                const int32_t unsat = ee_rdbpot(ee_srdhm(shifted_scale, exp_in_0), num_bits_over_unit + 31 - 8);
                out[c] = ee_sat8(unsat - 128);
            } else {
                out[c] = -128;
            }
        }
    }
    return EE_OK;
}
