/* QUANTIZE int8 -> int8 (a change of scale/zero point): bit-exact with TFLite Micro's reference_ops::Requantize. */
#include "ee_nn.h"

#include "ee_math.h"

ee_status ee_requantize_s8(const ee_requantize_params *params, int32_t size, const int8_t *input, int8_t *output)
{
    if (input == NULL || output == NULL || size < 0) {
        return EE_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = ee_mbqm(input[i] - params->input_zero_point, params->multiplier, params->shift) +
                          params->output_zero_point;
        output[i] = ee_sat8(v);
    }
    return EE_OK;
}
