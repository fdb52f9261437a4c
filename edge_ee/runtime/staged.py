"""The staged runner: stage 0, the exit test on its int8 logits, stage 1 only if the input did not leave, ...
Later stages are not run at all. The exit decision is `edge_ee.exits.int_should_exit`, the integer test the
generated C runs, with the thresholds of the manifest or given ones.

`run` takes one input (latency: what a camera loop does). `run_batch` takes N: stage k runs once on the
inputs still in, which leaves the Python and interpreter cost per call to be shared (throughput); every input
takes the same exit as through `run`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from edge_ee.bundle import Bundle, Tensor
from edge_ee.errors import BundleError, ConfigError
from edge_ee.exits import int_should_exit, int_should_exit_batch
from edge_ee.runtime.engines import Engine, run_stage_batch


def dequantize(q: np.ndarray, t: Tensor) -> np.ndarray:
    return (q.astype(np.float64) - t.zero_point) * t.scale


def outputs_are_probabilities(bundle: Bundle, k: int) -> bool:
    """An imported model may end in SOFTMAX: its 'logits' are then probabilities (scale 1/256, zero point -128)."""
    s = bundle.stages[k]
    return "SOFTMAX" in s.ops and s.logits.zero_point == -128 and math.isclose(s.logits.scale, 1 / 256)


def confidence(bundle: Bundle, k: int, q_logits: np.ndarray) -> float:
    """Softmax probability of the predicted class (for display; the exit decision never uses it)."""
    z = dequantize(q_logits.ravel(), bundle.stages[k].logits)
    if outputs_are_probabilities(bundle, k):
        return float(z.max())
    e = np.exp(z - z.max())
    return float(1.0 / e.sum())


@dataclass
class Inference:
    """One input through the staged runner."""

    exit: int  # stage whose exit took the input
    logits: np.ndarray  # int8 logits of that exit
    stage_ns: list[int]  # wall time of each stage run for this input (host, ns)
    total_ns: int  # the whole staged inference, exit tests included
    outputs: list[dict[str, np.ndarray]] = field(default_factory=list)  # per stage run (when kept)

    @property
    def prediction(self) -> int:
        return int(np.argmax(self.logits))


@dataclass
class BatchInference:
    """N inputs through the staged runner at once."""

    exits: np.ndarray  # (N,) stage whose exit took each input
    logits: np.ndarray  # (N, classes) int8 logits of that exit
    stage_rows: list[int]  # inputs each stage was run on
    stage_ns: list[int]  # wall time of each stage's call(s) over the batch (host, ns)
    total_ns: int

    @property
    def predictions(self) -> np.ndarray:
        return self.logits.argmax(axis=1)


class StagedRunner:
    """Runs a bundle stage by stage on an engine and stops at the first exit whose integer test passes.
    `invocations[k]` counts the inputs stage k was run on by `run` and `run_batch` (never by `complete`)."""

    def __init__(self, bundle: Bundle, engine: Engine, thresholds=None, measure: str | None = None):
        self.bundle, self.engine = bundle, engine
        if measure is not None and thresholds is None and any(
                e.threshold is not None and e.measure != measure for e in bundle.exits):
            raise ConfigError(f"the manifest's thresholds are for {bundle.exits[0].measure!r}, not {measure!r}",
                              f"give thresholds for {measure} too (--thresholds, one per early exit)")
        self.tests = bundle.exit_tests(thresholds, measure)
        self._in_shapes = [st.input.shape for st in bundle.stages]
        self.invocations = [0] * bundle.num_stages
        self.completions = [0] * bundle.num_stages

    def _check(self, x: np.ndarray) -> np.ndarray:
        t = self.bundle.input
        if x.dtype != np.int8 or x.shape not in (t.shape, t.shape[1:]):
            raise BundleError(f"stage 0 takes int8 {t.shape}, got {x.dtype} {x.shape}",
                              "convert inputs with edge_ee.runtime.inputs.to_int8")
        return x.reshape(t.shape)

    def run_batch(self, x: np.ndarray, force_full: bool = False) -> BatchInference:
        """N inputs (int8, (N, *stage 0's shape without its batch dimension)). Stage k runs only on the inputs
        no earlier exit took; `invocations[k]` counts them."""
        t = self.bundle.input
        if x.dtype != np.int8 or x.ndim != len(t.shape) or x.shape[1:] != t.shape[1:] or len(x) == 0:
            raise BundleError(f"a batch for stage 0 is int8 (N, {', '.join(map(str, t.shape[1:]))}), got {x.dtype} "
                              f"{x.shape}", "stack inputs converted with edge_ee.runtime.inputs.to_int8")
        clock, last = time.perf_counter_ns, self.bundle.num_stages - 1
        n = len(x)
        exits = np.full(n, last, dtype=np.int64)
        logits = np.empty((n, int(np.prod(self.bundle.stages[-1].logits.shape[1:]))), dtype=np.int8)
        rows, h = np.arange(n), x
        stage_rows, stage_ns = [], []
        start = clock()
        for k in range(last + 1):
            t0 = clock()
            out = run_stage_batch(self.engine, k, h)
            stage_ns.append(clock() - t0)
            stage_rows.append(len(rows))
            self.invocations[k] += len(rows)
            q = out["logits"].reshape(len(rows), -1)
            test = self.tests[k]
            if k == last or force_full or test is None:
                leave = np.full(len(rows), k == last)
            else:
                leave = int_should_exit_batch(test, q)
            exits[rows[leave]] = k
            logits[rows[leave]] = q[leave]
            if k == last or leave.all():
                break
            h = out["features"].reshape(-1, *self._in_shapes[k + 1][1:])
            if leave.any():
                stay = ~leave
                rows, h = rows[stay], h[stay]
        return BatchInference(exits, logits, stage_rows, stage_ns, clock() - start)

    def run(self, x: np.ndarray, force_full: bool = False, keep_outputs: bool = False) -> Inference:
        """One input (int8, stage 0's shape with or without the batch dimension)."""
        h = self._check(x)
        run_stage, tests, clock = self.engine.run_stage, self.tests, time.perf_counter_ns
        stage_ns, outputs = [], []
        last = self.bundle.num_stages - 1
        start = clock()
        for k in range(last + 1):
            t0 = clock()
            out = run_stage(k, h)
            stage_ns.append(clock() - t0)
            self.invocations[k] += 1
            if keep_outputs:
                outputs.append(out)
            test = tests[k]
            if k == last or (not force_full and test is not None and int_should_exit(test, out["logits"])):
                return Inference(k, out["logits"].reshape(-1), stage_ns, clock() - start, outputs)
            h = out["features"].reshape(self._in_shapes[k + 1])  # (1, H, W, C), whatever the engine returned
        raise AssertionError("unreachable: the last stage always exits")

    def complete(self, inf: Inference) -> tuple[list[dict[str, np.ndarray]], list[int]]:
        """Runs the stages after `inf`'s exit (for dumps, baselines and threshold sweeps): every stage's outputs
        and the times of the stages run here. `inf` must come from run(..., keep_outputs=True). Counted in
        `completions`, never in `invocations`."""
        outputs = list(inf.outputs)
        if len(outputs) != inf.exit + 1:
            raise ValueError("complete() needs an Inference run with keep_outputs=True")
        ns = []
        for k in range(inf.exit + 1, self.bundle.num_stages):
            t0 = time.perf_counter_ns()
            outputs.append(self.engine.run_stage(k, outputs[-1]["features"].reshape(self._in_shapes[k])))
            ns.append(time.perf_counter_ns() - t0)
            self.completions[k] += 1
        return outputs, ns
