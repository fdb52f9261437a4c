"""End to end on the emulated Cortex-M4 board (QEMU mps2-an386): `edge-ee build`, then `edge-ee measure --json`
on the digits test split. The device's exit decisions and predictions must equal the host twin's input for
input, the counts must show the skipped stage, and the modeled energy and savings must come from the device's
own instruction counts through the board's calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge_ee.boards import load_board
from edge_ee.cli import main
from edge_ee.energy import energy_from_instructions
from edge_ee.runtime.inputs import dataset_samples

N = 16


@pytest.fixture(scope="module")
def measured(staged_bundle, tmp_path_factory, capsys_module=None):
    root = tmp_path_factory.mktemp("qemu")
    assert main(["build", str(staged_bundle.path), "--board", "qemu-mps2-an386", "--out", str(root / "fw")]) == 0
    return root


def test_measure_on_qemu_equals_the_twin_and_models_energy_from_counts(measured, staged_bundle, twin, capsys):
    capsys.readouterr()
    out = measured / "report"
    code = main(["measure", "--build", str(measured / "fw"), "--board", "qemu-mps2-an386", "--dataset", "digits",
                 "--limit", str(N), "--json", "--out", str(out), "--no-progress"])
    assert code == 0
    rep = json.loads(capsys.readouterr().out)
    board = load_board("qemu-mps2-an386")
    samples = dataset_samples(staged_bundle, "digits", limit=N)

    assert len(rep["records"]) == 2 * N and rep["lost_records"] == 0 and rep["corrupt_records"] == 0
    for r in rep["records"]:
        exit_stage, pred, _ = twin.infer(samples.x[r["index"]], force_full=r["mode"] == "full")
        assert (r["exit"], r["pred"]) == (exit_stage, pred), r
        counts = r["stage_counts"]
        assert all(c > 0 for c in counts[:r["exit"] + 1]) and all(c == 0 for c in counts[r["exit"] + 1:])
        assert r["energy_uj"] == pytest.approx(energy_from_instructions(board, sum(counts)).energy_uj)
    early = [r for r in rep["records"] if r["mode"] == "early"]
    full = [r for r in rep["records"] if r["mode"] == "full"]
    assert {r["exit"] for r in early} == {0, 1} and {r["exit"] for r in full} == {1}
    # Counts are exact (-icount). An input that goes to the end with early exit costs the full run plus the
    # exit test of stage 0 (a few hundred instructions); one that exits at stage 0 skips stage 1.
    full_cost = {r["index"]: sum(r["stage_counts"]) for r in full}
    for r in early:
        extra = sum(r["stage_counts"]) - full_cost[r["index"]]
        if r["exit"] == 1:
            assert 0 < extra < 0.01 * full_cost[r["index"]]
        else:
            assert r["stage_counts"][0] < 0.5 * full_cost[r["index"]] and extra < 0

    e = rep["energy"]
    assert e["modeled"] is True and "modeled" in e["source"]
    assert e["early_exit_uj"] == pytest.approx(np.mean([r["energy_uj"] for r in early]))
    assert e["baseline_uj"] == pytest.approx(np.mean([r["energy_uj"] for r in full]))
    assert e["savings"] == pytest.approx(1 - e["early_exit_uj"] / e["baseline_uj"])
    assert e["savings"] > 0
    labels = samples.labels
    assert rep["accuracy"] == pytest.approx(np.mean([r["pred"] == labels[r["index"]] for r in early]))
    assert rep["baseline_accuracy"] == pytest.approx(np.mean([r["pred"] == labels[r["index"]] for r in full]))

    written = json.loads((out / "measure.json").read_text())
    assert written["energy"] == rep["energy"]
    assert "(modeled)" in (out / "measure.md").read_text()
    assert (out / "energy_by_exit.png").stat().st_size > 0
