"""The command line as a user drives it: real subprocesses, JSON contracts, clear errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def edge_ee(*args, check=True):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, "-m", "edge_ee", *map(str, args)], capture_output=True, text=True, env=env,
                       cwd=REPO)
    if check and p.returncode != 0:
        raise AssertionError(f"edge-ee {args} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def test_models_json_lists_the_zoo_with_stage_macs():
    rows = json.loads(edge_ee("models", "--json").stdout)
    names = {r["name"] for r in rows}
    assert {"resnet8", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "dscnn", "mobilenet-vww",
            "digits-cnn"} <= names
    r8 = next(r for r in rows if r["name"] == "resnet8")
    assert len(r8["stages"]) == 3 and r8["params"] > 77_000
    assert sum(s["backbone_macs"] for s in r8["stages"]) + r8["stages"][-1]["head_macs"] == 12_501_632


def test_train_eval_calibrate_round_trip(tmp_path):
    ck = tmp_path / "d.pt"
    edge_ee("train", "--model", "digits-cnn", "--dataset", "digits", "--epochs", "3", "--out", ck, "--quiet",
            "--exit-loss-weights", "0.4")
    ev = json.loads(edge_ee("eval", ck, "--thresholds", "0.5", "--json").stdout)
    assert {"accuracy", "mac_savings", "exits"} <= ev.keys() and len(ev["exits"]) == 2
    assert all({"accuracy", "fraction", "threshold"} <= e.keys() for e in ev["exits"])
    cal = json.loads(edge_ee("calibrate", ck, "--max-accuracy-drop", "1", "--json", "--out", tmp_path / "cal").stdout)
    assert cal["exits"][-1]["threshold"] is None and cal["exits"][0]["threshold"] >= 0
    assert json.loads((tmp_path / "cal" / "calibration.json").read_text())["exits"][0]["threshold"] == \
        cal["exits"][0]["threshold"]
    text = edge_ee("eval", ck, "--thresholds", str(cal["exits"][0]["threshold"])).stdout
    assert "MACs through exit" in text and "savings" in text


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "resnet9", "--dataset", "digits", "--out", "x.pt"], "unknown model 'resnet9'"),
    (["train", "--model", "resnet8", "--dataset", "imagenet", "--out", "x.pt"], "unknown dataset 'imagenet'"),
    (["train", "--model", "resnet8", "--dataset", "cifar10", "--data-dir", "/nonexistent", "--out", "x.pt"],
     "does not exist"),
    (["train", "--model", "digits-cnn", "--dataset", "digits", "--exit-loss-weights", "1.2", "--out", "x.pt"],
     "leaving nothing for the final exit"),
    (["eval", "missing.pt", "--thresholds", "0.5"], "does not exist"),
])
def test_bad_input_gets_a_clear_error_and_no_traceback(tmp_path, args, message):
    args = [str(tmp_path / a) if a.endswith(".pt") else a for a in args]
    p = edge_ee(*args, check=False)
    assert p.returncode == 2
    assert message in p.stderr and "fix:" in p.stderr and "Traceback" not in p.stderr


def test_eval_refuses_the_wrong_number_of_thresholds(digits_checkpoint):
    p = edge_ee("eval", digits_checkpoint, "--thresholds", "0.1", "0.2", check=False)
    assert p.returncode == 2 and "give exactly 1" in p.stderr
