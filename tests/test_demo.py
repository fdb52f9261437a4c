"""The README's main job, with small settings: every step runs for real and every artifact lands."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_runs_the_whole_pipeline_and_the_device_agrees_with_the_host(tmp_path):
    out = tmp_path / "demo"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, "-m", "edge_ee", "demo", "--out", str(out), "--epochs", "4",
                        "--limit", "40", "--quiet"], capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    assert p.returncode == 0, p.stderr
    report = json.loads((out / "report.json").read_text())
    cmp = report["comparison"]
    assert cmp["inputs"]["device"] == cmp["inputs"]["host"] == 40
    # the device took the host simulation's exit and class on every input
    assert cmp["device_matches_host"]["same_exit_and_class"] == cmp["device_matches_host"]["of"] == 40
    assert cmp["accuracy"]["device"] == cmp["accuracy"]["host_int8"]
    assert cmp["exit_fractions"]["device"] == cmp["exit_fractions"]["host_int8"]
    dev = cmp["energy_uj"]["device_modeled_from_counts"]
    assert dev["modeled"] is True and dev["early_exit_uj"] <= dev["baseline_uj"]
    assert 0 <= dev["savings"] < 1
    for artifact in ["model.pt", "calibration/calibration.json", "bundle/manifest.json", "bundle/full.tflite",
                     "simulate/report.md", "firmware/firmware.elf", "firmware/build.json", "measure/measure.json",
                     "report.md", "demo_exits.png", "demo_energy.png"]:
        assert (out / artifact).is_file(), artifact
    assert "modeled" in (out / "report.md").read_text()


def test_demo_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.run([sys.executable, "-m", "edge_ee", "demo", "--out", str(out), "--quiet"], capture_output=True,
                       text=True, env=env, cwd=REPO)
    assert p.returncode == 2 and "--force" in p.stderr
    assert (out / "mine.txt").read_text() == "keep me"
