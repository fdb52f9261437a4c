/* PAD / PADV2, int8, NHWC: bit-exact with TFLite Micro's reference_ops::Pad (a copy with a constant border). */
#include <string.h>

#include "ee_nn.h"

ee_status ee_pad_s8(const ee_pad_params *params, const ee_dims *input_dims, const int8_t *input,
                    const ee_dims *output_dims, int8_t *output)
{
    const int32_t in[4] = {input_dims->n, input_dims->h, input_dims->w, input_dims->c};
    const int32_t out[4] = {output_dims->n, output_dims->h, output_dims->w, output_dims->c};
    if (input == NULL || output == NULL) {
        return EE_ARG_ERROR;
    }
    for (int i = 0; i < 4; ++i) {
        if (params->before[i] < 0 || params->after[i] < 0 || out[i] != in[i] + params->before[i] + params->after[i]) {
            return EE_ARG_ERROR;
        }
    }
    memset(output, params->pad_value, (size_t)out[0] * (size_t)out[1] * (size_t)out[2] * (size_t)out[3]);
    for (int32_t b = 0; b < in[0]; ++b) {
        for (int32_t y = 0; y < in[1]; ++y) {
            for (int32_t x = 0; x < in[2]; ++x) {
                const int8_t *src = input + ((b * in[1] + y) * in[2] + x) * in[3];
                int8_t *dst = output + (((b + params->before[0]) * out[1] + y + params->before[1]) * out[2] + x +
                                        params->before[2]) * out[3] + params->before[3];
                memcpy(dst, src, (size_t)in[3]);
            }
        }
    }
    return EE_OK;
}
