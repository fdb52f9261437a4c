"""Read a .tflite flatbuffer into plain Python objects: operators with their builtin options, tensors with
shape, dtype, quantization (per-tensor or per-channel) and constant data, graph inputs and outputs.

Reads with the schema that ships with ai-edge-litert (`ai_edge_litert.schema_py_generated`, on top of the
`flatbuffers` package); no interpreter is involved, so it works for any model, runnable or not.

    model = read_tflite("stage_0.tflite")
    for op in model.operators:
        print(op.name, [model.tensors[i].shape for i in op.inputs], op.options)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge_ee.errors import ConversionError

_DTYPES = {
    "FLOAT32": np.float32, "FLOAT16": np.float16, "FLOAT64": np.float64, "INT8": np.int8, "UINT8": np.uint8,
    "INT16": np.int16, "UINT16": np.uint16, "INT32": np.int32, "UINT32": np.uint32, "INT64": np.int64,
    "UINT64": np.uint64, "BOOL": np.bool_,
}


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


@dataclass(frozen=True)
class Quantization:
    scale: np.ndarray  # float32, one per channel along `axis` (or one)
    zero_point: np.ndarray  # int64
    axis: int

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1


@dataclass
class TensorInfo:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # "INT8", "INT32", "FLOAT32", ...
    quant: Quantization | None
    data: np.ndarray | None  # constant tensors (weights, biases, shapes), reshaped; None for activations

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(_DTYPES[self.dtype]).itemsize if self.dtype in _DTYPES else 0

    @property
    def scale(self) -> float:
        """The per-tensor scale as TFLite stores it (float32), widened to a Python float."""
        return float(self.quant.scale[0]) if self.quant is not None else 0.0

    @property
    def zero_point(self) -> int:
        return int(self.quant.zero_point[0]) if self.quant is not None else 0


@dataclass
class OperatorInfo:
    index: int
    name: str  # builtin operator name, e.g. "CONV_2D"; "CUSTOM:<code>" for custom ops
    version: int
    inputs: tuple[int, ...]  # tensor indices, -1 for an omitted optional input
    outputs: tuple[int, ...]
    options: object | None  # the schema's *OptionsT object (fields as in schema.fbs), or None
    options_type: str


@dataclass
class TFLiteModel:
    path: Path | None
    tensors: list[TensorInfo]
    operators: list[OperatorInfo]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    description: str = ""
    num_subgraphs: int = 1
    metadata: dict[str, bytes] = field(default_factory=dict)

    def tensor(self, index: int) -> TensorInfo:
        return self.tensors[index]

    def op_names(self) -> list[str]:
        return [op.name for op in self.operators]

    def consumers(self, tensor_index: int) -> list[OperatorInfo]:
        return [op for op in self.operators if tensor_index in op.inputs]

    def producer(self, tensor_index: int) -> OperatorInfo | None:
        for op in self.operators:
            if tensor_index in op.outputs:
                return op
        return None

    def const_bytes(self) -> int:
        """Bytes of constant data (weights, biases, ...)."""
        return sum(t.nbytes for t in self.tensors if t.is_const)


def read_tflite(path_or_bytes) -> TFLiteModel:
    """Parses a .tflite file (path) or its bytes. Raises ConversionError for files that are not TFLite models."""
    schema = _schema()
    path = None
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        buf = bytes(path_or_bytes)
    else:
        path = Path(path_or_bytes)
        buf = path.read_bytes()
    where = str(path) if path else "the model bytes"
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ConversionError(f"{where} is not a TFLite flatbuffer (no TFL3 identifier)",
                              "pass a .tflite file written by the TFLite converter or `edge-ee convert`")
    try:
        m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
    except Exception as e:  # flatbuffers raises assorted errors on corrupt input
        raise ConversionError(f"{where} could not be parsed as TFLite ({e})", "the file is corrupt") from None
    if not m.subgraphs:
        raise ConversionError(f"{where} has no subgraph", "the file is corrupt")
    g = m.subgraphs[0]
    type_names = _enum_names(schema.TensorType)
    op_names = _enum_names(schema.BuiltinOperator)
    options_names = _enum_names(schema.BuiltinOptions)

    tensors = []
    for i, t in enumerate(g.tensors or []):
        dtype = type_names.get(t.type, str(t.type))
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
        quant = None
        q = t.quantization
        if q is not None and q.scale is not None and len(q.scale) > 0:
            zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0] * len(q.scale), dtype=np.int64)
            quant = Quantization(np.asarray(q.scale, dtype=np.float32), zp, int(q.quantizedDimension))
        data = None
        buf_obj = m.buffers[t.buffer] if t.buffer < len(m.buffers) else None
        raw = None
        if buf_obj is not None:
            if buf_obj.data is not None and len(buf_obj.data) > 0:
                raw = np.asarray(buf_obj.data, dtype=np.uint8).tobytes()
            elif getattr(buf_obj, "offset", 0) and buf_obj.offset > 1:  # large models keep buffers after the root
                raw = buf[buf_obj.offset:buf_obj.offset + buf_obj.size]
        if raw is not None and dtype in _DTYPES:
            arr = np.frombuffer(raw, dtype=_DTYPES[dtype]).copy()
            data = arr.reshape(shape) if shape and arr.size == int(np.prod(shape)) else arr
        name = t.name.decode() if isinstance(t.name, bytes) else str(t.name or "")
        tensors.append(TensorInfo(i, name, shape, dtype, quant, data))

    operators = []
    for i, op in enumerate(g.operators or []):
        code = m.operatorCodes[op.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        name = op_names.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            cc = code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode)
            name = f"CUSTOM:{cc}"
        operators.append(OperatorInfo(i, name, int(code.version),
                                      tuple(int(x) for x in (op.inputs if op.inputs is not None else ())),
                                      tuple(int(x) for x in (op.outputs if op.outputs is not None else ())),
                                      op.builtinOptions, options_names.get(op.builtinOptionsType, "NONE")))
    metadata = {}
    for md in m.metadata or []:
        nm = md.name.decode() if isinstance(md.name, bytes) else str(md.name)
        b = m.buffers[md.buffer]
        if b.data is not None:
            metadata[nm] = np.asarray(b.data, dtype=np.uint8).tobytes()
    desc = m.description.decode() if isinstance(m.description, bytes) else str(m.description or "")
    return TFLiteModel(path, tensors, operators, tuple(int(x) for x in g.inputs),
                       tuple(int(x) for x in g.outputs), desc, len(m.subgraphs), metadata)
