/* DEPTHWISE_CONV_2D, int8, per-channel weights: bit-exact with TFLite Micro's
 * reference_integer_ops::DepthwiseConvPerChannel. No scratch.
 * DSP path (depth multiplier 1): four channels at a time, one 32-bit load of four input bytes and four filter
 * bytes per kernel tap, sign-extended in pairs (SXTAB16 adds the input offset on the way) and accumulated with
 * 16x16 MACs (SMLABB/SMLATT) in four registers. MVE path (depth multiplier 1): four channels per int32x4
 * vector, sign-extending byte loads, VMUL and VADD. The int32 sums are exact, so results equal the reference. */
#include <string.h>

#include "ee_nn.h"

#include "ee_features.h"
#include "ee_math.h"

#if EE_USE_DSP && !EE_USE_MVE
/* Channels [c, c + 4) of one output pixel; the window [ky0, ky1) x [kx0, kx1) lies inside the input. */
static inline void dw4_dsp(const ee_conv_params *p, const ee_per_channel_quant *q, const int8_t *input,
                           int32_t in_w, int32_t in_c, int32_t in_y0, int32_t in_x0, int32_t ky0, int32_t ky1,
                           int32_t kx0, int32_t kx1, const int8_t *filter, int32_t k_w, const int32_t *bias, int32_t c,
                           int8_t *out)
{
    /* Both halves of the offset pair; the upper half is exact since |offset| <= 128 fits int16. */
    const uint32_t off2 = ((uint32_t)(uint16_t)(int16_t)p->input_offset << 16) | (uint16_t)(int16_t)p->input_offset;
    int32_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
    for (int32_t ky = ky0; ky < ky1; ++ky) {
        const int32_t in_y = in_y0 + p->dilation_h * ky;
        for (int32_t kx = kx0; kx < kx1; ++kx) {
            const int32_t in_x = in_x0 + p->dilation_w * kx;
            uint32_t x;
            uint32_t w;
            memcpy(&x, input + (in_y * in_w + in_x) * in_c + c, 4);
            memcpy(&w, filter + (ky * k_w + kx) * in_c + c, 4);
            const uint32_t x02 = __sxtab16(off2, x);
            const uint32_t x13 = __sxtab16(off2, (x >> 8) | (x << 24));
            const uint32_t w02 = __sxtb16(w);
            const uint32_t w13 = __sxtb16((w >> 8) | (w << 24));
            acc0 = __smlabb(w02, x02, acc0);
            acc2 = __smlatt(w02, x02, acc2);
            acc1 = __smlabb(w13, x13, acc1);
            acc3 = __smlatt(w13, x13, acc3);
        }
    }
    const int32_t accs[4] = {acc0, acc1, acc2, acc3};
    for (int32_t i = 0; i < 4; ++i) {
        int32_t acc = accs[i] + (bias != NULL ? bias[c + i] : 0);
        acc = ee_mbqm(acc, q->multiplier[c + i], q->shift[c + i]) + p->output_offset;
        out[c + i] = (int8_t)ee_clamp32(acc, p->act_min, p->act_max);
    }
}
#endif

ee_status ee_depthwise_conv_s8(const ee_conv_params *params, const ee_per_channel_quant *quant,
                               const ee_dims *input_dims, const int8_t *input, const ee_dims *filter_dims,
                               const int8_t *filter, const int32_t *bias, const ee_dims *output_dims,
                               int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t mult = params->depth_multiplier;
    if (input == NULL || filter == NULL || output == NULL || out_c != in_c * mult || filter_dims->c != out_c ||
        input_dims->n != output_dims->n) {
        return EE_ARG_ERROR;
    }
    for (int32_t b = 0; b < output_dims->n; ++b) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                int8_t *out_px = output + ((b * out_h + oy) * out_w + ox) * out_c;
                int32_t ic = 0;
#if EE_USE_DSP || EE_USE_MVE
                if (mult == 1 && params->dilation_h > 0 && params->dilation_w > 0) {
                    /* Kernel taps inside the input: ky with 0 <= in_y0 + dilation_h * ky < in_h, same for kx. */
                    const int32_t dh = params->dilation_h, dw = params->dilation_w;
                    const int32_t ky0 = in_y0 < 0 ? (-in_y0 + dh - 1) / dh : 0;
                    const int32_t ky1 = ee_min32(k_h, in_y0 < in_h ? (in_h - in_y0 + dh - 1) / dh : 0);
                    const int32_t kx0 = in_x0 < 0 ? (-in_x0 + dw - 1) / dw : 0;
                    const int32_t kx1 = ee_min32(k_w, in_x0 < in_w ? (in_w - in_x0 + dw - 1) / dw : 0);
                    const int8_t *in_b = input + b * in_h * in_w * in_c;
#if EE_USE_MVE
                    for (; ic < in_c; ic += 4) {
                        const mve_pred16_t p = vctp32q((uint32_t)(in_c - ic));
                        int32x4_t acc = vdupq_n_s32(0);
                        for (int32_t ky = ky0; ky < ky1; ++ky) {
                            const int32_t in_y = in_y0 + dh * ky;
                            for (int32_t kx = kx0; kx < kx1; ++kx) {
                                const int32_t in_x = in_x0 + dw * kx;
                                const int32x4_t xv = vldrbq_z_s32(in_b + (in_y * in_w + in_x) * in_c + ic, p);
                                const int32x4_t wv = vldrbq_z_s32(filter + (ky * k_w + kx) * out_c + ic, p);
                                acc = vaddq_s32(acc, vmulq_s32(vaddq_n_s32(xv, params->input_offset), wv));
                            }
                        }
                        int32_t a[4];
                        vst1q_s32(a, acc);
                        for (int32_t i = 0; i < 4 && ic + i < in_c; ++i) {
                            int32_t v = a[i] + (bias != NULL ? bias[ic + i] : 0);
                            v = ee_mbqm(v, quant->multiplier[ic + i], quant->shift[ic + i]) + params->output_offset;
                            out_px[ic + i] = (int8_t)ee_clamp32(v, params->act_min, params->act_max);
                        }
                    }
#else
                    for (; ic + 4 <= in_c; ic += 4) {
                        dw4_dsp(params, quant, in_b, in_w, in_c, in_y0, in_x0, ky0, ky1, kx0, kx1, filter, k_w, bias,
                                ic, out_px);
                    }
#endif
                }
#endif
                for (; ic < in_c; ++ic) {
                    for (int32_t m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
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
                                const int32_t v = input[((b * in_h + in_y) * in_w + in_x) * in_c + ic];
                                acc += filter[(ky * k_w + kx) * out_c + oc] * (v + params->input_offset);
                            }
                        }
                        if (bias != NULL) {
                            acc += bias[oc];
                        }
                        acc = ee_mbqm(acc, quant->multiplier[oc], quant->shift[oc]);
                        acc += params->output_offset;
                        out_px[oc] = (int8_t)ee_clamp32(acc, params->act_min, params->act_max);
                    }
                }
            }
        }
    }
    return EE_OK;
}
