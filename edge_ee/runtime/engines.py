"""Engines: what runs one stage of a bundle. One small interface, a registry by name.

An engine has a `name` and `run_stage(k, x) -> {"logits": int8 array, "features": int8 array}` (no
"features" for the last stage), where `x` is stage k's int8 NHWC input with its batch dimension (1, ...).
It may also have `run_full(x) -> int8 logits`, the bundle's monolithic `full.tflite` baseline, and
`describe() -> dict` (what runs where). Engines check their stage files against the manifest once, when built.
`run_stage_batch(engine, k, x)` and `run_full_batch` take (N, ...): LiteRT runs them on interpreters resized to
power-of-two batches (one call per set bit of N, so no row is padded or computed twice); the others row by row.

  litert  LiteRT (`ai_edge_litert`, else `tflite_runtime`, else TensorFlow's `tf.lite`) with its optimized
          kernels (XNNPACK) by default; `kernels="builtin"` drops the XNNPACK delegate, `"reference"` uses the
          reference kernels. A stage with an `*_edgetpu.tflite` twin runs on the Edge TPU when libedgetpu is found.
  tflm    TensorFlow Lite Micro's Python interpreter: the microcontroller reference kernels, bit-exact with
          TensorFlow's and tflite-runtime's reference kernels; the golden outputs for generated C.
  twin    the host-native build of the generated C (edge_ee.codegen.twin.TwinEngine), when installed."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from edge_ee.bundle import Bundle, Tensor
from edge_ee.errors import BundleError, ConfigError, ToolMissing, UnknownName
from edge_ee.runtime.interpreters import edgetpu_delegate, interpreter_module

KERNELS = ("xnnpack", "builtin", "reference")


class Engine(Protocol):
    name: str

    def run_stage(self, k: int, x: np.ndarray) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class EngineOptions:
    threads: int = 1
    kernels: str = "xnnpack"  # litert only
    edgetpu: bool = True  # litert only: use *_edgetpu.tflite twins when libedgetpu is present
    arena_size: int | None = None  # tflm only (bytes); default: 10x the model + 1 MiB
    interpreter: str | None = None  # litert only: force "ai_edge_litert" | "tflite_runtime" | "tensorflow"
    max_batch: int = 64  # litert only: the largest batch one interpreter call takes (a power of two)


def _dtype_name(dt) -> str:
    return np.dtype(dt).name


def _check_tensor(want: Tensor, shape, dtype, scale: float, zero_point: int, where: str, batch: int = 1) -> None:
    """The interpreter's view of a tensor must equal the manifest's: shape (at `batch`), dtype, quantization."""
    if (tuple(int(d) for d in shape) != (batch, *want.shape[1:]) or _dtype_name(dtype) != want.dtype
            or int(zero_point) != want.zero_point or not np.isclose(float(scale), want.scale, rtol=1e-6, atol=0)):
        raise BundleError(f"{where}: the .tflite has shape {tuple(int(d) for d in shape)} {_dtype_name(dtype)} "
                          f"(scale {float(scale):.6g}, zero point {int(zero_point)}); the manifest says "
                          f"{want.shape} {want.dtype} (scale {want.scale:.6g}, zero point {want.zero_point})",
                          "the bundle's manifest and stage files disagree; re-create the bundle")


def _match_outputs(outputs: list[tuple[int, str]], wanted: dict[str, Tensor], where: str) -> dict[str, int]:
    """Position of each wanted tensor among a model's outputs [(tensor index, name)], by index and name,
    else by name alone (an Edge TPU twin renumbers tensors). Never by position."""
    found = {}
    for key, t in wanted.items():
        pos = [i for i, (idx, name) in enumerate(outputs) if idx == t.index and name == t.name]
        pos = pos or [i for i, (_, name) in enumerate(outputs) if name == t.name]
        if len(pos) != 1:
            raise BundleError(f"{where}: output {t.name!r} (tensor {t.index}, the {key}) is not among the model's "
                              f"outputs {[name for _, name in outputs]}",
                              "the manifest does not describe this file; re-create the bundle")
        found[key] = pos[0]
    return found


def _stage_outputs(bundle: Bundle, k: int) -> dict[str, Tensor]:
    s = bundle.stages[k]
    return {"logits": s.logits, **({"features": s.features} if s.features is not None else {})}


def _baseline_tensors(bundle: Bundle) -> tuple[Tensor, Tensor]:
    b = bundle.baseline
    return Tensor.from_dict(b["input"], "baseline input"), Tensor.from_dict(b["logits"], "baseline logits")


# ---------------------------------------------------------------- LiteRT / tflite-runtime / tf.lite

class _LiteModel:
    """One .tflite in a LiteRT interpreter, at batch size `batch`. The per-call overhead matters (a ResNet-8
    stage takes tens of microseconds with XNNPACK): set_tensor/get_tensor by index cost under 1 us each, about
    half of what going through `tensor()` views costs."""

    def __init__(self, im, path: Path, input: Tensor, outputs: dict[str, Tensor], threads: int, kernels: str,
                 delegate=None, batch: int = 1):
        kw = {"model_path": str(path), "num_threads": threads}
        if delegate is not None:
            kw["experimental_delegates"] = [delegate]
        else:
            ort = im.OpResolverType
            kw["experimental_op_resolver_type"] = {"xnnpack": ort.AUTO, "builtin": ort.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                                                   "reference": ort.BUILTIN_REF}[kernels]
        try:
            self.it = im.Interpreter(**kw)
            if batch != 1:
                self.it.resize_tensor_input(self.it.get_input_details()[0]["index"], [batch, *input.shape[1:]],
                                            strict=False)
            self.it.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise BundleError(f"{path} cannot be loaded by {im.name} ({e})",
                              "the file is corrupt or needs a newer runtime; re-create the bundle") from None
        ins = self.it.get_input_details()
        if len(ins) != 1:
            raise BundleError(f"{path} has {len(ins)} inputs; a stage has exactly one", "re-create the bundle")
        d = ins[0]
        _check_tensor(input, d["shape"], d["dtype"], *d["quantization"], where=f"{path.name} input", batch=batch)
        outs = self.it.get_output_details()
        pos = _match_outputs([(o["index"], o["name"]) for o in outs], outputs, path.name)
        for key, t in outputs.items():
            o = outs[pos[key]]
            _check_tensor(t, o["shape"], o["dtype"], *o["quantization"], where=f"{path.name} {key}", batch=batch)
        self._in = d["index"]
        self._outs = [(key, outs[pos[key]]["index"]) for key in outputs]

    def delegate_partitions(self) -> int | None:
        """Delegate kernels in the graph (XNNPACK, Edge TPU): 1 when one delegate runs the whole graph; more when
        an op it cannot take splits it. None where the interpreter does not expose its nodes."""
        try:
            return sum(op["op_name"] == "DELEGATE" for op in self.it._get_ops_details())
        except (AttributeError, RuntimeError, ValueError):
            return None

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        self.it.set_tensor(self._in, x)
        self.it.invoke()
        return {key: self.it.get_tensor(i) for key, i in self._outs}


def power_of_two_chunks(n: int, max_batch: int) -> list[int]:
    """Batch sizes that add up to n: full `max_batch` chunks, then the set bits of the rest, largest first."""
    rest = n % max_batch
    return [max_batch] * (n // max_batch) + [1 << b for b in range(rest.bit_length() - 1, -1, -1) if rest >> b & 1]


class _InterpreterEngine:
    """What the interpreter engines share: `models[k]` runs stage k; the baseline model loads on first use.
    Batches run row by row unless `_max_batch(k)` allows more and `_sized(k, b)` gives a model at batch size b
    (k = -1: the baseline)."""

    bundle: Bundle
    models: list
    _full = None

    def run_stage(self, k: int, x: np.ndarray) -> dict[str, np.ndarray]:
        return self.models[k](x)

    def _baseline(self):
        if self._full is None:
            if self.bundle.baseline is None:
                raise BundleError(f"bundle {self.bundle.path} has no full.tflite baseline",
                                  "re-create it with `edge-ee convert`, or run the stages to the end")
            inp, logits = _baseline_tensors(self.bundle)
            self._full = self._load_baseline(self.bundle.baseline_path(), inp, logits)
        return self._full

    def run_full(self, x: np.ndarray) -> np.ndarray:
        return self._baseline()(x)["logits"]

    def _max_batch(self, k: int) -> int:
        return 1

    def _sized(self, k: int, b: int):
        return self.models[k] if k >= 0 else self._baseline()

    def _run_batch(self, k: int, x: np.ndarray) -> dict[str, np.ndarray]:
        if len(x) == 0:
            raise ValueError("an empty batch")
        parts, i = [], 0
        for b in power_of_two_chunks(len(x), self._max_batch(k)):
            parts.append(self._sized(k, b)(x[i:i + b]))
            i += b
        return parts[0] if len(parts) == 1 else {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def run_stage_batch(self, k: int, x: np.ndarray) -> dict[str, np.ndarray]:
        return self._run_batch(k, x)

    def run_full_batch(self, x: np.ndarray) -> np.ndarray:
        return self._run_batch(-1, x)["logits"]


class LiteRTEngine(_InterpreterEngine):
    name = "litert"

    def __init__(self, bundle: Bundle, options: EngineOptions = EngineOptions()):
        if options.kernels not in KERNELS:
            raise UnknownName("LiteRT kernel set", options.kernels, KERNELS)
        if options.max_batch < 1 or options.max_batch & (options.max_batch - 1):
            raise ConfigError(f"max_batch must be a power of two, got {options.max_batch}", "use 1, 2, 4, ... 64")
        self.bundle, self.options = bundle, options
        self.im = interpreter_module(options.interpreter)
        twins = any(bundle.edgetpu_path(k) for k in range(bundle.num_stages))
        delegate = edgetpu_delegate(self.im) if options.edgetpu and twins else None
        self.edgetpu_status = ("no Edge TPU twins in the bundle" if not twins else
                               "twins ignored (--no-edgetpu)" if not options.edgetpu else
                               "twins present, but libedgetpu or the device was not found: stages run on the CPU"
                               if delegate is None else "Edge TPU delegate loaded")
        self.on_edgetpu = []
        self.models = []
        for k in range(bundle.num_stages):
            twin = bundle.edgetpu_path(k) if delegate is not None else None
            self.models.append(self._load_stage(k, 1, twin, delegate if twin else None))
            self.on_edgetpu.append(twin is not None)
        self._full = None
        self._batched: dict[tuple[int, int], _LiteModel] = {}

    def _load_stage(self, k: int, batch: int, path: Path | None = None, delegate=None) -> _LiteModel:
        s = self.bundle.stages[k]
        return _LiteModel(self.im, path or self.bundle.stage_path(k), s.input, _stage_outputs(self.bundle, k),
                          self.options.threads, self.options.kernels, delegate, batch)

    def _load_baseline(self, path: Path, inp: Tensor, logits: Tensor, batch: int = 1):
        return _LiteModel(self.im, path, inp, {"logits": logits}, self.options.threads, self.options.kernels,
                          batch=batch)

    def _max_batch(self, k: int) -> int:
        return 1 if k >= 0 and self.on_edgetpu[k] else self.options.max_batch  # Edge TPU twins: batch 1

    def _sized(self, k: int, b: int):
        """Stage k (k = -1: the baseline) at batch size b, made on first use."""
        if b == 1:
            return super()._sized(k, b)
        m = self._batched.get((k, b))
        if m is None:
            if k < 0:
                m = self._load_baseline(self.bundle.baseline_path(), *_baseline_tensors(self.bundle), batch=b)
            else:
                m = self._load_stage(k, b)
            self._batched[(k, b)] = m
        return m

    def describe(self) -> dict:
        kernels = {"xnnpack": "optimized kernels (XNNPACK)", "builtin": "builtin kernels without XNNPACK",
                   "reference": "reference kernels"}[self.options.kernels]
        return {"engine": self.name, "runtime": self.im.describe(), "kernels": kernels,
                "threads": self.options.threads,
                "delegate_partitions": [m.delegate_partitions() for m in self.models],
                "stages_on_edgetpu": [k for k, on in enumerate(self.on_edgetpu) if on], "edgetpu": self.edgetpu_status}


# ---------------------------------------------------------------- TensorFlow Lite Micro

def _tflm_runtime():
    try:
        from tflite_micro import runtime
    except ImportError as e:
        raise ToolMissing(f"TFLite Micro's Python interpreter is not installed ({e})",
                          "pip install tflite-micro (or 'edge_ee[runtime]')") from None
    return runtime


class _MicroModel:
    def __init__(self, runtime, path: Path, input: Tensor, outputs: dict[str, Tensor], arena_size: int | None):
        data = path.read_bytes()
        try:
            fb = runtime.convert_bytearray_to_object(bytearray(data))
            sg = fb.subgraphs[0]
            names = [(int(i), sg.tensors[i].name.decode()) for i in sg.outputs]
            self.it = runtime.Interpreter.from_bytes(data, arena_size=arena_size or 10 * len(data) + (1 << 20))
        except (ValueError, RuntimeError, IndexError, AttributeError) as e:
            raise BundleError(f"{path} cannot be loaded by TFLite Micro ({e})",
                              "the file is corrupt or uses an op TFLM lacks; re-create the bundle") from None
        d = self.it.get_input_details(0)
        q = d["quantization_parameters"]
        _check_tensor(input, d["shape"], d["dtype"], q["scales"][0], q["zero_points"][0], f"{path.name} input")
        pos = _match_outputs(names, outputs, path.name)
        for key, t in outputs.items():
            o = self.it.get_output_details(pos[key])
            q = o["quantization_parameters"]
            _check_tensor(t, o["shape"], o["dtype"], q["scales"][0], q["zero_points"][0], f"{path.name} {key}")
        self._outs = [(key, pos[key]) for key in outputs]
        self._dtype = np.dtype(input.dtype)

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        self.it.set_input(np.ascontiguousarray(x, dtype=self._dtype), 0)
        self.it.invoke()
        return {key: np.array(self.it.get_output(i)) for key, i in self._outs}


class TFLMEngine(_InterpreterEngine):
    name = "tflm"

    def __init__(self, bundle: Bundle, options: EngineOptions = EngineOptions()):
        self.bundle, self.options = bundle, options
        self.runtime = _tflm_runtime()
        self.models = [_MicroModel(self.runtime, bundle.stage_path(k), s.input, _stage_outputs(bundle, k),
                                   options.arena_size) for k, s in enumerate(bundle.stages)]
        self._full = None

    def _load_baseline(self, path: Path, inp: Tensor, logits: Tensor):
        return _MicroModel(self.runtime, path, inp, {"logits": logits}, self.options.arena_size)

    def describe(self) -> dict:
        try:
            from importlib.metadata import version

            v = version("tflite-micro")
        except Exception:  # noqa: BLE001 - informational
            v = "?"
        return {"engine": self.name, "runtime": f"tflite-micro {v}", "kernels": "TFLite Micro reference kernels"}


# ---------------------------------------------------------------- registry

def _twin(bundle: Bundle, options: EngineOptions):
    try:
        module = importlib.import_module("edge_ee.codegen.twin")
    except ImportError as e:
        raise ToolMissing(f"engine 'twin' is not available: edge_ee.codegen.twin cannot be imported ({e})",
                          "use --engine litert or --engine tflm; the twin comes with edge_ee's C generator") from None
    return module.TwinEngine(bundle)


ENGINES: dict[str, Callable[[Bundle, EngineOptions], Engine]] = {
    "litert": LiteRTEngine,
    "tflm": TFLMEngine,
    "twin": _twin,
}


def make_engine(name: str, bundle: Bundle, options: EngineOptions | None = None) -> Engine:
    if name not in ENGINES:
        raise UnknownName("engine", name, ENGINES)
    options = options or EngineOptions()
    if options.threads < 1:
        raise ConfigError(f"threads must be at least 1, got {options.threads}", "pass --threads 1 or more")
    return ENGINES[name](bundle, options)


def run_stage_batch(engine: Engine, k: int, x: np.ndarray) -> dict[str, np.ndarray]:
    """Stage k on a batch (N, ...) of inputs, on any engine (row by row where it has no batch path)."""
    batch = getattr(engine, "run_stage_batch", None)
    if batch is not None:
        return batch(k, x)
    rows = [engine.run_stage(k, x[i:i + 1]) for i in range(len(x))]
    return {key: np.concatenate([r[key] for r in rows]) for key in rows[0]}


def describe_engine(engine: Engine) -> dict:
    describe = getattr(engine, "describe", None)
    return describe() if describe else {"engine": engine.name}
