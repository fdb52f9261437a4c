/* AVERAGE_POOL_2D, int8: bit-exact with TFLite Micro's reference_integer_ops::AveragePool (the divisor counts
 * only the window's elements inside the input; the quotient rounds half away from zero). */
#include "ee_nn.h"

#include "ee_math.h"

ee_status ee_avgpool_s8(const ee_pool_params *params, const ee_dims *input_dims, const int8_t *input,
                        const ee_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    if (input == NULL || output == NULL || output_dims->c != c || output_dims->n != input_dims->n) {
        return EE_ARG_ERROR;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * params->stride_h - params->pad_h;
            const int32_t fy0 = ee_max32(0, -y0);
            const int32_t fy1 = ee_min32(params->filter_h, in_h - y0);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * params->stride_w - params->pad_w;
                const int32_t fx0 = ee_max32(0, -x0);
                const int32_t fx1 = ee_min32(params->filter_w, in_w - x0);
                const int32_t count = (fy1 - fy0) * (fx1 - fx0);
                if (fy1 <= fy0 || fx1 <= fx0) {
                    return EE_ARG_ERROR; /* a window entirely in the padding: TFLite fails the same way */
                }
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t acc = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            acc += input[((b * in_h + y0 + fy) * in_w + x0 + fx) * c + ch];
                        }
                    }
                    acc = ee_div_round(acc, count);
                    output[((b * out_h + oy) * out_w + ox) * c + ch] =
                        (int8_t)ee_clamp32(acc, params->act_min, params->act_max);
                }
            }
        }
    }
    return EE_OK;
}
