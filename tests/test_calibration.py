"""Evaluation and calibration: label-free exits, savings within the accuracy budget on held-out data."""

import numpy as np
import pytest

from edge_ee.calibrate import calibrate_checkpoint, choose_thresholds
from edge_ee.checkpoint import load_checkpoint
from edge_ee.evaluate import evaluate_checkpoint, exit_outputs, summarize


def test_exit_decisions_do_not_depend_on_labels(digits_checkpoint):
    out = exit_outputs(load_checkpoint(digits_checkpoint), "test")
    a = summarize(out, [0.3], "entropy")
    out.labels = np.random.default_rng(0).permutation(out.labels)
    b = summarize(out, [0.3], "entropy")
    assert [e["fraction"] for e in a["exits"]] == [e["fraction"] for e in b["exits"]]
    assert a["mac_savings"] == b["mac_savings"]


def test_evaluation_accounts_fractions_accuracy_and_macs(digits_checkpoint):
    r = evaluate_checkpoint(digits_checkpoint, [0.2], "neglogpmax")
    assert sum(e["fraction"] for e in r["exits"]) == pytest.approx(1.0)
    counts = [e["count"] for e in r["exits"]]
    correct = sum(e["accuracy"] * e["count"] for e in r["exits"] if e["count"])
    assert r["accuracy"] == pytest.approx(correct / sum(counts))
    f0 = r["exits"][0]["fraction"]
    through = [e["macs_through_exit"] for e in r["exits"]]
    assert r["average_macs"] == pytest.approx(f0 * through[0] + (1 - f0) * through[1])
    assert r["mac_savings"] == pytest.approx(1 - r["average_macs"] / r["full_macs"])
    none = evaluate_checkpoint(digits_checkpoint, [0.0])  # threshold 0: nothing exits early
    assert none["exits"][0]["fraction"] == 0 and none["mac_savings"] < 0  # pays for the exit head


@pytest.mark.parametrize("budget", [0.0, 1.0, 3.0])
def test_calibration_keeps_accuracy_within_budget(digits_checkpoint, budget):
    r = calibrate_checkpoint(digits_checkpoint, budget, "entropy")
    assert r["accuracy"] >= r["final_exit_accuracy"] - budget / 100 - 1e-9  # exactly, on the split it chose on
    assert r["mac_savings"] >= 0
    # On held-out data the budget holds up to sampling noise: 3 standard errors of the paired difference
    # (McNemar), from the inputs whose early prediction differs from the final exit's.
    out = exit_outputs(load_checkpoint(digits_checkpoint), "test")
    thresholds = [e["threshold"] for e in r["exits"][:-1]]
    held = summarize(out, thresholds, "entropy")
    early = np.isin(np.arange(len(out.labels)), np.flatnonzero(out.uncertainties("entropy")[0] < thresholds[0]))
    discordant = int((early & (out.predictions[0] != out.predictions[-1])).sum())
    noise = 3 * np.sqrt(discordant) / len(out.labels)
    assert held["accuracy"] == r["held_out"]["accuracy"]
    assert held["accuracy"] >= held["final_exit_accuracy"] - budget / 100 - noise


def test_a_larger_budget_never_saves_less(digits_checkpoint):
    out = exit_outputs(load_checkpoint(digits_checkpoint), "val")
    savings = [summarize(out, choose_thresholds(out, "margin", b), "margin")["mac_savings"] for b in (0, 1, 5, 100)]
    assert savings == sorted(savings)
    assert savings[-1] > 0.3  # with no accuracy limit nearly everything leaves early


def test_calibration_writes_its_json_table_and_plots(digits_checkpoint, tmp_path):
    out = tmp_path / "cal"
    calibrate_checkpoint(digits_checkpoint, 1.0, out_dir=out)
    assert {p.name for p in out.iterdir()} == {"calibration.json", "sweep.md", "sweep_exit0.png"}
    from edge_ee.errors import OutputExists

    with pytest.raises(OutputExists):
        calibrate_checkpoint(digits_checkpoint, 1.0, out_dir=out)
