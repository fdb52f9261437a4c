/* CONV_2D, int8, per-channel weights: bit-exact with TFLite Micro's reference_integer_ops::ConvPerChannel.
 * Reference path: direct loops, no scratch. DSP path: for each output pixel, the receptive field (+input
 * offset, zero where padded) is expanded once to int16 in scratch and reused by every output channel with
 * dual 16-bit MACs. MVE path: the receptive field is gathered as int8 (the input zero point where padded) and
 * each output is a 16-lane VMLADAVA dot product plus input_offset * sum(weights). */
#include "ee_nn.h"

#include "ee_dsp_support.h"
#include "ee_features.h"
#include "ee_math.h"

int32_t ee_conv_s8_get_buffer_size(const ee_dims *input_dims, const ee_dims *filter_dims)
{
    /* One int16 column of kh * kw * ic. Keep in sync with edge_ee/codegen/scratch.py (tested). */
    (void)input_dims;
    return 2 * filter_dims->h * filter_dims->w * filter_dims->c;
}

static inline int8_t requantize(int32_t acc, const ee_conv_params *p, const ee_per_channel_quant *q, int32_t oc)
{
    acc = ee_mbqm(acc, q->multiplier[oc], q->shift[oc]);
    acc += p->output_offset;
    return (int8_t)ee_clamp32(acc, p->act_min, p->act_max);
}

ee_status ee_conv_s8(const ee_context *ctx, const ee_conv_params *params, const ee_per_channel_quant *quant,
                     const ee_dims *input_dims, const int8_t *input, const ee_dims *filter_dims,
                     const int8_t *filter, const int32_t *bias, const ee_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    if (input == NULL || filter == NULL || output == NULL || filter_dims->c != in_c || filter_dims->n != out_c ||
        input_dims->n != output_dims->n) {
        return EE_ARG_ERROR;
    }
#if EE_USE_MVE
    const int32_t col_len = k_h * k_w * in_c;
    if (ctx == NULL || ctx->buf == NULL || ctx->size < ee_conv_s8_get_buffer_size(input_dims, filter_dims)) {
        return EE_NO_SCRATCH;
    }
    int8_t *col8 = (int8_t *)ctx->buf;
    const int8_t pad_value = (int8_t)(-params->input_offset); /* the input zero point: contributes 0 */
#elif EE_USE_DSP
    const int32_t col_len = k_h * k_w * in_c;
    if (ctx == NULL || ctx->buf == NULL || ctx->size < ee_conv_s8_get_buffer_size(input_dims, filter_dims)) {
        return EE_NO_SCRATCH;
    }
    int16_t *col = (int16_t *)ctx->buf;
#else
    (void)ctx;
#endif
    for (int32_t b = 0; b < output_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
#if EE_USE_MVE
                int8_t *dst8 = col8;
                for (int32_t ky = 0; ky < k_h; ++ky) {
                    const int32_t in_y = in_y0 + params->dilation_h * ky;
                    for (int32_t kx = 0; kx < k_w; ++kx) {
                        const int32_t in_x = in_x0 + params->dilation_w * kx;
                        if (in_y < 0 || in_y >= in_h || in_x < 0 || in_x >= in_w) {
                            memset(dst8, pad_value, (size_t)in_c);
                        } else {
                            memcpy(dst8, input + ((b * in_h + in_y) * in_w + in_x) * in_c, (size_t)in_c);
                        }
                        dst8 += in_c;
                    }
                }
                int32_t oc = 0;
                for (; oc + 2 <= out_c; oc += 2) {
                    int32_t acc0, acc1, sum0, sum1;
                    ee_dot2_s8_mve(filter + oc * col_len, filter + (oc + 1) * col_len, col8, col_len, &acc0, &acc1,
                                   &sum0, &sum1);
                    acc0 += params->input_offset * sum0 + (bias != NULL ? bias[oc] : 0);
                    acc1 += params->input_offset * sum1 + (bias != NULL ? bias[oc + 1] : 0);
                    out_px[oc] = requantize(acc0, params, quant, oc);
                    out_px[oc + 1] = requantize(acc1, params, quant, oc + 1);
                }
                for (; oc < out_c; ++oc) {
                    int32_t sum;
                    int32_t acc = ee_dot_s8_mve(filter + oc * col_len, col8, col_len, &sum);
                    acc += params->input_offset * sum + (bias != NULL ? bias[oc] : 0);
                    out_px[oc] = requantize(acc, params, quant, oc);
                }
#elif EE_USE_DSP
                int16_t *dst = col;
                for (int32_t ky = 0; ky < k_h; ++ky) {
                    const int32_t in_y = in_y0 + params->dilation_h * ky;
                    for (int32_t kx = 0; kx < k_w; ++kx) {
                        const int32_t in_x = in_x0 + params->dilation_w * kx;
                        if (in_y < 0 || in_y >= in_h || in_x < 0 || in_x >= in_w) {
                            memset(dst, 0, (size_t)in_c * sizeof(int16_t)); /* padding contributes nothing */
                        } else {
                            const int8_t *src = input + ((b * in_h + in_y) * in_w + in_x) * in_c;
                            for (int32_t c = 0; c < in_c; ++c) {
                                dst[c] = (int16_t)(src[c] + params->input_offset);
                            }
                        }
                        dst += in_c;
                    }
                }
                /* Reorder in groups of four across the whole column (the filter row has the same layout). */
                for (int32_t i = 0; i + 4 <= col_len; i += 4) {
                    const int16_t t = col[i + 1];
                    col[i + 1] = col[i + 2];
                    col[i + 2] = t;
                }
                int32_t oc = 0;
                for (; oc + 2 <= out_c; oc += 2) {
                    int32_t acc0;
                    int32_t acc1;
                    ee_dot2_s8_s16_reordered(filter + oc * col_len, filter + (oc + 1) * col_len, col, col_len, &acc0,
                                             &acc1);
                    if (bias != NULL) {
                        acc0 += bias[oc];
                        acc1 += bias[oc + 1];
                    }
                    out_px[oc] = requantize(acc0, params, quant, oc);
                    out_px[oc + 1] = requantize(acc1, params, quant, oc + 1);
                }
                for (; oc < out_c; ++oc) {
                    int32_t acc = ee_dot_s8_s16_reordered(filter + oc * col_len, col, col_len, 0);
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    out_px[oc] = requantize(acc, params, quant, oc);
                }
#else
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < k_h; ++ky) {
                        const int32_t in_y = in_y0 + params->dilation_h * ky;
                        if (in_y < 0 || in_y >= in_h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < k_w; ++kx) {
                            const int32_t in_x = in_x0 + params->dilation_w * kx;
                            if (in_x < 0 || in_x >= in_w) {
                                continue;
                            }
                            const int8_t *src = input + ((b * in_h + in_y) * in_w + in_x) * in_c;
                            const int8_t *w = filter + ((oc * k_h + ky) * k_w + kx) * in_c;
                            for (int32_t c = 0; c < in_c; ++c) {
                                acc += w[c] * (src[c] + params->input_offset);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    out_px[oc] = requantize(acc, params, quant, oc);
                }
#endif
            }
        }
    }
    return EE_OK;
}
