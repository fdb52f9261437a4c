"""Runner fixtures: bundles of the MLPerf Tiny int8 reference models (one stage each, made here from the
real .tflite files and a manifest written with `write_manifest`), and staged bundles from `edge-ee convert`
when that is available."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_ee.bundle import write_manifest

# preprocess that reproduces each model's documented input quantization (shared/data README):
#   IC:  int8 = pixel - 128 (scale 1, zero point -128): float = pixel;
#   VWW: int8 = pixel - 128 (scale 1/255, zero point -128): float = pixel / 255;
#   KWS: the .bin files already hold the int8 MFCC tensor: no preprocess.
MLPERF = {
    "ic": ("ic/pretrainedResnet_quant.tflite", {"mean": [0.0] * 3, "std": [1.0] * 3},
           ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]),
    "kws": ("kws/kws_ref_model.tflite", None,
            ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown"]),
    "vww": ("vww/vww_96_int8.tflite", {"mean": [0.0] * 3, "std": [255.0] * 3}, ["no_person", "person"]),
}


def tflite_macs(interpreter) -> int:
    """Conv, depthwise conv and fully connected MACs from the tensor shapes of a .tflite."""
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    macs = 0
    for op in interpreter._get_ops_details():
        shape = lambda i: tensors[i]["shape"]  # noqa: E731
        if op["op_name"] == "CONV_2D":
            w, out = shape(op["inputs"][1]), shape(op["outputs"][0])
            macs += int(np.prod(out)) * int(w[1] * w[2] * w[3])
        elif op["op_name"] == "DEPTHWISE_CONV_2D":
            w, out = shape(op["inputs"][1]), shape(op["outputs"][0])
            macs += int(np.prod(out)) * int(w[1] * w[2])
        elif op["op_name"] == "FULLY_CONNECTED":
            w = shape(op["inputs"][1])
            macs += int(w[0] * w[1])
    return macs


def make_one_stage_bundle(tflite: Path, out_dir: Path, preprocess, class_names, name: str) -> Path:
    from ai_edge_litert.interpreter import Interpreter

    out_dir.mkdir(parents=True)
    shutil.copy(tflite, out_dir / "stage_0.tflite")
    it = Interpreter(str(tflite))
    it.allocate_tensors()

    def tensor(d):
        scale, zp = d["quantization"]
        return {"name": d["name"], "index": int(d["index"]), "shape": [int(v) for v in d["shape"]],
                "dtype": np.dtype(d["dtype"]).name, "scale": float(scale), "zero_point": int(zp)}

    ops = sorted({o["op_name"] for o in it._get_ops_details()} - {"DELEGATE"})
    pre = None if preprocess is None else {"layout": "NHWC", "raw_dtype": "uint8", **preprocess,
                                           "formula": "(raw - mean) / std"}
    manifest = {
        "model": {"name": name, "source": "import", "num_classes": len(class_names), "class_names": class_names},
        "input": {"preprocess": pre},
        "stages": [{"index": 0, "file": "stage_0.tflite", "input": tensor(it.get_input_details()[0]),
                    "logits": tensor(it.get_output_details()[0]), "features": None,
                    "backbone_macs": tflite_macs(it), "head_macs": 0, "ops": ops}],
        "exits": [{"stage": 0, "measure": "neglogpmax", "threshold": None, "threshold_q": None, "q_bits": 16}],
        "baseline": None,
        "provenance": {"source": str(tflite)},
        "verification": None,
    }
    write_manifest(out_dir, manifest)
    return out_dir


@pytest.fixture(scope="session")
def mlperf_bundles(shared_data, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("mlperf_bundles")
    return {key: make_one_stage_bundle(shared_data / "mlperf_tiny" / rel, root / key, pre, names, f"mlperf-{key}")
            for key, (rel, pre, names) in MLPERF.items()}


@pytest.fixture(scope="session")
def ic_samples(shared_data) -> Path:
    return shared_data / "mlperf_tiny" / "ic" / "perf_samples_ic01_v0.5"


@pytest.fixture(scope="session")
def kws_samples(shared_data) -> Path:
    return shared_data / "mlperf_tiny" / "kws" / "perf_samples_kws01"


@pytest.fixture(scope="session")
def vww_samples(shared_data) -> Path:
    return shared_data / "mlperf_tiny" / "vww" / "perf_samples_vww01"


@pytest.fixture(scope="session")
def digits_bundle(digits_checkpoint, tmp_path_factory) -> Path:
    """digits-cnn converted by `edge-ee convert`: 2 stages + full.tflite."""
    from edge_ee.convert import convert_checkpoint

    out = tmp_path_factory.mktemp("digits_bundle") / "bundle"
    convert_checkpoint(digits_checkpoint, out)
    return out


@pytest.fixture(scope="session")
def resnet8_bundle(resnet8_checkpoint, cifar_dir, tmp_path_factory) -> Path:
    """resnet8 (MLPerf Tiny IC shape) converted by `edge-ee convert`: 3 stages + full.tflite."""
    from edge_ee.convert import convert_checkpoint

    out = tmp_path_factory.mktemp("resnet8_bundle") / "bundle"
    convert_checkpoint(resnet8_checkpoint, out, data_dir=cifar_dir)
    return out

