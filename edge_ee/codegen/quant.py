"""TFLite's Prepare-time quantization arithmetic, in Python, exactly as TFLite Micro computes it in C++
(tensorflow/lite/kernels/internal/quantization_util.cc, kernels/kernel_util.cc, kernels/padding.h).

Where TFLite mixes float32 and double arithmetic, so does this module: scales are stored as float32 in the
model, and a product taken in float32 (as in `input->params.scale * filter->params.scale`) rounds differently
from the same product in double. The results are the constants the generated C evaluates with."""

from __future__ import annotations

import math

import numpy as np

QMIN, QMAX = -128, 127


def _round_half_away(x: float) -> float:
    """std::round / TfLiteRound: halves round away from zero."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: real = m * 2^(shift - 31), m in [2^30, 2^31). Returns (m, shift)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(_round_half_away(q * (1 << 31)))
    assert q_fixed <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def f32(x) -> float:
    """A value as TFLite stores it (float32), widened exactly to a Python float (double)."""
    return float(np.float32(x))


def quantize_value(scale: float, zero_point: int, value: float) -> int:
    """TFLite's Quantize() in kernel_util.h: the division and rounding happen in float32."""
    tmp = np.float32(value) / np.float32(scale)
    return int(zero_point) + int(_round_half_away(float(tmp)))


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for an int8 output. `activation` as in the schema enum name."""
    if activation == "NONE":
        return QMIN, QMAX
    if activation == "RELU":
        return max(QMIN, quantize_value(scale, zero_point, 0.0)), QMAX
    if activation == "RELU6":
        return (max(QMIN, quantize_value(scale, zero_point, 0.0)),
                min(QMAX, quantize_value(scale, zero_point, 6.0)))
    if activation == "RELU_N1_TO_1":
        return (max(QMIN, quantize_value(scale, zero_point, -1.0)),
                min(QMAX, quantize_value(scale, zero_point, 1.0)))
    raise ValueError(activation)


def out_size(padding: str, image: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    eff = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (image + stride - 1) // stride
    return (image + stride - eff) // stride


def padding_offset(stride: int, dilation: int, in_size: int, filter_size: int, out: int) -> int:
    """ComputePaddingWithOffset: the top/left padding (the odd pixel, if any, goes bottom/right)."""
    eff = (filter_size - 1) * dilation + 1
    total = max((out - 1) * stride + eff - in_size, 0)
    return total // 2


def conv_multipliers(input_scale: float, filter_scales: np.ndarray, output_scale: float,
                     channels: int) -> tuple[list[int], list[int]]:
    """PopulateConvolutionQuantizationParams: per output channel, in double from float32 scales."""
    mults, shifts = [], []
    per_channel = filter_scales.size > 1
    for c in range(channels):
        fs = f32(filter_scales[c] if per_channel else filter_scales[0])
        m, s = quantize_multiplier(f32(input_scale) * fs / f32(output_scale))
        mults.append(m)
        shifts.append(s)
    return mults, shifts


def fc_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """GetQuantizedConvolutionMultipler: the input*filter product is taken in float32, then widened."""
    product = float(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / f32(output_scale))


def add_params(s1: float, s2: float, s_out: float, left_shift: int = 20) -> dict:
    """CalculateOpDataAdd for int8."""
    twice_max = 2.0 * f32(max(np.float32(s1), np.float32(s2)))
    m1, sh1 = quantize_multiplier(f32(s1) / twice_max)
    m2, sh2 = quantize_multiplier(f32(s2) / twice_max)
    mo, sho = quantize_multiplier(twice_max / ((1 << left_shift) * f32(s_out)))
    return {"input1_multiplier": m1, "input1_shift": sh1, "input2_multiplier": m2, "input2_shift": sh2,
            "output_multiplier": mo, "output_shift": sho, "left_shift": left_shift}


def softmax_params(beta: float, input_scale: float, integer_bits: int = 5) -> tuple[int, int, int]:
    """PreprocessSoftmaxScaling + CalculateInputRadius: (input_multiplier, input_left_shift, diff_min)."""
    real = min(f32(beta) * f32(input_scale) * float(1 << (31 - integer_bits)), float((1 << 31) - 1))
    mult, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        raise ValueError("softmax input scale too small")
    max_input_rescaled = 1.0 * ((1 << integer_bits) - 1) * float(1 << (31 - integer_bits)) / float(1 << left_shift)
    radius = int(math.floor(max_input_rescaled))
    return mult, left_shift, -radius



def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """QuantizedMeanOrSum (reference/reduce.h): QuantizeMultiplier(input/output scale), then 1/count folded in."""
    mult, shift = quantize_multiplier(f32(input_scale) / f32(output_scale))
    fold = min(count.bit_length() - 1, 32, 31 + shift)
    return (mult << fold) // count, shift - fold
