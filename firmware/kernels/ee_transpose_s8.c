/* TRANSPOSE, int8, up to 4-D: bit-exact with TFLite Micro's reference_ops::Transpose (a permuted copy). */
#include "ee_nn.h"

ee_status ee_transpose_s8(const ee_transpose_params *params, const ee_dims *input_dims, const int8_t *input,
                          int8_t *output)
{
    const int32_t in[4] = {input_dims->n, input_dims->h, input_dims->w, input_dims->c};
    int32_t stride[4];
    int32_t out[4];
    int32_t ostride[4];
    if (input == NULL || output == NULL) {
        return EE_ARG_ERROR;
    }
    stride[3] = 1;
    for (int i = 2; i >= 0; --i) {
        stride[i] = stride[i + 1] * in[i + 1];
    }
    for (int i = 0; i < 4; ++i) {
        if (params->perm[i] < 0 || params->perm[i] > 3) {
            return EE_ARG_ERROR;
        }
        out[i] = in[params->perm[i]];
        ostride[i] = stride[params->perm[i]]; /* input stride of output axis i */
    }
    int8_t *dst = output;
    for (int32_t a = 0; a < out[0]; ++a) {
        for (int32_t b = 0; b < out[1]; ++b) {
            for (int32_t c = 0; c < out[2]; ++c) {
                const int8_t *src = input + a * ostride[0] + b * ostride[1] + c * ostride[2];
                for (int32_t d = 0; d < out[3]; ++d) {
                    *dst++ = src[d * ostride[3]];
                }
            }
        }
    }
    return EE_OK;
}
