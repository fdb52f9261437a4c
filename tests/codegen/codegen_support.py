"""Helpers of the codegen tests: one-stage bundles of the MLPerf Tiny int8 reference models (`edge-ee import`),
their perf samples, a small real two-stage bundle made with TensorFlow's converter, and TFLite Micro goldens."""

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
    return {"name": t.name, "index": t.index, "shape": list(t.shape), "dtype": t.dtype,
            "scale": t.scale, "zero_point": t.zero_point}


def write_one_stage_bundle(model_path: Path, out_dir: Path, name: str) -> Path:
    """A one-stage bundle (no early exit) around an int8 .tflite, made by `edge-ee import`."""
    from edge_ee.convert.importer import import_tflite

    import_tflite(model_path, out_dir, name=name)
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


def make_staged_digits_bundle(out_dir: Path, threshold: float = 0.6) -> Path:
    """A real two-stage int8 early-exit bundle on scikit-learn's digits, converted with TensorFlow's TFLite
    converter (full int8, calibrated on real images; stage 1 calibrated on stage 0's float features).
    Stage 0: CONV_2D+ReLU -> features; head MEAN(keep_dims=False) -> FULLY_CONNECTED. Stage 1: strided
    CONV_2D, DEPTHWISE_CONV_2D+ReLU6, ADD+ReLU, PAD, MAX_POOL_2D, AVERAGE_POOL_2D(SAME), MEAN(keep_dims=True),
    FULLY_CONNECTED. Random weights: the point is arithmetic coverage, not accuracy."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(0)
    images = (load_digits().images.astype(np.float32) / 16.0)[..., None]
    w = {k: rng.normal(0, s, shape).astype(np.float32) for k, s, shape in [
        ("c0", 0.5, (3, 3, 1, 8)), ("fc0", 0.5, (8, 10)), ("c1", 0.2, (3, 3, 8, 16)), ("dw1", 0.3, (3, 3, 16, 1)),
        ("fc1", 0.3, (16, 10))]}
    b = {k: rng.normal(0, 0.1, n).astype(np.float32) for k, n in [("c0", 8), ("fc0", 10), ("c1", 16), ("dw1", 16),
                                                                   ("fc1", 10)]}

    @tf.function(input_signature=[tf.TensorSpec((1, 8, 8, 1), tf.float32)])
    def stage0(x):
        f = tf.nn.relu(tf.nn.conv2d(x, w["c0"], 1, "SAME") + b["c0"])
        return {"logits": tf.matmul(tf.reduce_mean(f, axis=[1, 2]), w["fc0"]) + b["fc0"], "features": f}

    @tf.function(input_signature=[tf.TensorSpec((1, 8, 8, 8), tf.float32)])
    def stage1(f):
        h = tf.nn.relu(tf.nn.conv2d(f, w["c1"], 2, "SAME") + b["c1"])
        d = tf.nn.relu6(tf.nn.depthwise_conv2d(h, w["dw1"], [1, 1, 1, 1], "SAME") + b["dw1"])
        p = tf.nn.max_pool2d(tf.pad(tf.nn.relu(h + d), [[0, 0], [1, 1], [1, 1], [0, 0]]), 2, 2, "VALID")
        g = tf.reduce_mean(tf.nn.avg_pool2d(p, 2, 1, "SAME"), axis=[1, 2], keepdims=True)
        return {"logits": tf.matmul(tf.reshape(g, (1, 16)), w["fc1"]) + b["fc1"]}

    def convert(fn, calib) -> bytes:
        c = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = lambda: ([x[None]] for x in calib)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8
        return c.convert()

    out_dir.mkdir(parents=True)
    (out_dir / "stage_0.tflite").write_bytes(convert(stage0, images[:100]))
    feats = np.concatenate([stage0(x[None])["features"].numpy() for x in images[:100]])
    (out_dir / "stage_1.tflite").write_bytes(convert(stage1, feats))
    m0, m1 = read_tflite(out_dir / "stage_0.tflite"), read_tflite(out_dir / "stage_1.tflite")
    by_rank = {len(m0.tensors[i].shape): m0.tensors[i] for i in m0.outputs}
    logits0, feats0 = by_rank[2], by_rank[4]
    in0, in1, logits1 = m0.tensors[m0.inputs[0]], m1.tensors[m1.inputs[0]], m1.tensors[m1.outputs[0]]
    assert (in1.scale, in1.zero_point) == (feats0.scale, feats0.zero_point), "stage boundary not bit-equal"
    write_manifest(out_dir, {
        "model": {"name": "digits-staged-test", "source": "checkpoint", "num_classes": 10,
                  "class_names": [str(i) for i in range(10)]},
        "input": {"preprocess": {"layout": "NHWC", "raw_dtype": "float32", "mean": 0.0, "std": 16.0,
                                 "formula": "x / 16"}},
        "stages": [
            {"index": 0, "file": "stage_0.tflite", "input": tensor_dict(in0), "logits": tensor_dict(logits0),
             "features": tensor_dict(feats0), "backbone_macs": 0, "head_macs": 0, "ops": m0.op_names},
            {"index": 1, "file": "stage_1.tflite", "input": tensor_dict(in1), "logits": tensor_dict(logits1),
             "features": None, "backbone_macs": 0, "head_macs": 0, "ops": m1.op_names}],
        "exits": [{"stage": 0, "measure": "entropy", "threshold": threshold, "threshold_q": None, "q_bits": 16},
                  {"stage": 1, "measure": "entropy", "threshold": None, "threshold_q": None, "q_bits": 16}],
        "baseline": None,
        "provenance": {"source_sha256": "", "toolchain": {}, "created": "test"},
        "verification": None,
    })
    return out_dir


def digits_inputs(bundle, n: int) -> np.ndarray:
    """n real digits images quantized with the bundle's input quantization (the last n, unseen in calibration)."""
    from sklearn.datasets import load_digits

    t = bundle.stages[0].input
    x = load_digits().images.astype(np.float32)[-n:, :, :, None] / 16.0
    q = np.clip(np.round(x / t.scale) + t.zero_point, -128, 127).astype(np.int8)
    return q.reshape((n, *t.shape))
