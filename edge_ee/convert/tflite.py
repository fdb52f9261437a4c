"""Reading and checking TFLite flatbuffers without TensorFlow: tensors, operators, quantization, MACs, the
full-int8 check that `convert` and `import` share, and the in-place boundary patch.

Tensor indices here are subgraph tensor indices, the same numbers the LiteRT interpreter reports as
`get_input_details()[i]["index"]`."""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_ee.errors import ConversionError, UnsupportedOp

# Ops whose int8 kernels take int8 weights (input 1) and int32 biases (input 2).
WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV")


def _schema():
    from ai_edge_litert import schema_py_generated as schema

    return schema


def _enum_names(cls) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


@dataclass(frozen=True)
class TensorDesc:
    index: int
    name: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...]
    dtype: str  # "int8", "int32", "float32", ...
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int
    constant: bool  # holds data in the file (weights, biases, shape operands)

    @property
    def per_tensor(self) -> bool:
        return len(self.scales) == 1

    @property
    def dynamic(self) -> bool:
        """A free dimension other than the batch (a free batch runs as 1, as every interpreter does)."""
        return any(d < 0 for d in self.shape_signature[1:])


@dataclass(frozen=True)
class OpDesc:
    name: str  # builtin name (CONV_2D) or "CUSTOM:<code>"
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class TfliteGraph:
    path: Path
    tensors: tuple[TensorDesc, ...]
    ops: tuple[OpDesc, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    num_subgraphs: int

    def tensor(self, index: int) -> TensorDesc:
        return self.tensors[index]

    @property
    def op_names(self) -> list[str]:
        return [op.name for op in self.ops]

    def op_counts(self) -> dict[str, int]:
        return dict(Counter(self.op_names))

    def macs(self) -> int:
        """Multiply-accumulates of one inference, counted from the weighted ops' shapes (batch 1), the same
        convention as edge_ee.macs for PyTorch modules."""
        total = 0
        for op in self.ops:
            if op.name not in WEIGHTED_OPS or len(op.inputs) < 2:
                continue
            w = self.tensors[op.inputs[1]].shape
            out = self.tensors[op.outputs[0]].shape
            if op.name == "CONV_2D":  # w: [Cout, kh, kw, Cin]
                total += int(np.prod(out[1:])) * w[1] * w[2] * w[3]
            elif op.name == "DEPTHWISE_CONV_2D":  # w: [1, kh, kw, Cout]
                total += int(np.prod(out[1:])) * w[1] * w[2]
            elif op.name == "FULLY_CONNECTED":  # w: [units, in]
                rows = int(np.prod(out)) // w[0]
                total += rows * w[0] * w[1]
            elif op.name == "TRANSPOSE_CONV":  # w: [Cout, kh, kw, Cin]; every input pixel feeds kh*kw*Cout
                x = self.tensors[op.inputs[2]].shape
                total += int(np.prod(x[1:])) * w[0] * w[1] * w[2]
        return total


def read_graph(path) -> TfliteGraph:
    """Parses a .tflite file (its single subgraph; the count of subgraphs is reported for the checks)."""
    schema = _schema()
    path = Path(path)
    try:
        buf = bytearray(path.read_bytes())
        if buf[4:8] != b"TFL3":
            raise ValueError("no TFL3 file identifier")
        model = schema.Model.GetRootAsModel(buf, 0)
        sub = model.Subgraphs(0)
        if sub is None:
            raise ValueError("no subgraph")
    except FileNotFoundError:
        raise ConversionError(f"{path} does not exist", "pass the path of a .tflite file") from None
    except Exception as e:  # flatbuffers raises assorted errors on garbage
        raise ConversionError(f"{path} is not a TFLite model ({type(e).__name__}: {e})",
                              "pass a .tflite flatbuffer") from None
    type_names = _enum_names(schema.TensorType)
    op_names = _enum_names(schema.BuiltinOperator)
    tensors = []
    for i in range(sub.TensorsLength()):
        t = sub.Tensors(i)
        q = t.Quantization()
        scales = tuple(float(s) for s in q.ScaleAsNumpy()) if q is not None and q.ScaleLength() else ()
        zps = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q is not None and q.ZeroPointLength() else ()
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        sig = tuple(int(d) for d in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() else shape
        b = model.Buffers(t.Buffer()) if t.Buffer() < model.BuffersLength() else None
        constant = b is not None and (b.DataLength() > 0 or b.Offset() > 1)
        tensors.append(TensorDesc(i, (t.Name() or b"").decode(), shape, sig, type_names.get(t.Type(), "?").lower(),
                                  scales, zps, q.QuantizedDimension() if q is not None else 0, constant))
    ops = []
    for i in range(sub.OperatorsLength()):
        op = sub.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = op_names.get(builtin, str(builtin))
        if name == "CUSTOM":
            name = f"CUSTOM:{(code.CustomCode() or b'').decode()}"
        ops.append(OpDesc(name, tuple(int(v) for v in op.InputsAsNumpy()) if op.InputsLength() else (),
                          tuple(int(v) for v in op.OutputsAsNumpy()) if op.OutputsLength() else ()))
    return TfliteGraph(path, tuple(tensors), tuple(ops), tuple(int(v) for v in sub.InputsAsNumpy()),
                       tuple(int(v) for v in sub.OutputsAsNumpy()), model.SubgraphsLength())


def check_full_int8(path, what: str | None = None, per_channel: bool = False) -> TfliteGraph:
    """Raises ConversionError unless `path` is a fully-int8 model: one subgraph of static shape, per-tensor int8
    inputs, outputs and activations, int8 weights and int32 biases on every weighted op (per-channel weights
    when `per_channel`). Float and dynamic-range models are named as such."""
    g = read_graph(path)
    what = what or str(path)
    fix = "convert it with full-integer quantization (int8 inputs, outputs and activations)"
    if g.num_subgraphs != 1:
        raise ConversionError(f"{what} has {g.num_subgraphs} subgraphs; edge_ee handles single-subgraph models",
                              "export the model without control flow")
    for i in g.inputs + g.outputs:
        t = g.tensor(i)
        if t.dynamic:
            raise ConversionError(f"{what}: tensor {t.name!r} has a dynamic shape {list(t.shape_signature)}",
                                  "convert with a fixed input shape (batch 1)")
    io_float = [g.tensor(i) for i in g.inputs + g.outputs if g.tensor(i).dtype != "int8"]
    weights = [g.tensor(op.inputs[1]) for op in g.ops if op.name in WEIGHTED_OPS and len(op.inputs) > 1]
    if io_float:
        kind = ("a dynamic-range quantized model (int8 weights, float activations)"
                if any(w.dtype == "int8" for w in weights) else "a float model")
        t = io_float[0]
        raise ConversionError(f"{what} is {kind}, not fully int8: {'input' if t.index in g.inputs else 'output'} "
                              f"{t.name!r} is {t.dtype}", fix)
    for op in g.ops:
        if op.name in ("QUANTIZE", "DEQUANTIZE"):
            continue
        floats = [g.tensor(i) for i in op.inputs + op.outputs
                  if i >= 0 and g.tensor(i).dtype == "float32" and not g.tensor(i).constant]
        if floats:
            raise UnsupportedOp(op.name, what, f"it has no int8 kernel, so TFLite left it in float (tensor "
                                f"{floats[0].name!r}); replace the layer with int8-friendly ops (conv, depthwise "
                                "conv, linear, pooling, add, relu, reshape)")
    for op in g.ops:
        for i in op.outputs:
            t = g.tensor(i)
            if t.dtype != "int8":
                raise ConversionError(f"{what} is not fully int8: {op.name} produces {t.dtype} tensor {t.name!r}",
                                      fix)
        if op.name.startswith("CUSTOM:"):
            raise ConversionError(f"{what} uses custom operator {op.name[7:]!r}, which the int8 runtimes lack",
                                  "convert without custom or Flex ops")
    for i in g.inputs + g.outputs:
        t = g.tensor(i)
        if not t.per_tensor or len(t.zero_points) != 1:
            raise ConversionError(f"{what}: tensor {t.name!r} has no per-tensor quantization", fix)
    for op in g.ops:
        if op.name not in WEIGHTED_OPS:
            continue
        w = g.tensor(op.inputs[1])
        if w.dtype != "int8":
            raise ConversionError(f"{what}: {op.name} weights {w.name!r} are {w.dtype}, not int8", fix)
        if per_channel and w.per_tensor and w.shape[w.quantized_dimension] > 1:
            raise ConversionError(f"{what}: {op.name} weights {w.name!r} are quantized per tensor, not per channel",
                                  "convert with per-channel quantization")
        bias_at = 3 if op.name == "TRANSPOSE_CONV" else 2
        if len(op.inputs) > bias_at and op.inputs[bias_at] >= 0:
            b = g.tensor(op.inputs[bias_at])
            if b.dtype != "int32":
                raise ConversionError(f"{what}: {op.name} bias {b.name!r} is {b.dtype}, not int32", fix)
    return g


# ---------------------------------------------------------------- boundary patch

def _quant_positions(buf: bytearray, tensor_index: int) -> tuple[list[int], list[int]]:
    """Byte offsets of a tensor's scale (float32) and zero-point (int64) vector elements."""
    import flatbuffers

    schema = _schema()
    sub = schema.Model.GetRootAsModel(buf, 0).Subgraphs(0)
    q = sub.Tensors(tensor_index).Quantization()
    if q is None:
        raise ConversionError(f"tensor {tensor_index} has no quantization to patch")
    positions = []
    for field, width, n in ((8, 4, q.ScaleLength()), (10, 8, q.ZeroPointLength())):
        o = flatbuffers.number_types.UOffsetTFlags.py_type(q._tab.Offset(field))
        start = q._tab.Vector(o)
        positions.append([start + j * width for j in range(n)])
    return positions[0], positions[1]


def _quant_of(g: TfliteGraph) -> list[tuple]:
    return [(t.scales, t.zero_points) for t in g.tensors]


def set_input_quantization(path, scale: float, zero_point: int) -> list[int]:
    """Gives a model's input tensor exactly (scale, zero_point), in place: only those bytes of the file change.

    Tensors that merely carry the input on (TRANSPOSE, RESHAPE ... whose output had the input's exact old
    quantization) get the same values, so ops that require equal input and output quantization stay valid.
    Returns the patched tensor indices; raises ConversionError when the flatbuffer shares the vectors with
    other tensors (the change would leak)."""
    path = Path(path)
    before = read_graph(path)
    if len(before.inputs) != 1:
        raise ConversionError(f"{path.name} has {len(before.inputs)} inputs; a stage has exactly one")
    old = before.tensor(before.inputs[0])
    targets, frontier = {old.index}, [old.index]
    while frontier:
        t = frontier.pop()
        for op in before.ops:
            if t in op.inputs:
                for o in op.outputs:
                    if o not in targets and (before.tensor(o).scales, before.tensor(o).zero_points) == (
                            old.scales, old.zero_points):
                        targets.add(o)
                        frontier.append(o)
    buf = bytearray(path.read_bytes())
    for idx in sorted(targets):
        scales, zps = _quant_positions(buf, idx)
        if len(scales) != 1 or len(zps) != 1:
            raise ConversionError(f"{path.name}: tensor {idx} is not per-tensor quantized")
        struct.pack_into("<f", buf, scales[0], np.float32(scale))
        struct.pack_into("<q", buf, zps[0], int(zero_point))
    tmp = path.with_suffix(".patched")
    tmp.write_bytes(bytes(buf))
    after = read_graph(tmp)
    changed = {i for i, (a, b) in enumerate(zip(_quant_of(before), _quant_of(after))) if a != b}
    if not changed <= targets:
        tmp.unlink()
        raise ConversionError(f"{path.name}: patching the input quantization also changed tensors "
                              f"{sorted(changed - targets)} (shared flatbuffer vectors)",
                              "report this model; the boundary cannot be made bit-equal in place")
    tmp.replace(path)
    return sorted(targets)
