"""Clear errors: unconvertible layers (named by module and op), bad boundaries, calibration data, unknown
models, recipes that contradict the model, existing output."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from edge_ee.bundle import Bundle
from edge_ee.checkpoint import FORMAT
from edge_ee.convert import convert_checkpoint, convert_model, resolve_exits
from edge_ee.convert.staged import bind_boundary
from edge_ee.data import load_dataset
from edge_ee.errors import (CheckpointError, ConfigError, DataError, OutputExists, QuantizationMismatch,
                            UnsupportedOp)
from edge_ee.exits import threshold_q
from edge_ee.models.multiexit import HeadSpec, attach_exits
from edge_ee.models.zoo import classifier, conv_bn


class Elementwise(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def model_with(fn):
    """A digits-shaped two-exit model whose first block ends in `fn`: segments.0.0.1 is the odd layer."""
    b = nn.Sequential()
    b.add_module("block1", nn.Sequential(conv_bn(1, 8), Elementwise(fn)))
    b.add_module("block2", conv_bn(8, 16))
    b.add_module("classifier", classifier(16, 10))
    return attach_exits(b, {"block1": HeadSpec(pool=2, global_pool=False)}, "classifier", (1, 8, 8), 10).eval()


def test_an_op_onnx_cannot_express_names_the_module_and_the_aten_op(tmp_path):
    with pytest.raises(UnsupportedOp) as e:
        convert_model(model_with(lambda x: torch.cummax(x, 1)[0]), "digits-cnn", [str(i) for i in range(10)],
                      load_dataset("digits"), tmp_path / "b")
    assert e.value.op == "aten::cummax"
    assert e.value.where == "stage 0, module segments.0.0.1 (Elementwise)"
    assert not (tmp_path / "b").exists()


def test_an_op_without_an_int8_kernel_names_the_module_and_the_tflite_op(tmp_path):
    """sin exports to ONNX and converts to TFLite, but only in float: the stage would not be fully int8."""
    with pytest.raises(UnsupportedOp) as e:
        convert_model(model_with(torch.sin), "digits-cnn", [str(i) for i in range(10)], load_dataset("digits"),
                      tmp_path / "b", keep_work=tmp_path / "work")
    assert e.value.op == "SIN"
    assert e.value.where == "stage 0, module segments.0.0.1 (Elementwise)"
    assert "int8" in e.value.fix
    assert not (tmp_path / "b").exists()
    # --keep-work keeps what explains a failure: the ONNX files, calibration data and converter logs.
    assert (tmp_path / "work" / "stage_0.onnx").is_file() and (tmp_path / "work" / "stage_0" / "onnx2tf.log").is_file()


def test_boundaries_are_copied_within_a_tenth_of_a_percent_and_refused_beyond(digits_bundle, tmp_path):
    consumer = tmp_path / "stage_1.tflite"
    produced = digits_bundle.stages[0].features
    shutil.copyfile(digits_bundle.stage_path(1), consumer)
    with pytest.raises(QuantizationMismatch, match=r"0.990 % apart; copying is allowed up to 0.1 %"):
        bind_boundary(replace(produced, scale=produced.scale * 1.01), consumer, 1)
    with pytest.raises(QuantizationMismatch, match="zero point"):
        bind_boundary(replace(produced, zero_point=produced.zero_point + 1), consumer, 1)
    one_ulp = float(np.nextafter(np.float32(produced.scale), np.float32(1)))
    near = replace(produced, scale=one_ulp)
    info = bind_boundary(near, consumer, 1)
    assert 0 < info["relative_difference"] < 1e-6
    from ai_edge_litert.interpreter import Interpreter

    (inp,) = Interpreter(model_path=str(consumer)).get_input_details()
    assert inp["quantization"] == (near.scale, near.zero_point)
    before, after = digits_bundle.stage_path(1).read_bytes(), consumer.read_bytes()
    changed = sum(a != b for a, b in zip(before, after))
    assert len(before) == len(after) and 0 < changed <= 4 * len(info["patched_tensors"])  # only the scale bytes


def test_too_few_or_too_many_calibration_samples(digits_checkpoint, tmp_path):
    with pytest.raises(ConfigError, match="too few"):
        convert_checkpoint(digits_checkpoint, tmp_path / "a", calibration_samples=8)
    with pytest.raises(DataError, match="holds 1167"):
        convert_checkpoint(digits_checkpoint, tmp_path / "b", calibration_samples=5000)


def test_missing_calibration_data_says_which_dataset(digits_checkpoint, tmp_path):
    """A checkpoint trained on CIFAR-10 whose data directory is gone (the digits one, relabelled: cheap)."""
    payload = torch.load(digits_checkpoint, weights_only=False)
    payload["dataset"] = {**payload["dataset"], "name": "cifar10", "data_dir": str(tmp_path / "gone")}
    torch.save(payload, tmp_path / "moved.pt")
    with pytest.raises(DataError, match="real samples of 'cifar10'") as e:
        convert_checkpoint(tmp_path / "moved.pt", tmp_path / "b")
    assert "--data-dir" in e.value.fix


def test_a_checkpoint_of_an_unknown_model(tmp_path, digits_checkpoint):
    payload = torch.load(digits_checkpoint, weights_only=False)
    assert payload["format"] == FORMAT
    payload["model"]["name"] = "resnet9000"
    torch.save(payload, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match="resnet9000"):
        convert_checkpoint(tmp_path / "odd.pt", tmp_path / "b")


def test_an_existing_output_directory_is_refused_before_any_work(digits_checkpoint, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "mine.txt").write_text("keep me")
    with pytest.raises(OutputExists):
        convert_checkpoint(digits_checkpoint, tmp_path / "b")
    assert (tmp_path / "b" / "mine.txt").read_text() == "keep me"


def test_a_recipe_that_contradicts_the_model(digits_checkpoint, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[models.digits-cnn]\ncut_points = ["block2"]\n')
    with pytest.raises(ConfigError, match=r"early exits are \['block1'\]"):
        convert_checkpoint(digits_checkpoint, tmp_path / "b", recipe=bad)
    other = tmp_path / "other.toml"
    other.write_text('[models.resnet8]\ncut_points = ["stack1", "stack2"]\n')
    with pytest.raises(ConfigError, match="not digits-cnn"):
        convert_checkpoint(digits_checkpoint, tmp_path / "b", recipe=other)
    typo = tmp_path / "typo.toml"
    typo.write_text('[calibration]\nsamples = 100\nsplt = "val"\n')
    with pytest.raises(ConfigError, match="splt"):
        convert_checkpoint(digits_checkpoint, tmp_path / "b", recipe=typo)


def test_thresholds_from_the_command_line_or_a_calibration_file(tmp_path):
    exits, info = resolve_exits(3, thresholds=[0.2, 0.4], measure="entropy")
    assert [e.threshold for e in exits] == [0.2, 0.4, None] and info["source"] == "command line"
    assert [e.to_dict()["threshold_q"] for e in exits[:2]] == [threshold_q("entropy", 0.2), threshold_q("entropy", 0.4)]
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps({"measure": "margin", "exits": [{"threshold": 0.3}, {"threshold": None}],
                               "accuracy_budget": 0.01}))
    exits, info = resolve_exits(2, calibration=cal)
    assert [(e.measure, e.threshold) for e in exits] == [("margin", 0.3), ("margin", None)]
    assert info["source"] == "calibration" and len(info["sha256"]) == 64
    with pytest.raises(ConfigError, match="1 early exit"):
        resolve_exits(2, thresholds=[0.1, 0.2])
    with pytest.raises(ConfigError, match="contradicts"):
        resolve_exits(2, calibration=cal, measure="entropy")
    exits, info = resolve_exits(2)
    assert exits[0].measure == "neglogpmax" and info["source"] == "default"
    assert exits[0].threshold == pytest.approx(-np.log(0.9))


def test_a_corrupted_bundle_file_is_detected(digits_bundle, tmp_path):
    copy = tmp_path / "b"
    shutil.copytree(digits_bundle.path, copy)
    data = bytearray((copy / "stage_1.tflite").read_bytes())
    data[-100] ^= 1
    (copy / "stage_1.tflite").write_bytes(bytes(data))
    from edge_ee.errors import BundleError

    with pytest.raises(BundleError, match="sha256"):
        Bundle.load(copy)


def test_an_exported_stage_with_a_dynamic_shape_is_refused(tmp_path):
    import warnings

    from edge_ee.convert.export import check_static_onnx
    from edge_ee.errors import ConversionError

    path = tmp_path / "dyn.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.Linear(4, 2), (torch.zeros(1, 4),), str(path), input_names=["input"],
                          dynamic_axes={"input": {0: "batch"}}, dynamo=False)
    with pytest.raises(ConversionError, match=r"stage 1: tensor 'input' has a dynamic shape \['batch', 4\]"):
        check_static_onnx(path, "stage 1")
