/* DEPTHWISE_CONV_2D, int8, per-channel weights: bit-exact with TFLite Micro's
 * reference_integer_ops::DepthwiseConvPerChannel. No scratch. The loop order keeps the channel innermost so
 * input and filter are read contiguously (the int32 sums are exact, so order does not change results). */
#include "ee_nn.h"

#include "ee_math.h"

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
                for (int32_t ic = 0; ic < in_c; ++ic) {
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
