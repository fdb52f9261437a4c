"""The main job, end to end on one command: train a multi-exit network, calibrate its thresholds, and report.
Each step writes its artifacts into the output directory and says how long it took."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from edge_ee.io import atomic_write_json, atomic_write_text, check_writable


@dataclass
class DemoConfig:
    out: Path
    model: str = "digits-cnn"
    dataset: str = "digits"
    data_dir: str | None = None
    epochs: int = 8
    max_train_samples: int | None = None
    max_accuracy_drop: float = 1.0
    measure: str = "entropy"
    board: str = "qemu-mps2-an386"
    force: bool = False


class Steps:
    """Numbered progress lines: `[2/5] calibrate thresholds ... 1.4 s`."""

    def __init__(self, total: int, quiet: bool = False):
        self.total, self.n, self.quiet, self.times = total, 0, quiet, {}

    def run(self, name: str, fn, *args, **kwargs):
        self.n += 1
        if not self.quiet:
            print(f"[{self.n}/{self.total}] {name} ...", flush=True)
        t0 = time.time()
        result = fn(*args, **kwargs)
        self.times[name] = round(time.time() - t0, 2)
        if not self.quiet:
            print(f"[{self.n}/{self.total}] {name}: done in {self.times[name]} s", flush=True)
        return result


def run_demo(cfg: DemoConfig, quiet: bool = False) -> dict:
    from edge_ee.calibrate import calibrate_checkpoint
    from edge_ee.evaluate import cost_table_markdown
    from edge_ee.train import TrainConfig, train

    out = Path(cfg.out)
    check_writable(out, cfg.force)
    if out.exists() and cfg.force:
        import shutil

        shutil.rmtree(out)
    out.mkdir(parents=True)
    steps = Steps(2, quiet)
    ckpt_path = out / "model.pt"
    tcfg = TrainConfig(cfg.model, cfg.dataset, cfg.data_dir, epochs=cfg.epochs,
                       max_train_samples=cfg.max_train_samples, lr=0.05, batch_size=32 if cfg.dataset == "digits" else 64)
    steps.run(f"train {cfg.model} on {cfg.dataset} ({cfg.epochs} epochs)", train, tcfg, out=ckpt_path,
              progress=not quiet)
    cal = steps.run(f"calibrate thresholds ({cfg.measure}, <= {cfg.max_accuracy_drop} points)",
                    calibrate_checkpoint, ckpt_path, cfg.max_accuracy_drop, cfg.measure, cfg.data_dir,
                    out / "calibration")
    report = {"config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(cfg).items()},
              "calibration": {k: v for k, v in cal.items() if k != "sweep"}, "step_seconds": steps.times}
    md = [f"# edge_ee demo: {cfg.model} on {cfg.dataset}", "",
          "## Float model, thresholds chosen on the validation split", "",
          cost_table_markdown(cal), "## Held-out test split", "", cost_table_markdown(cal["held_out"]),
          "Plots: `calibration/sweep_exit*.png` (exit % and accuracy vs threshold).", ""]
    atomic_write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", "\n".join(md))
    if not quiet:
        print()
        print("\n".join(md))
        print(f"artifacts in {out}/")
    return report
