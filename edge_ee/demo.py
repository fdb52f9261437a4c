"""The main job, end to end on one command: train a multi-exit network, calibrate its thresholds, convert it to
int8 stages, simulate it on the host, generate C, build and flash the firmware of an emulated Cortex-M board,
measure over its serial link with early exit and at forced full depth, and report side by side.

Each step writes its artifacts into the output directory and says how long it took:
  model.pt  calibration/  bundle/  simulate/  firmware/  measure/  report.md  report.json  *.png"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

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
    limit: int | None = None  # inputs simulated and measured (None: the whole test split)
    checkpoint: Path | None = None  # a trained checkpoint: skips training (its model and dataset are used)
    force: bool = False


class Steps:
    """Numbered progress lines: `[2/7] calibrate thresholds ... done in 1.4 s`."""

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


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f} %"


def comparison(cal: dict, sim: dict, meas: dict) -> dict:
    """The side-by-side figures: float model, int8 on the host (simulated), int8 on the device (measured)."""
    held = cal["held_out"]
    dev_exits = meas["exit_fractions"]
    sim_pred = {i: (r["exit"], r["prediction"]) for i, r in enumerate(sim["per_input"])}
    dev_pred = {r["index"]: (r["exit"], r["pred"]) for r in meas["records"] if r["mode"] == "early"}
    same = sum(1 for i, v in dev_pred.items() if sim_pred.get(i) == v)
    return {
        "inputs": {"float": held["n"], "host": sim["num_inputs"], "device": len(dev_pred)},
        "accuracy": {"float": held["accuracy"], "host_int8": sim["accuracy"], "device": meas["accuracy"]},
        "baseline_accuracy": {"float": held["final_exit_accuracy"], "host_int8": sim["baseline_accuracy"],
                              "device": meas["baseline_accuracy"]},
        "exit_fractions": {"float": [e["fraction"] for e in held["exits"]],
                           "host_int8": [e["fraction"] for e in sim["exits"]], "device": dev_exits},
        "mac_savings": {"float": held["mac_savings"], "host_int8": sim["macs"]["savings"]},
        "device_count_savings": meas["counts"]["savings"],
        "device_counts": {"unit": meas["counter_unit"], "early_exit": meas["counts"]["early_exit"]["mean"],
                          "baseline": meas["counts"]["baseline"]["mean"]},
        "energy_uj": {"host_modeled_from_macs": {k: sim.get("energy", {}).get(k) for k in
                                                 ("early_exit_uj", "baseline_uj", "savings")},
                      "device_modeled_from_counts": {k: meas["energy"][k] for k in
                                                     ("early_exit_uj", "baseline_uj", "savings", "modeled")}},
        "device_matches_host": {"same_exit_and_class": same, "of": len(dev_pred)},
    }


def markdown(cfg: DemoConfig, cmp: dict, cal: dict, sim: dict, meas: dict, times: dict) -> str:
    from edge_ee.evaluate import cost_table_markdown

    k = len(cmp["exit_fractions"]["device"])
    fr = lambda xs: " / ".join(f"{100 * x:.1f}" for x in xs)  # noqa: E731
    e_host, e_dev = cmp["energy_uj"]["host_modeled_from_macs"], cmp["energy_uj"]["device_modeled_from_counts"]
    unit = cmp["device_counts"]["unit"]
    lines = [
        f"# edge_ee demo: {cfg.model} on {cfg.dataset}, board {cfg.board}", "",
        f"Thresholds ({cfg.measure}) chosen on the validation split within {cfg.max_accuracy_drop} point(s) of "
        f"the final exit's accuracy: " + ", ".join(f"{e['threshold']:.4f}" for e in cal["exits"][:-1]) + ".", "",
        "| | float (PyTorch) | int8 on the host (simulated, TFLM kernels) | int8 on the device (measured over serial) |",
        "|---|---:|---:|---:|",
        f"| inputs (test split) | {cmp['inputs']['float']} | {cmp['inputs']['host']} | {cmp['inputs']['device']} |",
        f"| accuracy, early exit | {_pct(cmp['accuracy']['float'])} | {_pct(cmp['accuracy']['host_int8'])} | "
        f"{_pct(cmp['accuracy']['device'])} |",
        f"| accuracy, always full (host: full.tflite; device: stages at forced full depth) | "
        f"{_pct(cmp['baseline_accuracy']['float'])} | "
        f"{_pct(cmp['baseline_accuracy']['host_int8'])} | {_pct(cmp['baseline_accuracy']['device'])} |",
        f"| exit distribution % (exit 0 / ... / {k - 1}) | {fr(cmp['exit_fractions']['float'])} | "
        f"{fr(cmp['exit_fractions']['host_int8'])} | {fr(cmp['exit_fractions']['device'])} |",
        f"| MAC savings | {_pct(cmp['mac_savings']['float'])} | {_pct(cmp['mac_savings']['host_int8'])} | — |",
        f"| {unit} per inference, early exit / full | — | — | {cmp['device_counts']['early_exit']:,.0f} / "
        f"{cmp['device_counts']['baseline']:,.0f} (saves {_pct(cmp['device_count_savings'])}) |",
        f"| energy per inference, early exit / full (modeled) | — | "
        f"{e_host['early_exit_uj']:.2f} / {e_host['baseline_uj']:.2f} µJ (from MACs) | "
        f"{e_dev['early_exit_uj']:.2f} / {e_dev['baseline_uj']:.2f} µJ (from {unit}) |"
        if e_host.get("early_exit_uj") is not None and e_dev.get("early_exit_uj") is not None else
        "| energy per inference | — | — | — |",
        f"| energy savings (modeled) | — | {_pct(e_host.get('savings'))} | {_pct(e_dev.get('savings'))} |",
        "",
        f"The device took the same exit and predicted the same class as the host simulation on "
        f"{cmp['device_matches_host']['same_exit_and_class']} of {cmp['device_matches_host']['of']} inputs.",
        "",
        "Energy here is **modeled**: the emulated board counts retired instructions exactly (QEMU `-icount`), and "
        f"the board profile ({cfg.board}, `boards/{cfg.board}.toml`) turns them into time and energy through its "
        "stated calibration. On a real board with a power monitor, `edge-ee measure --power ...` reports measured "
        "energy instead.",
        "",
        "## Float model on the held-out test split", "", cost_table_markdown(cal["held_out"]),
        "## Artifacts", "",
        "- `model.pt` checkpoint; `calibration/` thresholds, sweep table and plots",
        "- `bundle/` int8 stages + manifest (`edge-ee inspect out/demo/bundle`)",
        "- `simulate/` host report (report.md, plots); `firmware/` the board's build (firmware.elf, build.json)",
        "- `measure/` device report (measure.json, measure.md, energy_by_exit.png)",
        "- `demo_energy.png`, `demo_exits.png`: the comparison as plots",
        "",
        "## Steps", "",
        "| step | seconds |", "|---|---:|",
        *[f"| {name} | {secs} |" for name, secs in times.items()],
        "",
    ]
    return "\n".join(lines)


def plots(cmp: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    k = len(cmp["exit_fractions"]["device"])
    x = np.arange(k)
    for i, (name, key) in enumerate([("float", "float"), ("host int8", "host_int8"), ("device", "device")]):
        ax.bar(x + (i - 1) * 0.27, [100 * f for f in cmp["exit_fractions"][key]], 0.27, label=name)
    ax.set_xticks(x, [f"exit {i}" for i in range(k)])
    ax.set_ylabel("% of inputs")
    ax.set_title("where inputs leave the network")
    ax.legend()
    fig.tight_layout()
    paths.append(out / "demo_exits.png")
    fig.savefig(paths[-1])
    plt.close(fig)
    dev = cmp["energy_uj"]["device_modeled_from_counts"]
    host = cmp["energy_uj"]["host_modeled_from_macs"]
    if dev.get("early_exit_uj") is not None:
        fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
        labels, early, full = [], [], []
        if host.get("early_exit_uj") is not None:
            labels.append("host (from MACs)")
            early.append(host["early_exit_uj"])
            full.append(host["baseline_uj"])
        labels.append("device (from instructions)")
        early.append(dev["early_exit_uj"])
        full.append(dev["baseline_uj"])
        x = np.arange(len(labels))
        ax.bar(x - 0.2, full, 0.4, label="always full", color="tab:gray")
        ax.bar(x + 0.2, early, 0.4, label="early exit", color="tab:green")
        for xi, (e, f) in enumerate(zip(early, full)):
            ax.text(xi + 0.2, e, f"-{100 * (1 - e / f):.1f} %", ha="center", va="bottom", fontsize=9)
        ax.set_xticks(x, labels)
        ax.set_ylabel("µJ per inference (modeled)")
        ax.set_title("energy per inference: early exit vs always full")
        ax.legend()
        fig.tight_layout()
        paths.append(out / "demo_energy.png")
        fig.savefig(paths[-1])
        plt.close(fig)
    return paths


def run_demo(cfg: DemoConfig, quiet: bool = False) -> dict:
    from edge_ee.calibrate import calibrate_checkpoint
    from edge_ee.convert import convert_checkpoint
    from edge_ee.device.build import build_firmware
    from edge_ee.measure import MeasureConfig, run_measure, write_reports
    from edge_ee.reports import write_simulation_report
    from edge_ee.runtime.simulate import SimConfig, simulate
    from edge_ee.train import TrainConfig, train

    out = Path(cfg.out)
    check_writable(out, cfg.force)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    steps = Steps(7, quiet)
    ckpt = out / "model.pt"
    if cfg.checkpoint is not None:
        from edge_ee.checkpoint import load_checkpoint

        given = load_checkpoint(cfg.checkpoint)  # fails early and clearly on a bad file
        cfg.model, cfg.dataset = given.model_name, given.dataset["name"]
        cfg.data_dir = cfg.data_dir or given.dataset.get("data_dir")
        steps.run(f"take the trained {cfg.model} from {cfg.checkpoint}", shutil.copyfile, cfg.checkpoint, ckpt)
    else:
        tcfg = TrainConfig(cfg.model, cfg.dataset, cfg.data_dir, epochs=cfg.epochs,
                           max_train_samples=cfg.max_train_samples, lr=0.05,
                           batch_size=32 if cfg.dataset == "digits" else 64)
        steps.run(f"train {cfg.model} on {cfg.dataset} ({cfg.epochs} epochs)", train, tcfg, out=ckpt,
                  progress=not quiet)
    cal = steps.run(f"calibrate thresholds ({cfg.measure}, <= {cfg.max_accuracy_drop} point)", calibrate_checkpoint,
                    ckpt, cfg.max_accuracy_drop, cfg.measure, cfg.data_dir, out / "calibration")
    steps.run("convert to int8 stages", convert_checkpoint, ckpt, out / "bundle",
              calibration=out / "calibration" / "calibration.json", data_dir=cfg.data_dir, progress=not quiet)
    sim = steps.run("simulate on the host (TFLM reference kernels)", simulate,
                    SimConfig(out / "bundle", dataset=cfg.dataset, data_dir=cfg.data_dir, limit=cfg.limit,
                              engine="tflm", board=cfg.board))
    write_simulation_report(sim.summary, out / "simulate")
    steps.run(f"generate C and build the firmware for {cfg.board}", build_firmware, out / "bundle", cfg.board,
              out / "firmware")
    run = steps.run(f"flash {cfg.board} (QEMU) and measure over serial", run_measure,
                    MeasureConfig(cfg.board, build=out / "firmware", dataset=cfg.dataset,
                                  data_dir=Path(cfg.data_dir) if cfg.data_dir else None, limit=cfg.limit,
                                  progress=not quiet))
    write_reports(run, out / "measure")
    meas = run.report()
    cmp = steps.run("report", comparison, cal, sim.summary, meas)
    plots(cmp, out)
    report = {"schema": "edge_ee.demo/1", "config": {k: str(v) if isinstance(v, Path) else v
                                                     for k, v in asdict(cfg).items()},
              "comparison": cmp, "step_seconds": steps.times}
    text = markdown(cfg, cmp, cal, sim.summary, meas, steps.times)
    atomic_write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", text)
    if not quiet:
        print()
        print(text)
        print(f"artifacts in {out}/")
    return report
