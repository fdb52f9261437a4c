"""`edge-ee measure --json` attached to a running device (--port), with a replayed power trace: the JSON
interface later checks rely on, and the same held-out inputs as `edge-ee simulate --dataset`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge_ee.cli import main
from edge_ee.runtime.inputs import dataset_samples


def test_measure_json_interface(device, staged_bundle, twin, tmp_path, capsys):
    t = np.arange(0, 120, 1e-3)
    csv = tmp_path / "trace.csv"
    csv.write_text("time_s,voltage_v,current_a\n" + "\n".join(f"{x:.3f},3.3,0.004" for x in t) + "\n")
    capsys.readouterr()
    code = main(["measure", str(staged_bundle.path), "--board", "qemu-mps2-an386", "--port",
                 f"socket://127.0.0.1:{device.port}", "--dataset", "digits", "--limit", "10",
                 "--power", f"csv:{csv}", "--json", "--no-progress"])
    assert code == 0
    rep = json.loads(capsys.readouterr().out)
    for key in ("records", "lost_records", "corrupt_records", "accuracy", "baseline_accuracy", "energy"):
        assert key in rep
    assert {"early_exit_uj", "baseline_uj", "savings", "modeled"} <= set(rep["energy"])
    assert rep["energy"]["modeled"] is False
    assert rep["energy"]["savings"] == 1 - rep["energy"]["early_exit_uj"] / rep["energy"]["baseline_uj"]
    samples = dataset_samples(staged_bundle, "digits", limit=10)  # simulate's inputs, input for input
    assert len(rep["records"]) == 20
    for r in rep["records"]:
        assert {"seq", "exit", "pred", "stage_counts"} <= set(r)
        assert (r["exit"], r["pred"]) == twin.infer(samples.x[r["index"]], force_full=r["mode"] == "full")[:2]
        assert r["label"] == samples.labels[r["index"]]


def test_measure_without_inputs_is_refused(capsys):
    with pytest.raises(SystemExit) as e:
        main(["measure", "--board", "qemu-mps2-an386"])
    assert e.value.code == 2 and "--samples DIR | --dataset" in capsys.readouterr().err
