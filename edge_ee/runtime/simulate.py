"""The host-side simulator: a whole dataset through the staged runner, predicting what a board will see
(accuracy, exit distribution, host latency, modeled energy) before anyone touches hardware.

Every input goes through `StagedRunner.run` (the real early-exit path: its stage invocations are what
`stage_invocations` reports); the stages after its exit are then completed separately, so that every stage's
outputs are known for the dump and for threshold sweeps without re-running anything. The always-full baseline
is the bundle's monolithic `full.tflite` when it has one, else the stages run to the end."""

from __future__ import annotations

import contextlib
import gc
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge_ee.boards import Board, load_board
from edge_ee.bundle import Bundle
from edge_ee.energy import KERNELS as BOARD_KERNELS, describe_model, modeled_stage_energy
from edge_ee.errors import ConfigError, UnknownName
from edge_ee.exits import int_should_exit_batch, make_int_exit_test, max_uncertainty
from edge_ee.io import atomic_write_bytes, check_writable
from edge_ee.runtime.engines import EngineOptions, describe_engine, make_engine
from edge_ee.runtime.inputs import Samples, dataset_samples, read_samples_dir
from edge_ee.runtime.staged import StagedRunner, confidence

SWEEP_POINTS = 25


@dataclass(frozen=True)
class SimConfig:
    bundle: Path
    dataset: str | None = None  # evaluates its `test` split
    data_dir: str | None = None
    samples: Path | None = None  # an EnergyRunner folder (.bin + y_labels.csv)
    limit: int | None = None  # first N inputs only
    engine: str = "litert"
    engine_options: EngineOptions = EngineOptions()
    board: str | None = None
    board_kernels: str = "reference"  # which kernels the board's energy model assumes
    thresholds: tuple[float, ...] | None = None  # one per early exit; None: the manifest's
    measure: str | None = None  # None: the manifest's
    bin_dtype: str = "auto"
    keep_features: bool = False  # needed for --dump
    progress: bool = False


@dataclass
class Simulation:
    """Everything the simulator saw; `summary` is the JSON report."""

    bundle: Bundle
    samples: Samples
    engine: dict
    board: Board | None
    board_kernels: str
    tests: list
    exit_at: np.ndarray  # (N,) exit taken
    predictions: np.ndarray  # (N,) class at that exit
    confidences: np.ndarray  # (N,)
    stage_outputs: list[dict[str, np.ndarray]]  # per stage: "logits" (N, C) [, "features" (N, ...)]
    baseline_logits: np.ndarray  # (N, C)
    baseline_source: str
    invocations: list[int]
    stage_ns: list[list[int]]  # per stage: every timed run of it
    early_ns: np.ndarray  # (N,) staged inference, exit tests included
    baseline_ns: np.ndarray  # (N,)
    summary: dict = field(default_factory=dict)


@contextlib.contextmanager
def _gc_paused():
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _stats_ms(ns) -> dict:
    a = np.asarray(ns, dtype=np.float64) / 1e6
    if a.size == 0:
        return {"count": 0, "median_ms": None, "p90_ms": None, "mean_ms": None}
    return {"count": int(a.size), "median_ms": float(np.median(a)), "p90_ms": float(np.percentile(a, 90)),
            "mean_ms": float(a.mean())}


def stage_macs(bundle: Bundle) -> list[int]:
    return [s.backbone_macs + s.head_macs for s in bundle.stages]


def full_network_macs(bundle: Bundle) -> int:
    """The network without early-exit heads (what the monolithic baseline computes)."""
    if bundle.baseline and bundle.baseline.get("macs"):
        return int(bundle.baseline["macs"])
    return sum(s.backbone_macs for s in bundle.stages) + bundle.stages[-1].head_macs


def exits_for(bundle: Bundle, tests, logits: list[np.ndarray]) -> np.ndarray:
    """Exit per input from every stage's int8 logits, with the integer test (as the runner decides)."""
    n, last = len(logits[0]), bundle.num_stages - 1
    exit_at = np.full(n, last, dtype=np.int64)
    undecided = np.ones(n, dtype=bool)
    for k in range(last):
        if tests[k] is not None:
            take = undecided & int_should_exit_batch(tests[k], logits[k])
            exit_at[take] = k
            undecided &= ~take
    return exit_at


