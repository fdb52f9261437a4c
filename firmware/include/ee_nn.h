/* edge_ee int8 kernels: TFLite Micro's reference integer arithmetic, bit for bit.
 *
 * Conventions (all kernels):
 *  - Tensors are int8, NHWC, densely packed, row-major; per-tensor quantization for activations, per-channel
 *    (along the output channel) for CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED weights, zero weight offset.
 *  - Everything TFLite Micro computes in Prepare (multipliers and shifts from QuantizeMultiplier, offsets,
 *    activation clamps, padding, output sizes) is computed by the Python generator (edge_ee.codegen) and passed
 *    in as constants: kernels only evaluate.
 *  - The caller owns every buffer. Inputs and outputs must not overlap. Scratch (`ee_context.buf`) is needed
 *    only where a `_get_buffer_size` companion exists and returns > 0; it is valid only during one call.
 *  - Return EE_OK, EE_ARG_ERROR for inconsistent dimensions or a NULL required pointer, EE_NO_SCRATCH when a
 *    path needs scratch and `ctx->buf` is NULL or `ctx->size` too small.
 *  - Multipliers are Q31 in [2^30, 2^31) (or 0); shifts are in [-31, 30], positive meaning left.
 */
#ifndef EE_NN_H
#define EE_NN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EE_OK = 0,
    EE_ARG_ERROR = -1,
    EE_NO_SCRATCH = -2
} ee_status;

typedef struct {
    int32_t n, h, w, c;
} ee_dims;

typedef struct {
    void *buf;     /* scratch, owned by the caller (an arena region); may be NULL if size 0 is needed */
    int32_t size;  /* bytes available at buf */
} ee_context;

typedef struct {
    const int32_t *multiplier; /* one per output channel (per-tensor: repeated, or length 1 with per_channel 0) */
    const int32_t *shift;
} ee_per_channel_quant;

typedef struct {
    int32_t input_offset;  /* -input zero point, in [-127, 128] */
    int32_t output_offset; /* output zero point, in [-128, 127] */
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;  /* top and left padding (TFLite ComputePaddingHeightWidth) */
    int32_t dilation_h, dilation_w;
    int32_t depth_multiplier; /* depthwise only */
    int32_t act_min, act_max; /* fused activation clamp in the output's quantized domain */
} ee_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t filter_offset; /* -filter zero point (0 for symmetric int8 weights) */
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t per_channel;   /* 0: one multiplier/shift for all outputs; 1: one per output */
} ee_fc_params;

typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t left_shift; /* 20 for int8 */
    int32_t input1_multiplier, input1_shift; /* shifts <= 0 */
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} ee_add_params;

typedef struct {
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t filter_h, filter_w;
    int32_t act_min, act_max;
} ee_pool_params;

typedef struct {
    int32_t multiplier, shift; /* QuantizeMultiplier(input scale / output scale) with 1/count folded in */
    int32_t input_zero_point, output_zero_point;
} ee_mean_params;

typedef struct {
    int32_t before[4], after[4]; /* padding per NHWC dimension */
    int8_t pad_value;            /* the output zero point for PAD, the constant for PADV2 */
} ee_pad_params;

typedef struct {
    int32_t input_multiplier, input_left_shift; /* PreprocessSoftmaxScaling(beta, input scale, 5 integer bits) */
    int32_t diff_min;                           /* -CalculateInputRadius(5, input_left_shift) */
} ee_softmax_params;

typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift; /* QuantizeMultiplier(input scale / output scale) */
} ee_requantize_params;

typedef struct {
    int32_t perm[4]; /* output axis i takes input axis perm[i] (dims extended to 4-D with leading 1s) */
} ee_transpose_params;

/* CONV_2D, int8 (reference_integer_ops::ConvPerChannel).
 * input [n, h, w, ic], filter [oc, kh, kw, ic] (filter_dims = {oc, kh, kw, ic}), bias [oc] int32 or NULL,
 * output [n, oh, ow, oc]. Scratch: ee_conv_s8_get_buffer_size (DSP path only; the reference path needs none). */
