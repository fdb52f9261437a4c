"""Kernels refuse inconsistent arguments with EE_ARG_ERROR instead of reading or writing out of bounds, and
small hand-checkable cases give the documented results."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

from edge_ee.codegen.build import WARN
from edge_ee.codegen.generator import FIRMWARE

EE_OK, EE_ARG_ERROR = 0, -1


class Dims(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int32), ("h", ctypes.c_int32), ("w", ctypes.c_int32), ("c", ctypes.c_int32)]


class ConvParams(ctypes.Structure):
    _fields_ = [(f, ctypes.c_int32) for f in ("input_offset", "output_offset", "stride_h", "stride_w", "pad_h",
                                              "pad_w", "dilation_h", "dilation_w", "depth_multiplier", "act_min",
                                              "act_max")]


class Quant(ctypes.Structure):
    _fields_ = [("multiplier", ctypes.POINTER(ctypes.c_int32)), ("shift", ctypes.POINTER(ctypes.c_int32))]


class PoolParams(ctypes.Structure):
    _fields_ = [(f, ctypes.c_int32) for f in ("stride_h", "stride_w", "pad_h", "pad_w", "filter_h", "filter_w",
                                              "act_min", "act_max")]


class PadParams(ctypes.Structure):
    _fields_ = [("before", ctypes.c_int32 * 4), ("after", ctypes.c_int32 * 4), ("pad_value", ctypes.c_int8)]


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    so = tmp_path_factory.mktemp("kernels") / "libk.so"
    srcs = [str(p) for p in sorted((FIRMWARE / "kernels").glob("*.c"))]
    subprocess.run(["gcc", *WARN, "-O1", "-fPIC", "-shared", f"-I{FIRMWARE / 'include'}", "-o", str(so), *srcs],
                   check=True)
    return ctypes.CDLL(str(so))


def p8(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))


def p32(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))


def test_conv_identity_and_dimension_errors(k):
    # A 1x1 convolution with weight 1 and multiplier 0.5 * 2^1 = 1: output = input (+ offsets).
    x = np.arange(-8, 8, dtype=np.int8).reshape(1, 2, 2, 4)
    w = np.zeros((4, 1, 1, 4), np.int8)
    np.fill_diagonal(w.reshape(4, 4), 1)
    mult, shift = np.full(4, 1 << 30, np.int32), np.full(4, 1, np.int32)
    q = Quant(p32(mult), p32(shift))
    p = ConvParams(0, 0, 1, 1, 0, 0, 1, 1, 1, -128, 127)
    out = np.zeros_like(x)
    assert k.ee_conv_s8(None, ctypes.byref(p), ctypes.byref(q), ctypes.byref(Dims(1, 2, 2, 4)), p8(x),
                        ctypes.byref(Dims(4, 1, 1, 4)), p8(w), None, ctypes.byref(Dims(1, 2, 2, 4)), p8(out)) == EE_OK
    np.testing.assert_array_equal(out, x)
    assert k.ee_conv_s8(None, ctypes.byref(p), ctypes.byref(q), ctypes.byref(Dims(1, 2, 2, 4)), p8(x),
                        ctypes.byref(Dims(4, 1, 1, 3)), p8(w), None, ctypes.byref(Dims(1, 2, 2, 4)),
                        p8(out)) == EE_ARG_ERROR
    assert k.ee_conv_s8(None, ctypes.byref(p), ctypes.byref(q), ctypes.byref(Dims(1, 2, 2, 4)), None,
                        ctypes.byref(Dims(4, 1, 1, 4)), p8(w), None, ctypes.byref(Dims(1, 2, 2, 4)),
                        p8(out)) == EE_ARG_ERROR


def test_avgpool_rounds_half_away_and_refuses_empty_windows(k):
    x = np.array([1, 2, -1, -2], np.int8).reshape(1, 2, 2, 1)  # mean of {1, 2} = 1.5 -> 2; of {-1, -2} -> -2
    out = np.zeros((1, 2, 1, 1), np.int8)
    p = PoolParams(1, 2, 0, 0, 1, 2, -128, 127)
    assert k.ee_avgpool_s8(ctypes.byref(p), ctypes.byref(Dims(1, 2, 2, 1)), p8(x), ctypes.byref(Dims(1, 2, 1, 1)),
                           p8(out)) == EE_OK
    assert out.ravel().tolist() == [2, -2]
    far = PoolParams(1, 1, 5, 5, 1, 1, -128, 127)  # every window in the padding
    assert k.ee_avgpool_s8(ctypes.byref(far), ctypes.byref(Dims(1, 2, 2, 1)), p8(x), ctypes.byref(Dims(1, 2, 2, 1)),
                           p8(np.zeros((1, 2, 2, 1), np.int8))) == EE_ARG_ERROR


def test_pad_checks_output_dims(k):
    x = np.ones((1, 1, 1, 2), np.int8)
    p = PadParams((ctypes.c_int32 * 4)(0, 1, 1, 0), (ctypes.c_int32 * 4)(0, 0, 1, 0), -5)
    out = np.zeros((1, 2, 3, 2), np.int8)
    assert k.ee_pad_s8(ctypes.byref(p), ctypes.byref(Dims(1, 1, 1, 2)), p8(x), ctypes.byref(Dims(1, 2, 3, 2)),
                       p8(out)) == EE_OK
    assert out[0, 1, 1].tolist() == [1, 1] and (out == -5).sum() == out.size - 2
    assert k.ee_pad_s8(ctypes.byref(p), ctypes.byref(Dims(1, 1, 1, 2)), p8(x), ctypes.byref(Dims(1, 2, 2, 2)),
                       p8(out)) == EE_ARG_ERROR


def test_fully_connected_refuses_empty_depth(k):
    class FcParams(ctypes.Structure):
        _fields_ = [(f, ctypes.c_int32) for f in ("input_offset", "filter_offset", "output_offset", "act_min",
                                                  "act_max", "per_channel")]
    mult, shift = np.array([1 << 30], np.int32), np.array([1], np.int32)
    q = Quant(p32(mult), p32(shift))
    x, w, out = np.ones(4, np.int8), np.ones(8, np.int8), np.zeros(2, np.int8)
    p = FcParams(0, 0, 0, -128, 127, 0)
    assert k.ee_fully_connected_s8(None, ctypes.byref(p), ctypes.byref(q), 1, 4, 2, p8(x), p8(w), None, p8(out)) == EE_OK
    assert out.tolist() == [4, 4]  # dot product 4, multiplier exactly 1
    assert k.ee_fully_connected_s8(None, ctypes.byref(p), ctypes.byref(q), 1, 0, 2, p8(x), p8(w), None,
                                   p8(out)) == EE_ARG_ERROR
