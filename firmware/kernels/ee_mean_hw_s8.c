/* MEAN over height and width (axes 1 and 2 of NHWC, with or without keep_dims), int8: bit-exact with TFLite
 * Micro's reference path, reference_ops::QuantizedMeanOrSum in integer arithmetic: the sum minus
 * count * input zero point, scaled by input scale / output scale with 1/count folded into the multiplier. */
#include "ee_nn.h"

#include "ee_math.h"

ee_status ee_mean_hw_s8(const ee_mean_params *params, const ee_dims *input_dims, const int8_t *input,
                        int8_t *output)
{
    const int32_t c = input_dims->c;
    const int32_t count = input_dims->h * input_dims->w;
    if (input == NULL || output == NULL || count <= 0) {
        return EE_ARG_ERROR;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        for (int32_t ch = 0; ch < c; ++ch) {
            int32_t sum = 0;
            for (int32_t i = 0; i < count; ++i) {
                sum += input[(b * count + i) * c + ch];
            }
            const int32_t shifted = sum - params->input_zero_point * count;
            const int32_t acc = ee_mbqm(shifted, params->multiplier, params->shift) + params->output_zero_point;
            output[b * c + ch] = ee_sat8(acc);
        }
    }
    return EE_OK;
}