def load_samples(bundle: Bundle, cfg: SimConfig) -> Samples:
    if (cfg.dataset is None) == (cfg.samples is None):
        raise ConfigError("give exactly one of --dataset NAME and --samples DIR",
                          "--dataset evaluates a dataset's test split; --samples reads EnergyRunner .bin files")
    if cfg.limit is not None and cfg.limit < 1:
        raise ConfigError(f"--limit {cfg.limit}", "give a positive number of inputs")
    if cfg.samples is not None:
        return read_samples_dir(bundle, cfg.samples, cfg.bin_dtype, cfg.limit)
    return dataset_samples(bundle, cfg.dataset, cfg.data_dir, cfg.limit)


def simulate(cfg: SimConfig) -> Simulation:
    bundle = Bundle.load(cfg.bundle)
    if cfg.board_kernels not in BOARD_KERNELS:
        raise UnknownName("board kernel set", cfg.board_kernels, BOARD_KERNELS)
    board = load_board(cfg.board) if cfg.board else None
    samples = load_samples(bundle, cfg)
    engine = make_engine(cfg.engine, bundle, cfg.engine_options)
    runner = StagedRunner(bundle, engine, cfg.thresholds, cfg.measure)
    run_full = getattr(engine, "run_full", None) if bundle.baseline is not None else None
    K, n = bundle.num_stages, len(samples.labels)

    keys = [["logits", "features"] if cfg.keep_features and k < K - 1 else ["logits"] for k in range(K)]
    outs: list[dict[str, list]] = [{key: [] for key in keys[k]} for k in range(K)]
    shapes = [{"logits": (-1,), **({"features": s.features.shape[1:]} if s.features else {})} for s in bundle.stages]
    exit_at, preds, confs = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n)
    stage_ns: list[list[int]] = [[] for _ in range(K)]
    early_ns, base_ns, base_logits = np.zeros(n, np.int64), np.zeros(n, np.int64), []
    from tqdm import tqdm

    # One untimed pass first: interpreters allocate and pack weights on their first invoke.
    warm = StagedRunner(bundle, engine, cfg.thresholds, cfg.measure)
    warm.complete(warm.run(samples.x[0], keep_outputs=True))
    if run_full is not None:
        run_full(samples.x[0][None])
    with _gc_paused():  # as timeit does: a collection inside a timed window would be charged to that input
        for i in tqdm(range(n), desc="simulate", unit="input", disable=not cfg.progress, file=sys.stderr):
            x = samples.x[i]
            inf = runner.run(x, keep_outputs=True)
            exit_at[i], preds[i], early_ns[i] = inf.exit, inf.prediction, inf.total_ns
            confs[i] = confidence(bundle, inf.exit, inf.logits)
            everything, extra_ns = runner.complete(inf)
            for k, ns in enumerate(inf.stage_ns + extra_ns):
                stage_ns[k].append(ns)
            for k, o in enumerate(everything):
                for key in keys[k]:
                    outs[k][key].append(o[key].reshape(shapes[k][key]))
            if run_full is not None:
                t0 = time.perf_counter_ns()
                base_logits.append(run_full(x[None]).reshape(-1))
                base_ns[i] = time.perf_counter_ns() - t0
            else:
                base_logits.append(everything[-1]["logits"].reshape(-1))
                base_ns[i] = sum(stage_ns[k][-1] for k in range(K))
    stage_outputs = [{key: np.stack(v) for key, v in o.items()} for o in outs]
    source = ("full.tflite (the monolithic int8 model)" if run_full is not None else
              "all stages run to the end (the bundle has no full.tflite)")
    sim = Simulation(bundle, samples, describe_engine(engine), board, cfg.board_kernels, runner.tests, exit_at, preds,
                     confs, stage_outputs, np.stack(base_logits), source, list(runner.invocations), stage_ns,
                     early_ns, base_ns)
    sim.summary = summarize(sim)
    return sim


