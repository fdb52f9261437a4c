"""The one reader of .tflite flatbuffers: a model becomes plain Python descriptions of its tensors (shape, shape
signature, dtype, per-tensor or per-channel quantization, constant data) and operators (builtin name, builtin
options, inputs, outputs), its graph inputs and outputs and its number of subgraphs. `edge-ee convert`,
`import`, `inspect` and `codegen` all read models through it.

Reads with the schema that ships with ai-edge-litert (`ai_edge_litert.schema_py_generated`, on top of the
`flatbuffers` package); no interpreter is involved, so it works for any model, runnable or not. Tensor indices
are subgraph tensor indices, the numbers the LiteRT interpreter reports as `get_input_details()[i]["index"]`.

    model = read_tflite("stage_0.tflite")
    for op in model.operators:
        print(op.name, [model.tensors[i].shape for i in op.inputs], op.options)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_ee.errors import ConversionError

# TFLite tensor types numpy can hold; the others (int4, string, resource, ...) keep their raw bytes.
_NUMPY_DTYPES = frozenset(("float32", "float16", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32",
                           "int64", "uint64", "bool"))


def _schema():
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError as e:  # pragma: no cover - depends on the installation
        from edge_ee.errors import ToolMissing

        raise ToolMissing("ai-edge-litert is not installed (needed to read .tflite files)",
                          "pip install 'edge_ee[runtime]'") from e
    return schema


def _enum_names(enum_cls) -> dict[int, str]:
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}


@dataclass(frozen=True, eq=False)
class Quantization:
    scale: np.ndarray  # float32, one per channel along `axis`, or one
    zero_point: np.ndarray  # int64, as many as scales
    axis: int

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1


@dataclass(frozen=True, eq=False)
class TensorInfo:
    index: int
    name: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...]  # -1 for a free dimension; equals `shape` when the file has none
    dtype: str  # numpy spelling: "int8", "int32", "float32", ...
    quant: Quantization | None  # None when the tensor has no scales
    # Constant data (weights, biases, shape operands) shaped as `shape`; raw uint8 bytes for types numpy lacks.
    # None for activations.
    data: np.ndarray | None

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def dynamic(self) -> bool:
        """A free dimension other than the batch (a free batch runs as 1, as every interpreter does)."""
        return any(d < 0 for d in self.shape_signature[1:])

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize if self.dtype in _NUMPY_DTYPES else 0

    @property
    def scale(self) -> float:
        """The per-tensor scale as TFLite stores it (float32), widened to a Python float; 0.0 when unquantized."""
        return float(self.quant.scale[0]) if self.quant is not None else 0.0

    @property
    def zero_point(self) -> int:
        return int(self.quant.zero_point[0]) if self.quant is not None else 0


@dataclass(frozen=True, eq=False)
class OperatorInfo:
    index: int
    name: str  # builtin operator name, e.g. "CONV_2D"; "CUSTOM:<code>" for custom ops
    inputs: tuple[int, ...]  # tensor indices, -1 for an omitted optional input
    outputs: tuple[int, ...]
    options: object | None  # the schema's *OptionsT object (fields as in schema.fbs), or None


@dataclass(frozen=True, eq=False)
class TFLiteModel:
    """The first subgraph of a model; `num_subgraphs` tells whether there are more (control flow)."""

    path: Path | None  # None when read from bytes
    tensors: tuple[TensorInfo, ...]
    operators: tuple[OperatorInfo, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    num_subgraphs: int

    @property
    def op_names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.operators)

    def producer(self, tensor_index: int) -> OperatorInfo | None:
        for op in self.operators:
            if tensor_index in op.outputs:
                return op
        return None


def read_tflite(path_or_bytes) -> TFLiteModel:
    """Parses a .tflite file (path) or its bytes. Raises ConversionError for a missing file or one that is not a
    TFLite model."""
    schema = _schema()
    path = None
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        buf = bytes(path_or_bytes)
    else:
        path = Path(path_or_bytes)
        try:
            buf = path.read_bytes()
        except FileNotFoundError:
            raise ConversionError(f"{path} does not exist", "pass the path of a .tflite file") from None
    where = str(path) if path else "the model bytes"
    fix = "pass a .tflite flatbuffer"
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ConversionError(f"{where} is not a TFLite model (no TFL3 file identifier)", fix)
    try:
        m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
    except Exception as e:  # flatbuffers raises assorted errors on garbage
        raise ConversionError(f"{where} is not a TFLite model ({type(e).__name__}: {e})", fix) from None
    if not m.subgraphs:
        raise ConversionError(f"{where} is not a TFLite model (no subgraph)", fix)
    g = m.subgraphs[0]
    type_names = {v: k.lower() for v, k in _enum_names(schema.TensorType).items()}
    op_names = _enum_names(schema.BuiltinOperator)

    tensors = []
    for i, t in enumerate(g.tensors or []):
        dtype = type_names.get(t.type, f"type{t.type}")
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
        sig = tuple(int(d) for d in t.shapeSignature) if t.shapeSignature is not None and len(t.shapeSignature) \
            else shape
        quant = None
        q = t.quantization
        if q is not None and q.scale is not None and len(q.scale) > 0:
            zp = q.zeroPoint if q.zeroPoint is not None and len(q.zeroPoint) else [0] * len(q.scale)
            quant = Quantization(np.asarray(q.scale, dtype=np.float32), np.asarray(zp, dtype=np.int64),
                                 int(q.quantizedDimension))
        raw = None
        b = m.buffers[t.buffer] if t.buffer < len(m.buffers) else None
        if b is not None:
            if b.data is not None and len(b.data) > 0:
                raw = np.asarray(b.data, dtype=np.uint8).tobytes()
            elif b.offset > 1:  # models over 2 GB keep buffers after the flatbuffer, addressed by file offset
                raw = buf[b.offset:b.offset + b.size]
        data = None
        if raw is not None:
            data = np.frombuffer(raw, dtype=dtype if dtype in _NUMPY_DTYPES else np.uint8).copy()
            if dtype in _NUMPY_DTYPES and shape and data.size == int(np.prod(shape)):
                data = data.reshape(shape)
        name = t.name.decode() if isinstance(t.name, bytes) else str(t.name or "")
        tensors.append(TensorInfo(i, name, shape, sig, dtype, quant, data))

    operators = []
    for i, op in enumerate(g.operators or []):
        code = m.operatorCodes[op.opcodeIndex]
        # Codes above 127 live only in builtinCode; older files only fill the deprecated int8 field.
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        name = op_names.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            cc = code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode or "")
            name = f"CUSTOM:{cc}"
        operators.append(OperatorInfo(i, name, tuple(int(x) for x in (op.inputs if op.inputs is not None else ())),
                                      tuple(int(x) for x in (op.outputs if op.outputs is not None else ())),
                                      op.builtinOptions))
    return TFLiteModel(path, tuple(tensors), tuple(operators),
                       tuple(int(x) for x in (g.inputs if g.inputs is not None else ())),
                       tuple(int(x) for x in (g.outputs if g.outputs is not None else ())), len(m.subgraphs))


def quantization_offsets(buf: bytes | bytearray, tensor_index: int) -> tuple[list[int], list[int]]:
    """Byte offsets in `buf` of tensor `tensor_index`'s scale (float32) and zero-point (int64) elements (first
    subgraph), for patching quantization in place without re-serializing the model."""
    import flatbuffers

    q = _schema().Model.GetRootAsModel(buf, 0).Subgraphs(0).Tensors(tensor_index).Quantization()
    if q is None:
        raise ConversionError(f"tensor {tensor_index} has no quantization to patch")
    positions = []
    for field, width, n in ((8, 4, q.ScaleLength()), (10, 8, q.ZeroPointLength())):  # vtable slots of scale, zero_point
        o = flatbuffers.number_types.UOffsetTFlags.py_type(q._tab.Offset(field))
        start = q._tab.Vector(o)
        positions.append([start + j * width for j in range(n)])
    return positions[0], positions[1]
