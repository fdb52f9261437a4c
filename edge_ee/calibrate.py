"""Threshold calibration: on the validation split, choose the early exits' thresholds that save the most MACs
while overall accuracy stays within a budget (in percentage points) of the final exit's accuracy. Also the
threshold sweep per exit (the seed article's Figure 2) as a table and plots."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from edge_ee.checkpoint import load_checkpoint
from edge_ee.errors import ConfigError
from edge_ee.evaluate import ExitOutputs, exit_outputs, summarize
from edge_ee.exits import decide_exits

GRID = 48  # candidate thresholds per exit for the joint search


def candidate_thresholds(u: np.ndarray, n: int = GRID) -> np.ndarray:
    """0 (never exit) and thresholds just above the uncertainty quantiles, so each candidate admits a new group."""
    qs = np.quantile(u, np.linspace(0, 1, n)[1:])
    return np.unique(np.concatenate([[0.0], np.nextafter(qs, np.inf)]))


def _accuracy_and_savings(out: ExitOutputs, u, thresholds, correct_by_exit) -> tuple[float, float]:
    exit_at = decide_exits(u, thresholds)
    acc = float(np.take_along_axis(correct_by_exit, exit_at[:, None], 1).mean())
    fractions = np.bincount(exit_at, minlength=len(u)) / len(exit_at)
    return acc, out.cost.savings(fractions)


def choose_thresholds(out: ExitOutputs, measure: str, max_drop_points: float) -> list[float]:
    """Joint grid search for up to two early exits, coordinate ascent beyond; the best savings within budget."""
    if max_drop_points < 0:
        raise ConfigError(f"--max-accuracy-drop must be >= 0 points (got {max_drop_points})")
    u = out.uncertainties(measure)
    correct = np.stack([p == out.labels for p in out.predictions], 1)
    floor = float(correct[:, -1].mean()) - max_drop_points / 100.0 - 1e-12
    cands = [candidate_thresholds(uk) for uk in u[:-1]]
    best, best_savings = [0.0] * len(cands), 0.0
    if len(cands) <= 2:
        for combo in itertools.product(*cands):
            acc, sav = _accuracy_and_savings(out, u, combo, correct)
            if acc >= floor and sav > best_savings + 1e-12:
                best, best_savings = list(combo), sav
        return [float(t) for t in best]
    improved = True
    while improved:  # coordinate ascent: each pass can only raise savings, so it terminates
        improved = False
        for k, ck in enumerate(cands):
            for t in ck:
                trial = best.copy()
                trial[k] = t
                acc, sav = _accuracy_and_savings(out, u, trial, correct)
                if acc >= floor and sav > best_savings + 1e-12:
                    best, best_savings, improved = trial, sav, True
    return [float(t) for t in best]


def sweep(out: ExitOutputs, measure: str, points: int = 41) -> list[dict]:
    """Per early exit in isolation (the other early exits off): exit fraction, accuracy of the inputs leaving
    there, and overall accuracy, across thresholds from 0 to the largest uncertainty seen."""
    u = out.uncertainties(measure)
    preds = out.predictions
    rows = []
    k_early = len(u) - 1
    for k in range(k_early):
        hi = float(u[k].max()) * 1.0001 or 1.0
        for t in np.linspace(0.0, hi, points):
            thresholds = [0.0] * k_early
            thresholds[k] = float(t)
            exit_at = decide_exits(u, thresholds)
            sel = exit_at == k
            final = np.where(sel, preds[k], preds[-1])
            fractions = np.bincount(exit_at, minlength=len(u)) / len(exit_at)
            rows.append({"exit": k, "threshold": float(t), "fraction": float(sel.mean()),
                         "exit_accuracy": float((preds[k][sel] == out.labels[sel]).mean()) if sel.any() else None,
                         "overall_accuracy": float((final == out.labels).mean()),
                         "mac_savings": out.cost.savings(fractions)})
    return rows


def sweep_markdown(rows: list[dict]) -> str:
    lines = ["| exit | threshold | exit % | accuracy at exit | overall accuracy | MAC savings |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ea = "—" if r["exit_accuracy"] is None else f"{100 * r['exit_accuracy']:.2f} %"
        lines.append(f"| {r['exit']} | {r['threshold']:.4f} | {100 * r['fraction']:.2f} % | {ea} | "
                     f"{100 * r['overall_accuracy']:.2f} % | {100 * r['mac_savings']:.2f} % |")
    return "\n".join(lines) + "\n"


def plot_sweep(rows: list[dict], measure: str, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for k in sorted({r["exit"] for r in rows}):
        rk = [r for r in rows if r["exit"] == k]
        t = [r["threshold"] for r in rk]
        fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
        ax.plot(t, [100 * r["fraction"] for r in rk], label="exit %", color="tab:blue")
        ax.plot(t, [100 * r["exit_accuracy"] if r["exit_accuracy"] is not None else np.nan for r in rk],
                label="accuracy of inputs exiting here", color="tab:green")
        ax.plot(t, [100 * r["overall_accuracy"] for r in rk], label="overall accuracy", color="tab:red", ls="--")
        ax.set_xlabel(f"threshold on {measure}")
        ax.set_ylabel("%")
        ax.set_ylim(0, 101)
        ax.set_title(f"exit {k}: exit rate and accuracy vs threshold")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        p = out_dir / f"sweep_exit{k}.png"
        fig.savefig(p)
        plt.close(fig)
        paths.append(p)
    return paths


def calibrate_checkpoint(path, max_drop_points: float, measure: str = "entropy", data_dir: str | None = None,
                         out_dir: str | Path | None = None, force: bool = False) -> dict:
    """Chooses thresholds on `val`, reports them on `val` and on the held-out `test` split; with `out_dir`,
    writes calibration.json (what `edge-ee convert --calibration` reads), the sweep table and plots."""
    ckpt = load_checkpoint(path)
    val = exit_outputs(ckpt, "val", data_dir)
    thresholds = choose_thresholds(val, measure, max_drop_points)
    result = {"model": ckpt.model_name, "dataset": ckpt.dataset["name"], "split": "val",
              "max_accuracy_drop": max_drop_points, **summarize(val, thresholds, measure)}
    test = exit_outputs(ckpt, "test", data_dir)
    result["held_out"] = {"split": "test", **summarize(test, thresholds, measure)}
    rows = sweep(val, measure)
    result["sweep"] = rows
    if out_dir is not None:
        from edge_ee.io import atomic_dir, atomic_write_json, atomic_write_text

        with atomic_dir(out_dir, force=force) as tmp:
            atomic_write_json(tmp / "calibration.json", result)
            atomic_write_text(tmp / "sweep.md", f"# Threshold sweep ({measure}, validation split)\n\n"
                              + sweep_markdown(rows))
            plot_sweep(rows, measure, tmp)
    return result
