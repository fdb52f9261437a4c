/* FULLY_CONNECTED, int8: bit-exact with TFLite Micro's reference_integer_ops::FullyConnected (per-tensor) and
 * FullyConnectedPerChannel. DSP path: each input row (+input offset) is expanded to int16 in scratch once and
 * reused by every output with dual 16-bit MACs. MVE path: 16-lane VMLADAVA on the int8 row, plus
 * input_offset * sum(weights). Both for symmetric weights; otherwise the reference path runs. */
#include "ee_nn.h"

#include "ee_dsp_support.h"
#include "ee_features.h"
#include "ee_math.h"

int32_t ee_fully_connected_s8_get_buffer_size(int32_t accum_depth)
{
    /* One int16 input row. Keep in sync with edge_ee/codegen/scratch.py (tested). */
    return 2 * accum_depth;
}

ee_status ee_fully_connected_s8(const ee_context *ctx, const ee_fc_params *params, const ee_per_channel_quant *quant,
                                int32_t batches, int32_t accum_depth, int32_t out_depth, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output)
{
    if (input == NULL || filter == NULL || output == NULL || accum_depth <= 0 || out_depth <= 0) {
        return EE_ARG_ERROR;
    }
#if EE_USE_DSP && !EE_USE_MVE
    const int use_dsp = params->filter_offset == 0;
    if (use_dsp && (ctx == NULL || ctx->buf == NULL || ctx->size < ee_fully_connected_s8_get_buffer_size(accum_depth))) {
        return EE_NO_SCRATCH;
    }
#else
    (void)ctx;
#endif
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *in_row = input + b * accum_depth;
#if EE_USE_DSP && !EE_USE_MVE
        if (use_dsp) {
            ee_s8_to_s16_reordered(in_row, accum_depth, params->input_offset, (int16_t *)ctx->buf);
        }
#endif
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *w = filter + o * accum_depth;
            int32_t acc = 0;
#if EE_USE_MVE
            if (params->filter_offset == 0) {
                int32_t sum;
                acc = ee_dot_s8_mve(w, in_row, accum_depth, &sum);
                acc += params->input_offset * sum;
            } else
#elif EE_USE_DSP
            if (use_dsp) {
                acc = ee_dot_s8_s16_reordered(w, (const int16_t *)ctx->buf, accum_depth, 0);
            } else
#endif
            {
                for (int32_t d = 0; d < accum_depth; ++d) {
                    acc += (w[d] + params->filter_offset) * (in_row[d] + params->input_offset);
                }
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            const int32_t q = params->per_channel ? o : 0;
            acc = ee_mbqm(acc, quant->multiplier[q], quant->shift[q]);
            acc += params->output_offset;
            output[b * out_depth + o] = (int8_t)ee_clamp32(acc, params->act_min, params->act_max);
        }
    }
    return EE_OK;
}
