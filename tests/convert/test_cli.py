"""The three subcommands as a user runs them: convert, import, inspect (text and --json)."""

from __future__ import annotations

import json

import pytest

from edge_ee.bundle import Bundle
from edge_ee.cli import main
from edge_ee.convert.staged import QuantizationLossWarning


def test_convert_with_thresholds_and_a_recipe_then_inspect(digits_checkpoint, tmp_path, capsys):
    out = tmp_path / "digits"
    recipe = tmp_path / "strict.toml"  # a loss budget no exit can meet, to see the warning path
    recipe.write_text('[models.digits-cnn]\ncut_points = ["block1"]\n[verification]\nsamples = 100\n'
                      'max_drop_points = -100.0\n')
    with pytest.warns(QuantizationLossWarning):
        assert main(["convert", str(digits_checkpoint), "--out", str(out), "--thresholds", "0.25", "--measure",
                     "margin", "--calibration-samples", "64", "--recipe", str(recipe), "--json"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: exit 0 (block1) loses" in captured.err
    summary = json.loads(captured.out)
    assert "stage_0: exporting to ONNX" in captured.err and "exit 0 (block1)" in captured.err  # progress lines
    assert summary["model"]["name"] == "digits-cnn" and len(summary["stages"]) == 2
    assert summary["exits"][0]["measure"] == "margin" and summary["exits"][0]["threshold"] == 0.25
    assert summary["verification"]["exits"][0]["agreement"] > 0.9
    b = Bundle.load(out)
    assert b.manifest["conversion"]["calibration"]["samples"] == 64
    assert b.manifest["thresholds"]["source"] == "command line"
    assert len(b.manifest["verification"]["warnings"]) == 2 and b.manifest["verification"]["samples"] == 100

    assert main(["convert", str(digits_checkpoint), "--out", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err

    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "stage 0  stage_0.tflite" in text and "exit if margin < 0.25" in text and "CONV_2D" in text
    assert "WARNING: exit 1 (classifier)" in text
    assert main(["inspect", str(out), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [s["tflite_macs"] for s in d["stages"]] == [s["backbone_macs"] + s["head_macs"] for s in d["stages"]]
    assert d["bytes"]["stages"] == sum((out / s["file"]).stat().st_size for s in d["stages"])


def test_inspect_refuses_what_is_not_a_bundle(tmp_path, capsys):
    assert main(["inspect", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
