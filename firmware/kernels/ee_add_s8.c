/* ADD, int8, elementwise on equal shapes: bit-exact with TFLite Micro's reference_integer_ops::Add. */
#include "ee_nn.h"

#include "ee_math.h"

ee_status ee_add_s8(const ee_add_params *params, int32_t size, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    if (input1 == NULL || input2 == NULL || output == NULL || size < 0) {
        return EE_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; ++i) {
        const int32_t a = ee_shl32(params->input1_offset + input1[i], params->left_shift);
        const int32_t b = ee_shl32(params->input2_offset + input2[i], params->left_shift);
        const int32_t sa = ee_mbqm(a, params->input1_multiplier, params->input1_shift);
        const int32_t sb = ee_mbqm(b, params->input2_multiplier, params->input2_shift);
        const int32_t raw = ee_mbqm(sa + sb, params->output_multiplier, params->output_shift) + params->output_offset;
        output[i] = (int8_t)ee_clamp32(raw, params->act_min, params->act_max);
    }
    return EE_OK;
}