ee_status ee_conv_s8(const ee_context *ctx, const ee_conv_params *params, const ee_per_channel_quant *quant,
                     const ee_dims *input_dims, const int8_t *input, const ee_dims *filter_dims,
                     const int8_t *filter, const int32_t *bias, const ee_dims *output_dims, int8_t *output);
int32_t ee_conv_s8_get_buffer_size(const ee_dims *input_dims, const ee_dims *filter_dims);

/* DEPTHWISE_CONV_2D, int8 (reference_integer_ops::DepthwiseConvPerChannel).
 * input [n, h, w, ic], filter [1, kh, kw, oc] with oc = ic * depth_multiplier (filter_dims = {1, kh, kw, oc}),
 * bias [oc] or NULL, output [n, oh, ow, oc]. No scratch. */
ee_status ee_depthwise_conv_s8(const ee_conv_params *params, const ee_per_channel_quant *quant,
                               const ee_dims *input_dims, const int8_t *input, const ee_dims *filter_dims,
                               const int8_t *filter, const int32_t *bias, const ee_dims *output_dims,
                               int8_t *output);

/* FULLY_CONNECTED, int8 (reference_integer_ops::FullyConnected / FullyConnectedPerChannel).
 * input [batches, accum_depth], filter [out_depth, accum_depth], bias [out_depth] or NULL,
 * output [batches, out_depth]. Scratch: ee_fully_connected_s8_get_buffer_size (DSP path only). */
ee_status ee_fully_connected_s8(const ee_context *ctx, const ee_fc_params *params, const ee_per_channel_quant *quant,
                                int32_t batches, int32_t accum_depth, int32_t out_depth, const int8_t *input,
                                const int8_t *filter, const int32_t *bias, int8_t *output);
int32_t ee_fully_connected_s8_get_buffer_size(int32_t accum_depth);

/* ADD, int8, same shapes (reference_integer_ops::Add, no broadcasting): size elements each. */
ee_status ee_add_s8(const ee_add_params *params, int32_t size, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

/* AVERAGE_POOL_2D / MAX_POOL_2D, int8 (input and output share quantization): input [n, h, w, c] ->
 * output [n, oh, ow, c]. Windows are clipped at the borders (padding does not count). */
ee_status ee_avgpool_s8(const ee_pool_params *params, const ee_dims *input_dims, const int8_t *input,
                        const ee_dims *output_dims, int8_t *output);
ee_status ee_maxpool_s8(const ee_pool_params *params, const ee_dims *input_dims, const int8_t *input,
                        const ee_dims *output_dims, int8_t *output);

/* MEAN over H and W of a 4-D tensor (reference_ops::QuantizedMeanOrSum, integer): input [n, h, w, c] ->
 * output [n, 1, 1, c] or [n, c] (the same bytes). */
ee_status ee_mean_hw_s8(const ee_mean_params *params, const ee_dims *input_dims, const int8_t *input,
                        int8_t *output);

/* PAD / PADV2, int8, up to 4-D (NHWC, leading dims 1): output dims = input dims + before + after. */
ee_status ee_pad_s8(const ee_pad_params *params, const ee_dims *input_dims, const int8_t *input,
                    const ee_dims *output_dims, int8_t *output);

/* SOFTMAX, int8 -> int8 with output scale 1/256, zero point -128 (reference_ops::Softmax, gemmlowp fixed point):
 * rows x depth. */
ee_status ee_softmax_s8(const ee_softmax_params *params, int32_t rows, int32_t depth, const int8_t *input,
                        int8_t *output);

/* TRANSPOSE, int8, up to 4-D (dims extended with leading 1s): output axis i is input axis perm[i]. */
ee_status ee_transpose_s8(const ee_transpose_params *params, const ee_dims *input_dims, const int8_t *input,
                          int8_t *output);

/* QUANTIZE int8 -> int8 (requantization, reference_ops::Requantize): size elements. */
ee_status ee_requantize_s8(const ee_requantize_params *params, int32_t size, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* EE_NN_H */
