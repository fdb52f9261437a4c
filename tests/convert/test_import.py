"""`edge-ee import` on the MLPerf Tiny int8 reference models (IC ResNet-8, KWS DS-CNN, VWW MobileNet)."""

from __future__ import annotations

import csv
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from edge_ee.bundle import Bundle
from edge_ee.cli import main
from edge_ee.convert import check_full_int8, import_tflite
from edge_ee.convert.verify import run_single
from edge_ee.runtime.inputs import quantize
from edge_ee.data import Preprocess
from edge_ee.errors import ConfigError, ConversionError, OutputExists
from edge_ee.tflite_model import read_tflite

# file, classes, MACs (counted from the file's conv/depthwise/fully-connected shapes), input shape
MLPERF = {
    "ic": ("ic/pretrainedResnet_quant.tflite", 10, 12_501_632, (1, 32, 32, 3)),
    "kws": ("kws/kws_ref_model.tflite", 12, 2_656_768, (1, 49, 10, 1)),
    "vww": ("vww/vww_96_int8.tflite", 2, 7_489_664, (1, 96, 96, 3)),
}


SHAPE_SIGNATURE_FIELD = 18  # vtable offset of Tensor.shape_signature (field 7: 4 + 2 * 7)


@pytest.fixture(scope="module")
def mlperf(shared_data) -> Path:
    return shared_data / "mlperf_tiny"


@pytest.mark.parametrize("name", sorted(MLPERF))
def test_mlperf_reference_models_import_as_one_stage_bundles(name, mlperf, tmp_path):
    rel, classes, macs, shape = MLPERF[name]
    bundle = import_tflite(mlperf / rel, tmp_path / name)
    again = Bundle.load(tmp_path / name)  # what every downstream tool does first
    assert again.num_stages == 1 and bundle.num_stages == 1
    s = again.stages[0]
    assert s.features is None and s.input.shape == shape and s.input.dtype == s.logits.dtype == "int8"
    assert s.logits.shape == (1, classes) and again.class_names == [str(i) for i in range(classes)]
    assert s.backbone_macs + s.head_macs == macs
    assert [e.threshold for e in again.exits] == [None]  # no early exit
    assert again.baseline_path() == again.stage_path(0)  # the single stage is its own always-full baseline
    assert again.preprocess is None  # not recorded in a .tflite file; nothing is guessed
    assert again.manifest["model"]["source"] == "import"
    assert (tmp_path / name / "stage_0.tflite").read_bytes() == (mlperf / rel).read_bytes()


def test_pixel_minus_128_preprocess_reproduces_the_mlperf_input_convention(mlperf, tmp_path):
    """IC and VWW take int8 = uint8 pixel - 128; --preprocess pixel-128 must give exactly that through the
    manifest's raw -> float -> int8 path, and the imported VWW model must then classify its perf samples."""
    samples = mlperf / "vww" / "perf_samples_vww01"
    with open(samples / "y_labels.csv") as f:
        rows = [r for r in csv.reader(f)][:: 25]  # 40 samples, both classes
    raw = np.stack([np.fromfile(samples / r[0], dtype=np.uint8).reshape(96, 96, 3) for r in rows])
    labels = np.array([int(r[2]) for r in rows])
    for name, rel in (("ic", MLPERF["ic"][0]), ("vww", MLPERF["vww"][0])):
        b = import_tflite(mlperf / rel, tmp_path / name, preprocess="pixel-128")
        pp = Preprocess(tuple(b.preprocess["mean"]), tuple(b.preprocess["std"]))
        pixels = np.arange(256, dtype=np.uint8).reshape(1, 1, 256, 1).repeat(3, axis=3)
        q = quantize(pp.apply(pixels).transpose(0, 2, 3, 1), b.input)
        assert np.array_equal(q.astype(np.int16), pixels.astype(np.int16) - 128), name
    b = Bundle.load(tmp_path / "vww")
    pp = Preprocess(tuple(b.preprocess["mean"]), tuple(b.preprocess["std"]))
    x_q = quantize(pp.apply(raw).transpose(0, 2, 3, 1), b.input)
    preds = run_single(b.stage_path(0), b.input, b.stages[0].logits, x_q).argmax(1)
    assert (preds == labels).mean() >= 0.75  # the reference model scores 85 % on all 1000


def test_class_names_and_explicit_preprocess(mlperf, tmp_path):
    names = ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown"]
    b = import_tflite(mlperf / MLPERF["kws"][0], tmp_path / "kws", class_names=names, preprocess="0/1")
    assert b.class_names == names and b.preprocess["mean"] == [0.0] and b.preprocess["std"] == [1.0]
    with pytest.raises(ConfigError, match="3 class names"):
        import_tflite(mlperf / MLPERF["kws"][0], tmp_path / "kws2", class_names=["a", "b", "c"])
    with pytest.raises(ConfigError, match="zero point of -128"):
        import_tflite(mlperf / MLPERF["kws"][0], tmp_path / "kws3", preprocess="pixel-128")


def test_float_and_dynamic_range_models_are_refused_by_name(mlperf, tmp_path):
    with pytest.raises(ConversionError, match="pretrainedResnet.tflite is a float model"):
        import_tflite(mlperf / "ic" / "pretrainedResnet.tflite", tmp_path / "f")
    with pytest.raises(ConversionError, match="dynamic-range quantized model"):
        import_tflite(mlperf / "kws" / "kws_ref_model_float32.tflite", tmp_path / "d")
    assert not (tmp_path / "f").exists() and not (tmp_path / "d").exists()


def test_a_dynamic_shape_is_refused(mlperf, tmp_path):
    """The IC model with its input's height made free (-1) in shape_signature, patched in the flatbuffer."""
    from ai_edge_litert import schema_py_generated as schema

    src = tmp_path / "dyn.tflite"
    shutil.copyfile(mlperf / MLPERF["ic"][0], src)
    buf = bytearray(src.read_bytes())
    sub = schema.Model.GetRootAsModel(buf, 0).Subgraphs(0)
    t = sub.Tensors(sub.Inputs(0))
    sig = t._tab.Vector(t._tab.Offset(SHAPE_SIGNATURE_FIELD))
    struct.pack_into("<i", buf, sig + 4, -1)  # dimension 1 (height)
    src.write_bytes(bytes(buf))
    with pytest.raises(ConversionError, match="dynamic shape"):
        check_full_int8(read_tflite(src))


def test_existing_bundle_is_kept_without_force(mlperf, tmp_path, capsys):
    out = tmp_path / "kws"
    assert main(["import", str(mlperf / MLPERF["kws"][0]), "--out", str(out), "--json"]) == 0
    before = (out / "manifest.json").read_bytes()
    with pytest.raises(OutputExists):
        import_tflite(mlperf / MLPERF["kws"][0], out)
    assert main(["import", str(mlperf / MLPERF["kws"][0]), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "manifest.json").read_bytes() == before
    assert main(["import", str(mlperf / MLPERF["ic"][0]), "--out", str(out), "--force"]) == 0
    assert Bundle.load(out).stages[0].input.shape == (1, 32, 32, 3)