def energy_summary(bundle: Bundle, board: Board, kernels: str, fractions) -> dict:
    per_stage = [modeled_stage_energy(board, m, kernels) for m in stage_macs(bundle)]
    through = np.cumsum([e.energy_uj for e in per_stage])
    base = modeled_stage_energy(board, full_network_macs(bundle), kernels)
    early = float(np.dot(fractions, through))
    return {"board": board.name, "kernels": kernels if board.power.model == "mcu-cycles" else None, "modeled": True,
            "early_exit_uj": early, "baseline_uj": base.energy_uj,
            "savings": 1.0 - early / base.energy_uj if base.energy_uj else 0.0,
            "baseline_time_ms": base.time_s * 1e3,
            "early_exit_time_ms": float(np.dot(fractions, np.cumsum([e.time_s for e in per_stage]))) * 1e3,
            "per_exit_uj": [float(v) for v in through],
            "per_stage": [dict(e.to_dict(), stage=k) for k, e in enumerate(per_stage)],
            "model": describe_model(board, kernels) + ". Baseline: the network without early-exit heads "
                     "(all backbone segments + the final head); an input leaving at exit k costs stages 0..k "
                     "(their segments and heads)."}


def summarize(sim: Simulation) -> dict:
    b, y = sim.bundle, sim.samples.labels
    K, n = b.num_stages, len(y)
    correct = sim.predictions == y
    base_pred = sim.baseline_logits.argmax(axis=1)
    full_macs = full_network_macs(b)
    through = np.cumsum(stage_macs(b))
    exits = []
    for k in range(K):
        m = sim.exit_at == k
        stage_pred = sim.stage_outputs[k]["logits"].argmax(axis=1)
        exits.append({"stage": k, "count": int(m.sum()), "fraction": float(m.mean()),
                      "accuracy": float(correct[m].mean()) if m.any() else None,
                      "accuracy_if_all_left_here": float((stage_pred == y).mean()),
                      "macs_through_exit": int(through[k]),
                      "measure": sim.tests[k].measure if sim.tests[k] else None,
                      "threshold": sim.tests[k].threshold if sim.tests[k] else None,
                      "threshold_q": sim.tests[k].threshold_q if sim.tests[k] else None})
    fractions = np.array([e["fraction"] for e in exits])
    avg_macs = float(np.dot(fractions, through))
    early_lat, base_lat = _stats_ms(sim.early_ns), _stats_ms(sim.baseline_ns)
    by_exit = [dict(_stats_ms(sim.early_ns[sim.exit_at == k]), exit=k) for k in range(K)]
    expected = sum(e["fraction"] * b_["median_ms"] for e, b_ in zip(exits, by_exit) if e["count"])
    out = {
        "bundle": str(b.path), "model": b.name, "inputs": sim.samples.source, "num_inputs": n,
        "engine": sim.engine,
        "accuracy": float(correct.mean()),
        "baseline_accuracy": float((base_pred == y).mean()),
        "baseline": {"source": sim.baseline_source, "macs": full_macs,
                     "agreement_with_early_exit": float((base_pred == sim.predictions).mean())},
        "exits": exits,
        "stage_invocations": sim.invocations,
        "baseline_invocations": n,
        "macs": {"per_stage": stage_macs(b), "average_early_exit": avg_macs, "baseline": full_macs,
                 "savings": 1.0 - avg_macs / full_macs, "predicted_speedup": full_macs / avg_macs},
        "latency": {"what": "measured on this host (wall clock per call, Python overhead included)",
                    "stages": [dict(_stats_ms(ns), stage=k) for k, ns in enumerate(sim.stage_ns)],
                    "early_exit": early_lat, "baseline": base_lat,
                    "early_exit_by_exit": by_exit,
                    "expected_early_exit_ms": expected,
                    "realized_speedup": base_lat["median_ms"] / expected,
                    "speedup_statistic": "median always-full latency / sum over exits of (fraction x median "
                                         "latency of the inputs leaving there): robust to the scheduler "
                                         "preempting single calls, unlike the mean"},
        "per_input": [{"name": sim.samples.names[i] if sim.samples.names else str(i), "label": int(y[i]),
                       "exit": int(sim.exit_at[i]), "prediction": int(sim.predictions[i]),
                       "confidence": round(float(sim.confidences[i]), 4), "correct": bool(correct[i]),
                       "baseline_prediction": int(base_pred[i])} for i in range(n)],
    }
    if sim.board is not None:
        out["energy"] = energy_summary(b, sim.board, sim.board_kernels, fractions)
        if sim.board.kind == "linux":
            # A Linux board runs this very runner: on the board itself, measured latency x its active power is a
            # better model than MACs / throughput. Only meaningful when this command ran on that board.
            p_mw = sim.board.power.active_power_mw
            early_uj = out["latency"]["expected_early_exit_ms"] * p_mw
            base_uj = out["latency"]["baseline"]["median_ms"] * p_mw
            out["energy"]["from_host_latency"] = {
                "early_exit_uj": early_uj, "baseline_uj": base_uj, "savings": 1.0 - early_uj / base_uj,
                "modeled": True, "valid_only_if": f"this simulation ran on a {sim.board.name}",
                "model": f"latency measured by this run x {p_mw:g} mW ({sim.board.name} active power)"}
    out["sweep"] = threshold_sweep(sim)
    return out


