"""Convert-side checks over a TFLite model as edge_ee.tflite_model reads it: the full-int8 check that `convert`
and `import` share, multiply-accumulate counting, and the in-place boundary patch."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from edge_ee.errors import ConversionError, UnsupportedOp
from edge_ee.io import atomic_write_bytes
from edge_ee.tflite_model import TensorInfo, TFLiteModel, quantization_offsets, read_tflite

# Ops whose int8 kernels take int8 weights (input 1) and int32 biases (input 2).
WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV")


def count_macs(model: TFLiteModel) -> int:
    """Multiply-accumulates of one inference, counted from the weighted ops' shapes (batch 1), the same
    convention as edge_ee.macs for PyTorch modules."""
    total = 0
    for op in model.operators:
        if op.name not in WEIGHTED_OPS or len(op.inputs) < 2:
            continue
        w = model.tensors[op.inputs[1]].shape
        out = model.tensors[op.outputs[0]].shape
        if op.name == "CONV_2D":  # w: [Cout, kh, kw, Cin]
            total += int(np.prod(out[1:])) * w[1] * w[2] * w[3]
        elif op.name == "DEPTHWISE_CONV_2D":  # w: [1, kh, kw, Cout]
            total += int(np.prod(out[1:])) * w[1] * w[2]
        elif op.name == "FULLY_CONNECTED":  # w: [units, in]
            rows = int(np.prod(out)) // w[0]
            total += rows * w[0] * w[1]
        elif op.name == "TRANSPOSE_CONV":  # w: [Cout, kh, kw, Cin]; every input pixel feeds kh*kw*Cout
            x = model.tensors[op.inputs[2]].shape
            total += int(np.prod(x[1:])) * w[0] * w[1] * w[2]
    return total


def _per_tensor(t: TensorInfo) -> bool:
    return t.quant is not None and t.quant.scale.size == 1 and t.quant.zero_point.size == 1


def check_full_int8(model: TFLiteModel, what: str | None = None, per_channel: bool = False) -> None:
    """Raises ConversionError unless `model` is fully int8: one subgraph of static shape, per-tensor int8
    inputs, outputs and activations, int8 weights and int32 biases on every weighted op (per-channel weights
    when `per_channel`). Float and dynamic-range models are named as such. `what` names the model in errors
    (default: its path)."""
    g = model
    what = what or str(g.path or "the model")
    fix = "convert it with full-integer quantization (int8 inputs, outputs and activations)"
    if g.num_subgraphs != 1:
        raise ConversionError(f"{what} has {g.num_subgraphs} subgraphs; edge_ee handles single-subgraph models",
                              "export the model without control flow")
    boundary = [g.tensors[i] for i in g.inputs + g.outputs]
    for t in boundary:
        if t.dynamic:
            raise ConversionError(f"{what}: tensor {t.name!r} has a dynamic shape {list(t.shape_signature)}",
                                  "convert with a fixed input shape (batch 1)")
    io_float = [t for t in boundary if t.dtype != "int8"]
    weights = [g.tensors[op.inputs[1]] for op in g.operators if op.name in WEIGHTED_OPS and len(op.inputs) > 1]
    if io_float:
        kind = ("a dynamic-range quantized model (int8 weights, float activations)"
                if any(w.dtype == "int8" for w in weights) else "a float model")
        t = io_float[0]
        raise ConversionError(f"{what} is {kind}, not fully int8: {'input' if t.index in g.inputs else 'output'} "
                              f"{t.name!r} is {t.dtype}", fix)
    for op in g.operators:
        if op.name in ("QUANTIZE", "DEQUANTIZE"):
            continue
        floats = [g.tensors[i] for i in op.inputs + op.outputs
                  if i >= 0 and g.tensors[i].dtype == "float32" and not g.tensors[i].is_const]
        if floats:
            raise UnsupportedOp(op.name, what, f"it has no int8 kernel, so TFLite left it in float (tensor "
                                f"{floats[0].name!r}); replace the layer with int8-friendly ops (conv, depthwise "
                                "conv, linear, pooling, add, relu, reshape)")
    for op in g.operators:
        for i in op.outputs:
            t = g.tensors[i]
            if t.dtype != "int8":
                raise ConversionError(f"{what} is not fully int8: {op.name} produces {t.dtype} tensor {t.name!r}",
                                      fix)
        if op.name.startswith("CUSTOM:"):
            raise ConversionError(f"{what} uses custom operator {op.name[7:]!r}, which the int8 runtimes lack",
                                  "convert without custom or Flex ops")
    for t in boundary:
        if not _per_tensor(t):
            raise ConversionError(f"{what}: tensor {t.name!r} has no per-tensor quantization", fix)
    for op in g.operators:
        if op.name not in WEIGHTED_OPS:
            continue
        w = g.tensors[op.inputs[1]]
        if w.dtype != "int8":
            raise ConversionError(f"{what}: {op.name} weights {w.name!r} are {w.dtype}, not int8", fix)
        if per_channel and w.quant is not None and not w.quant.per_channel and w.shape[w.quant.axis] > 1:
            raise ConversionError(f"{what}: {op.name} weights {w.name!r} are quantized per tensor, not per channel",
                                  "convert with per-channel quantization")
        bias_at = 3 if op.name == "TRANSPOSE_CONV" else 2
        if len(op.inputs) > bias_at and op.inputs[bias_at] >= 0:
            b = g.tensors[op.inputs[bias_at]]
            if b.dtype != "int32":
                raise ConversionError(f"{what}: {op.name} bias {b.name!r} is {b.dtype}, not int32", fix)


# ---------------------------------------------------------------- boundary patch

def _quant_key(t: TensorInfo) -> tuple:
    if t.quant is None:
        return (), ()
    return tuple(t.quant.scale.tolist()), tuple(t.quant.zero_point.tolist())


def set_input_quantization(path, scale: float, zero_point: int) -> list[int]:
    """Gives a model's input tensor exactly (scale, zero_point), in place: only those bytes of the file change.

    Tensors that merely carry the input on (TRANSPOSE, RESHAPE ... whose output had the input's exact old
    quantization) get the same values, so ops that require equal input and output quantization stay valid.
    Returns the patched tensor indices; raises ConversionError when the flatbuffer shares the vectors with
    other tensors (the change would leak)."""
    path = Path(path)
    before = read_tflite(path)
    if len(before.inputs) != 1:
        raise ConversionError(f"{path.name} has {len(before.inputs)} inputs; a stage has exactly one")
    old = _quant_key(before.tensors[before.inputs[0]])
    targets, frontier = {before.inputs[0]}, [before.inputs[0]]
    while frontier:
        t = frontier.pop()
        for op in before.operators:
            if t in op.inputs:
                for o in op.outputs:
                    if o not in targets and _quant_key(before.tensors[o]) == old:
                        targets.add(o)
                        frontier.append(o)
    buf = bytearray(path.read_bytes())
    for idx in sorted(targets):
        scales, zps = quantization_offsets(buf, idx)
        if len(scales) != 1 or len(zps) != 1:
            raise ConversionError(f"{path.name}: tensor {idx} is not per-tensor quantized")
        struct.pack_into("<f", buf, scales[0], np.float32(scale))
        struct.pack_into("<q", buf, zps[0], int(zero_point))
    after = read_tflite(buf)
    changed = {a.index for a, b in zip(before.tensors, after.tensors) if _quant_key(a) != _quant_key(b)}
    if not changed <= targets:
        raise ConversionError(f"{path.name}: patching the input quantization also changed tensors "
                              f"{sorted(changed - targets)} (shared flatbuffer vectors)",
                              "report this model; the boundary cannot be made bit-equal in place")
    atomic_write_bytes(path, bytes(buf))
    return sorted(targets)
