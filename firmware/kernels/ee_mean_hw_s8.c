/* MEAN over height and width (axes 1 and 2 of NHWC, keep_dims), int8: bit-exact with TFLite Micro's
 * reference_integer_ops::Mean, the path TFLM takes for this case. */
#include "ee_nn.h"

#include "ee_math.h"

ee_status ee_mean_hw_s8(const ee_mean_params *params, const ee_dims *input_dims, const int8_t *input,
                        int8_t *output)
{
    const int32_t h = input_dims->h, w = input_dims->w, c = input_dims->c;
    const int32_t count = h * w;
    if (input == NULL || output == NULL || count <= 0) {
        return EE_ARG_ERROR;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        for (int32_t ch = 0; ch < c; ++ch) {
            int32_t acc = 0;
            for (int32_t i = 0; i < count; ++i) {
                acc += input[(b * count + i) * c + ch] - params->input_zero_point;
            }
            acc = ee_mbqm(acc, params->multiplier, params->shift);
            acc = ee_div_round(acc, count);
            acc += params->output_zero_point;
            output[b * c + ch] = ee_sat8(acc);
        }
    }
    return EE_OK;
}