def threshold_sweep(sim: Simulation, points: int = SWEEP_POINTS) -> dict:
    """Accuracy vs savings with one threshold shared by every early exit, from the stored int8 logits
    (nothing is re-run): the same integer test as the runner, on the same outputs."""
    b, y = sim.bundle, sim.samples.labels
    K = b.num_stages
    if K == 1:
        return {"measure": None, "points": []}
    measure = next(t.measure for t in sim.tests if t is not None) if any(sim.tests) else b.exits[0].measure
    logits = [o["logits"] for o in sim.stage_outputs]
    num_classes = logits[0].shape[1]
    through = np.cumsum(stage_macs(b))
    full = full_network_macs(b)
    stage_pred = [lg.argmax(axis=1) for lg in logits]
    rows = []
    for t in np.linspace(0.0, max_uncertainty(measure, num_classes), points):
        tests = [make_int_exit_test(measure, float(t), b.stages[k].logits.scale) for k in range(K - 1)] + [None]
        ex = exits_for(b, tests, logits)
        pred = np.choose(ex, stage_pred)
        fr = np.bincount(ex, minlength=K) / len(y)
        avg = float(np.dot(fr, through))
        row = {"threshold": float(t), "accuracy": float((pred == y).mean()), "exit_fractions": fr.tolist(),
               "mac_savings": 1.0 - avg / full}
        if sim.board is not None:
            row["energy_savings"] = energy_summary(b, sim.board, sim.board_kernels, fr)["savings"]
        rows.append(row)
    return {"measure": measure, "shared_threshold": True, "points": rows}


def write_dump(sim: Simulation, path, force: bool = False) -> Path:
    """Every stage's int8 outputs for every input, for golden comparisons (.npz):
      stage{k}_out0  logits of exit k, (N, num_classes) int8
      stage{k}_out1  features f_k fed to stage k+1, (N, H, W, C) int8 (not for the last stage)
      input          stage 0's int8 inputs (N, H, W, C);  labels (N,);  exit (N,) the exit taken;
      baseline_logits (N, num_classes) int8 from the baseline (see `baseline_source`)."""
    path = check_writable(path, force)
    arrays = {"input": sim.samples.x, "labels": sim.samples.labels, "exit": sim.exit_at,
              "baseline_logits": sim.baseline_logits, "baseline_source": np.array(sim.baseline_source)}
    for k, o in enumerate(sim.stage_outputs):
        arrays[f"stage{k}_out0"] = o["logits"]
        if "features" in o:
            arrays[f"stage{k}_out1"] = o["features"]
        elif k < sim.bundle.num_stages - 1:
            raise ValueError("write_dump needs a simulation run with keep_features=True")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue(), force=True)
