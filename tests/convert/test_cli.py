"""The three subcommands as a user runs them: convert, import, inspect (text and --json)."""

from __future__ import annotations

import json

from edge_ee.bundle import Bundle
from edge_ee.cli import main


def test_convert_with_thresholds_then_inspect(digits_checkpoint, tmp_path, capsys):
    out = tmp_path / "digits"
    assert main(["convert", str(digits_checkpoint), "--out", str(out), "--thresholds", "0.25", "--measure",
                 "margin", "--calibration-samples", "64", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert "stage_0: exporting to ONNX" in captured.err and "exit 0 (block1)" in captured.err  # progress lines
    assert summary["model"]["name"] == "digits-cnn" and len(summary["stages"]) == 2
    assert summary["exits"][0]["measure"] == "margin" and summary["exits"][0]["threshold"] == 0.25
    assert summary["verification"]["exits"][0]["agreement"] > 0.9
    b = Bundle.load(out)
    assert b.manifest["conversion"]["calibration"]["samples"] == 64
    assert b.manifest["thresholds"]["source"] == "command line"

    assert main(["convert", str(digits_checkpoint), "--out", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err

    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "stage 0  stage_0.tflite" in text and "exit if margin < 0.25" in text and "CONV_2D" in text
    assert main(["inspect", str(out), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [s["tflite_macs"] for s in d["stages"]] == [s["backbone_macs"] + s["head_macs"] for s in d["stages"]]
    assert d["bytes"]["stages"] == sum((out / s["file"]).stat().st_size for s in d["stages"])


def test_inspect_refuses_what_is_not_a_bundle(tmp_path, capsys):
    assert main(["inspect", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
