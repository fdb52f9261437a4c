"""Evaluation of a multi-exit model: which exit each input leaves at (label-free: the exit test sees only the
logits), per-exit accuracy and fraction, overall accuracy, and the MAC cost table (the seed article's Figure 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from edge_ee.checkpoint import Checkpoint, load_checkpoint
from edge_ee.data import load_dataset
from edge_ee.exits import check_measure, decide_exits, uncertainty
from edge_ee.macs import CostTable, stage_macs
from edge_ee.train import exit_logits


@dataclass
class ExitOutputs:
    """Float logits of every exit for one split, with labels: everything evaluation and calibration need."""

    logits: list[np.ndarray]
    labels: np.ndarray
    cost: CostTable
    exit_names: list[str]

    def uncertainties(self, measure: str) -> list[np.ndarray]:
        return [uncertainty(l.astype(np.float64), measure) for l in self.logits]

    @property
    def predictions(self) -> list[np.ndarray]:
        return [l.argmax(1) for l in self.logits]


def exit_outputs(ckpt: Checkpoint, split: str, data_dir: str | None = None) -> ExitOutputs:
    ds = load_dataset(ckpt.dataset["name"], data_dir if data_dir is not None else ckpt.dataset.get("data_dir"))
    x, y = ds.float(split)
    return ExitOutputs(exit_logits(ckpt.model, x), y, CostTable(stage_macs(ckpt.model)), list(ckpt.model.exit_names))


def summarize(out: ExitOutputs, thresholds: Sequence[float], measure: str,
              uncertainties: list[np.ndarray] | None = None) -> dict:
    """The evaluation object: overall accuracy, MAC savings, per-exit accuracy / fraction / threshold."""
    check_measure(measure)
    u = uncertainties if uncertainties is not None else out.uncertainties(measure)
    exit_at = decide_exits(u, thresholds)
    preds = out.predictions
    n, k_exits = len(out.labels), len(out.logits)
    final_pred = np.array([preds[e][i] for i, e in enumerate(exit_at)]) if n else np.array([])
    correct = final_pred == out.labels
    fractions = [float((exit_at == k).mean()) if n else 0.0 for k in range(k_exits)]
    exits = []
    for k in range(k_exits):
        sel = exit_at == k
        exits.append({
            "exit": k, "name": out.exit_names[k],
            "threshold": float(thresholds[k]) if k < k_exits - 1 else None,
            "fraction": fractions[k], "count": int(sel.sum()),
            "accuracy": float(correct[sel].mean()) if sel.any() else None,
            "standalone_accuracy": float((preds[k] == out.labels).mean()) if n else None,
            "backbone_macs": out.cost.stages[k].backbone_macs, "head_macs": out.cost.stages[k].head_macs,
            "macs_through_exit": out.cost.through_exit(k),
        })
    avg = out.cost.average(fractions)
    return {
        "measure": measure, "n": n,
        "accuracy": float(correct.mean()) if n else None,
        "final_exit_accuracy": exits[-1]["standalone_accuracy"],
        "mac_savings": out.cost.savings(fractions), "speedup": out.cost.speedup(fractions),
        "average_macs": avg, "full_macs": out.cost.full_backbone, "worst_case_macs": out.cost.worst_case,
        "worst_case_overhead": out.cost.worst_case / out.cost.full_backbone - 1.0,
        "exits": exits,
    }


def evaluate_checkpoint(path, thresholds: Sequence[float], measure: str = "entropy", split: str = "test",
                        data_dir: str | None = None) -> dict:
    ckpt = load_checkpoint(path)
    out = exit_outputs(ckpt, split, data_dir)
    result = summarize(out, thresholds, measure)
    return {"model": ckpt.model_name, "dataset": ckpt.dataset["name"], "split": split, **result}


def cost_table_markdown(result: dict) -> str:
    """The Figure-4 table in Markdown."""
    lines = ["| exit | backbone MACs | head MACs | MACs through exit | exit % | accuracy |",
             "|---|---:|---:|---:|---:|---:|"]
    for e in result["exits"]:
        acc = "—" if e["accuracy"] is None else f"{100 * e['accuracy']:.2f} %"
        lines.append(f"| {e['exit']} ({e['name']}) | {e['backbone_macs']:,} | {e['head_macs']:,} | "
                     f"{e['macs_through_exit']:,} | {100 * e['fraction']:.2f} % | {acc} |")
    lines += [
        "",
        f"- full network (no exit heads): {result['full_macs']:,} MACs",
        f"- worst case with exit overhead: {result['worst_case_macs']:,} MACs (+{100 * result['worst_case_overhead']:.2f} %)",
        f"- average per input: {result['average_macs']:,.0f} MACs; savings {100 * result['mac_savings']:.2f} %; "
        f"speed-up {result['speedup']:.2f}x",
        f"- overall accuracy {100 * result['accuracy']:.2f} % (final exit alone {100 * result['final_exit_accuracy']:.2f} %)",
    ]
    return "\n".join(lines) + "\n"
