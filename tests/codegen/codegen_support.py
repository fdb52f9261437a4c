"""Helpers of the codegen tests: one-stage bundles of the MLPerf Tiny int8 reference models (written with
bundle.write_manifest, as `edge-ee import` does), their perf samples, and TFLite Micro goldens."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from edge_ee.bundle import write_manifest
from edge_ee.tflite_model import read_tflite

# name -> (model, perf sample folder, how the .bin bytes become the int8 input)
MLPERF = {
    "ic": ("ic/pretrainedResnet_quant.tflite", "ic/perf_samples_ic01_v0.5", "uint8"),
    "kws": ("kws/kws_ref_model.tflite", "kws/perf_samples_kws01", "int8"),
    "vww": ("vww/vww_96_int8.tflite", "vww/perf_samples_vww01", "uint8"),
}


def tensor_dict(t) -> dict:
    return {"name": t.name, "index": t.index, "shape": list(t.shape), "dtype": t.dtype.lower(),
            "scale": t.scale, "zero_point": t.zero_point}


def write_one_stage_bundle(model_path: Path, out_dir: Path, name: str) -> Path:
    """A valid one-stage bundle (no early exit) around an int8 .tflite, as `edge-ee import` will make."""
    out_dir.mkdir(parents=True)
    shutil.copy(model_path, out_dir / "stage_0.tflite")
    m = read_tflite(out_dir / "stage_0.tflite")
    x, y = m.tensors[m.inputs[0]], m.tensors[m.outputs[0]]
    write_manifest(out_dir, {
        "model": {"name": name, "source": "import", "num_classes": y.size,
                  "class_names": [str(i) for i in range(y.size)]},
        "input": {"preprocess": None},
        "stages": [{"index": 0, "file": "stage_0.tflite", "input": tensor_dict(x), "logits": tensor_dict(y),
                    "features": None, "backbone_macs": 0, "head_macs": 0, "ops": m.op_names()}],
        "exits": [{"stage": 0, "measure": "entropy", "threshold": None, "threshold_q": None, "q_bits": 16}],
        "baseline": None,
        "provenance": {"source_sha256": "", "toolchain": {}, "created": "test"},
        "verification": None,
    })
    return out_dir


def load_samples(shared_data: Path, name: str, n: int) -> np.ndarray:
    """The first n EnergyRunner perf samples of a benchmark as int8 model inputs (uint8 pixels minus 128)."""
    model, folder, kind = MLPERF[name]
    shape = read_tflite(shared_data / "mlperf_tiny" / model).tensors[0].shape
    files = sorted((shared_data / "mlperf_tiny" / folder).glob("*.bin"))[:n]
    assert len(files) == n, f"expected {n} perf samples in {folder}"
    xs = []
    for f in files:
        raw = np.fromfile(f, dtype=np.uint8 if kind == "uint8" else np.int8)
        x = (raw.astype(np.int16) - 128).astype(np.int8) if kind == "uint8" else raw
        xs.append(x.reshape(shape))
    return np.stack(xs)


def tflm_outputs(model_path: Path, xs: np.ndarray, tensors=None) -> list:
    """TFLite Micro (the golden reference): the model output per input, or the listed tensors' contents."""
    from tflite_micro import runtime

    cfg = runtime.InterpreterConfig.kPreserveAllTensors if tensors else runtime.InterpreterConfig.kAllocationRecording
    it = runtime.Interpreter.from_file(str(model_path), arena_size=4 << 20, intrepreter_config=cfg)
    out = []
    for x in xs:
        it.set_input(x, 0)
        it.invoke()
        if tensors:
            out.append({i: np.array(it.GetTensor(i, 0)["tensor_data"]).copy() for i in tensors})
        else:
            out.append(it.get_output(0).copy())
    return out
