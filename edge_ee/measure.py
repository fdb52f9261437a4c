"""`edge-ee measure`: runs inputs on a device with early exit and again at forced full depth, and reports per
inference the exit, class and per-stage counts; per run accuracy, latency and energy; and the savings.

Flow per input: `db load`/`db` upload (once), `ee-mode early%`, `infer 1 0%`, `ee-mode full%`, `infer 1 0%`;
each reply is read by the resynchronizing telemetry reader (edge_ee.telemetry). Faults are handled, never
hidden: a damaged or missing record, a timeout, a disconnect or a device reset makes the input's step run
again (up to `retries` times; a reset also re-uploads the input and the mode). Records that never arrived are
counted (`lost_records`), damaged ones too (`corrupt_records`), and an inference that got no good record after
its retries is listed in `lost_inferences`, so that every inference is either in the results or counted. More
than `max_resets` resets, or a link that cannot be reopened, stop the run with the reason in the report.

Energy: with a power monitor, measured (samples integrated over each inference's window: the trigger edges
when the monitor records the timestamp GPIO, else the host's send/receive times, which include the UART
traffic). Without one, modeled from the device's own counts through the board's calibration
(edge_ee.energy): retired instructions on QEMU ("systick-icount"), cycles on hardware ("dwt"); labeled
`modeled` wherever it appears. The host-native build counts nanoseconds and has no energy model."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge_ee.device.records import MODE_EARLY, MODE_FULL, Record
from edge_ee.errors import ConfigError, DataError, DeviceError
from edge_ee.telemetry.link import DeviceLink, Reply

SCHEMA = "edge_ee.measure/1"
CHUNK_BYTES = 38  # "db " + 76 hex digits stays within the 80-character command limit
MODES = {MODE_EARLY: "early", MODE_FULL: "full"}


@dataclass(frozen=True)
class DeviceFacts:
    """The firmware's `ee-info` reply."""

    model: str
    stages: int
    classes: int
    input_bytes: int
    counter: str
    clock_hz: int

    @classmethod
    def parse(cls, text: str) -> "DeviceFacts":
        try:
            f = dict(kv.split("=", 1) for kv in text.split(","))
            return cls(f["model"], int(f["stages"]), int(f["classes"]), int(f["input"]), f["counter"],
                       int(f["clock"]))
        except (KeyError, ValueError):
            raise DeviceError(f"malformed ee-info reply: {text!r}", "is this edge_ee firmware? rebuild it") from None


@dataclass
class Result:
    """One inference's outcome on the device."""

    index: int
    mode: int
    record: Record | None
    attempts: int
    window: tuple[float, float] | None = None  # host monotonic send/receive times of the good attempt


class DeviceSession:
    """Runs inputs on one device over a DeviceLink, keeping track of what the device holds (input, mode) and
    redoing work after faults (see the module docstring)."""

    def __init__(self, link: DeviceLink, *, retries: int = 2, max_resets: int = 3):
        self.link = link
        self.retries = retries
        self.max_resets = max_resets
        self.resets = 0
        self.retried = 0
        self.lost_inferences: list[dict] = []
        self._loaded: int | None = None  # index of the input the device holds
        self._mode: int | None = None
        self.facts: DeviceFacts | None = None

    # ------------------------------------------------------------------ device state

    def _note(self, reply: Reply) -> Reply:
        if reply.reset:
            self.resets += 1
            self._loaded, self._mode = None, None
            if self.resets > self.max_resets:
                raise DeviceError(f"the device reset {self.resets} times during the run (more than {self.max_resets})",
                                  "check its power supply and the firmware's log; a device that keeps resetting "
                                  "cannot be measured")
        if reply.disconnected or reply.timed_out:
            # The device may have acted on part of the command: its buffer and mode are unknown.
            self._loaded, self._mode = None, None
        return reply

    def identify(self, attempts: int = 6) -> DeviceFacts:
        """The device's model facts. The info line has no checksum, so two answers in a row must agree."""
        last = None
        for _ in range(attempts):
            reply = self._note(self.link.command("ee-info"))
            text = reply.field("m-ee-info-[")
            if not (reply.ok and text is not None):
                continue
            try:
                facts = DeviceFacts.parse(text)
            except DeviceError:  # damaged on the way: ask again
                continue
            if facts == last:
                self.facts = facts
                return facts
            last = facts
        raise DeviceError(f"no valid answer to ee-info from {self.link.transport.url}",
                          "check that the device runs edge_ee firmware and that the port and baud rate are right")

    def _set_mode(self, mode: int) -> bool:
        want = MODES[mode]
        reply = self._note(self.link.command(f"ee-mode {want}"))
        if reply.ok and reply.field("m-ee-mode-[") == want:
            self._mode = mode
            return True
        return False

    def _load(self, index: int, data: bytes) -> bool:
        self._loaded = None
        reply = self._note(self.link.command(f"db load {len(data)}"))
        if not reply.ok:
            if reply.errors and not (reply.reset or reply.timed_out):
                raise DeviceError(f"the device refused the input: {reply.errors[0]}",
                                  "the firmware was built for another model; rebuild it from this bundle")
            return False
        for i in range(0, len(data), CHUNK_BYTES):
            reply = self._note(self.link.command("db " + data[i:i + CHUNK_BYTES].hex()))
            if not reply.ok:
                return False
        if not reply.has("m-load-done"):
            return False
        self._loaded = index
        return True

    # ------------------------------------------------------------------ inference

    def run(self, index: int, data: bytes, mode: int) -> Result:
        """Runs input `index` once in `mode`; retries after faults. A Result with record None is a lost inference."""
        for attempt in range(1, self.retries + 2):
            if attempt > 1:
                self.retried += 1
            if self._loaded != index and not self._load(index, data):
                continue
            if self._mode != mode and not self._set_mode(mode):
                continue
            seq = self.link.reader.next_seq
            t0 = time.monotonic()
            reply = self._note(self.link.command("infer 1 0", timeout=self.link.infer_timeout))
            t1 = time.monotonic()
            if reply.reset:
                continue
            if reply.errors and not reply.timed_out:
                if any("no complete input" in e for e in reply.errors):
                    self._loaded = None  # the device lost its input (a reset whose boot line we missed)
                    continue
                raise DeviceError(f"the device failed input {index}: {reply.errors[0]}", "see the firmware's log")
            if reply.has("m-infer-done"):
                self.link.reader.expect(seq + 1)  # the record was sent: if it did not arrive, it is lost
            # A record of this command (its seq is new) is the result, even when the rest of the reply was lost.
            good = [r for r in reply.records if r.mode == mode and r.seq >= seq]
            if len(good) == 1 and not reply.reset:
                return Result(index, mode, good[0], attempt, (t0, t1))
        self.lost_inferences.append({"index": index, "mode": MODES[mode], "attempts": self.retries + 1})
        return Result(index, mode, None, self.retries + 1)


# ---------------------------------------------------------------------- energy and statistics


def mean_ci(values) -> dict:
    """Mean and a 95 % interval of the mean (normal approximation)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return {"mean": None, "ci95": None, "n": 0}
    half = 1.96 * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
    return {"mean": float(v.mean()), "ci95": [float(v.mean() - half), float(v.mean() + half)], "n": int(len(v))}


def savings_ci(early, full, seed: int = 0, resamples: int = 2000) -> list[float] | None:
    """95 % bootstrap interval of 1 - mean(early)/mean(full) over paired inputs."""
    e, f = np.asarray(early, dtype=np.float64), np.asarray(full, dtype=np.float64)
    if len(e) < 2:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(e), size=(resamples, len(e)))
    s = 1.0 - e[idx].mean(axis=1) / f[idx].mean(axis=1)
    return [float(np.quantile(s, 0.025)), float(np.quantile(s, 0.975))]


@dataclass(frozen=True)
class Cost:
    latency_ms: float
    energy_uj: float | None


def cost_model(board, counter: str):
    """counts -> Cost, and a description of where the numbers come from; for the device's counter kind."""
    from edge_ee.energy import energy_from_instructions

    if counter == "systick-icount":
        def cost(total: int) -> Cost:
            m = energy_from_instructions(board, total)
            return Cost(m.time_s * 1e3, m.energy_uj)
        p = board.power
        what = (f"modeled: retired instructions (QEMU icount) x {p.cycles_per_instruction:g} cycles/instruction at "
                f"{(p.clock_hz or board.core.clock_hz) / 1e6:g} MHz x {p.active_power_mw:g} mW"
                + (f" ({p.represents})" if p.represents else "") + f". Source: {p.source}")
        return cost, what, True
    if counter in ("dwt", "systick"):
        clock = board.core.clock_hz
        p = board.power

        def cost(total: int) -> Cost:
            t = total / clock
            return Cost(t * 1e3, t * p.active_power_mw * 1e3 if p.model == "mcu-cycles" else None)
        return cost, (f"latency measured (core cycles at {clock / 1e6:g} MHz); energy modeled: time x "
                      f"{p.active_power_mw:g} mW active power. Source: {p.source}"), True
    if counter == "host-ns":
        return (lambda total: Cost(total * 1e-6, None)), "latency measured (host nanoseconds); no energy model", False
    raise ConfigError(f"unknown counter kind {counter!r} reported by the device", "rebuild the firmware")


# ---------------------------------------------------------------------- the run


@dataclass
class Inputs:
    x: np.ndarray          # (N, ...) int8
    labels: np.ndarray     # (N,)
    names: list[str]
    source: str


@dataclass
class MeasureRun:
    """Everything one measurement produced; `report()` gives the JSON object."""

    board: str
    bundle: str
    inputs: Inputs
    facts: DeviceFacts
    early: list[Result]
    full: list[Result]
    stats: dict
    resets: int
    disconnects: int
    retried: int
    lost_inferences: list[dict]
    cost_what: str
    modeled: bool
    cost: object
    measured_uj: dict[tuple[int, int], float] = field(default_factory=dict)  # (mode, index) -> uJ (power monitor)
    windows_s: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)  # their windows
    power_source: str | None = None
    stopped: str | None = None
    trace: object = None

    def _row(self, r: Result) -> dict:
        rec = r.record
        c = self.cost(rec.total)
        uj = self.measured_uj.get((r.mode, r.index), c.energy_uj if self.power_source is None else None)
        row = {"index": r.index, "name": self.inputs.names[r.index], "label": int(self.inputs.labels[r.index]),
               "mode": MODES[r.mode], "seq": rec.seq, "exit": rec.exit, "pred": rec.pred,
               "stage_counts": list(rec.counts), "attempts": r.attempts, "latency_ms": c.latency_ms,
               "energy_uj": uj}
        if (r.mode, r.index) in self.windows_s:
            a, b = self.windows_s[(r.mode, r.index)]
            row["window_s"] = [a, b]  # on the power monitor's clock
        return row

    def report(self) -> dict:
        rows = [self._row(r) for r in self.early + self.full if r.record is not None]
        early = {r["index"]: r for r in rows if r["mode"] == "early"}
        full = {r["index"]: r for r in rows if r["mode"] == "full"}
        paired = sorted(set(early) & set(full))

        def acc(d):
            return float(np.mean([d[i]["pred"] == d[i]["label"] for i in d])) if d else None

        k = self.facts.stages
        exits = [early[i]["exit"] for i in early]
        e_uj = [early[i]["energy_uj"] for i in paired]
        f_uj = [full[i]["energy_uj"] for i in paired]
        have_energy = bool(paired) and all(v is not None for v in e_uj + f_uj)
        e_ms = [early[i]["latency_ms"] for i in paired]
        f_ms = [full[i]["latency_ms"] for i in paired]
        by_exit = {}
        for s in range(k):
            vals = [early[i]["energy_uj"] for i in paired if early[i]["exit"] == s]
            by_exit[str(s)] = mean_ci(vals) if have_energy else {"n": len(vals)}
        energy = {
            "early_exit_uj": float(np.mean(e_uj)) if have_energy else None,
            "baseline_uj": float(np.mean(f_uj)) if have_energy else None,
            "savings": float(1 - np.mean(e_uj) / np.mean(f_uj)) if have_energy else None,
            "modeled": self.modeled if self.power_source is None else False,
            "early_exit": mean_ci(e_uj) if have_energy else None,
            "baseline": mean_ci(f_uj) if have_energy else None,
            "savings_ci95": savings_ci(e_uj, f_uj) if have_energy else None,
            "by_exit_uj": by_exit,
            "source": self.power_source or self.cost_what,
        }
        counts_early = [sum(early[i]["stage_counts"]) for i in paired]
        counts_full = [sum(full[i]["stage_counts"]) for i in paired]
        return {
            "schema": SCHEMA, "board": self.board, "bundle": self.bundle, "inputs": self.inputs.source,
            "num_inputs": len(self.inputs.labels), "device": self.facts.__dict__,
            "counter_unit": {"systick-icount": "instructions", "dwt": "cycles", "systick": "cycles",
                             "host-ns": "ns"}.get(self.facts.counter, "counts"),
            "records": rows,
            "lost_records": self.stats["lost"], "corrupt_records": self.stats["corrupt"],
            "dropped_records": self.stats["dropped"], "garbage_bytes": self.stats["garbage_bytes"],
            "lost_inferences": self.lost_inferences, "resets": self.resets, "disconnects": self.disconnects,
            "retried": self.retried, "stopped": self.stopped,
            "accuracy": acc(early), "baseline_accuracy": acc(full),
            "exit_fractions": [exits.count(s) / len(exits) if exits else 0.0 for s in range(k)],
            "counts": {"early_exit": mean_ci(counts_early), "baseline": mean_ci(counts_full),
                       "savings": float(1 - np.mean(counts_early) / np.mean(counts_full)) if paired else None},
            "latency_ms": {"early_exit": mean_ci(e_ms), "baseline": mean_ci(f_ms),
                           "modeled": self.facts.counter == "systick-icount"},
            "energy": energy,
        }


def run_inputs(session: DeviceSession, inputs: Inputs, early: list, full: list, *, progress: bool = False) -> None:
    """Both modes for every input (early, then full, per input, so that each input is uploaded once); results
    are appended to `early` and `full` as they come, so that a run that stops keeps them."""
    from tqdm import tqdm

    bar = tqdm(total=len(inputs.labels), desc="measure", unit="input", disable=not progress, leave=False)
    try:
        for i, x in enumerate(inputs.x):
            data = np.ascontiguousarray(x).astype(np.int8).tobytes()
            early.append(session.run(i, data, MODE_EARLY))
            full.append(session.run(i, data, MODE_FULL))
            bar.update(1)
            lost = len(session.lost_inferences)
            bar.set_postfix(lost=lost, corrupt=session.link.stats.corrupt, resets=session.resets, refresh=False)
    finally:
        bar.close()


def measured_energies(trace, early: list[Result], full: list[Result]) -> tuple[dict, dict, str]:
    """Per-inference energy from power samples: trigger windows matched in run order, else host windows."""
    from edge_ee.power.trace import host_windows, trigger_windows, window_energies_uj

    order = [r for pair in zip(early, full) for r in pair if r.record is not None]
    how = "host-time windows: send to reply, so they include the UART traffic"
    wins = None
    if trace.trigger is not None:
        wins = trigger_windows(trace)
        if len(wins) == len(order):
            how = "trigger windows"
        else:  # retried steps or a firmware without the timestamp pin: edges do not pair with inferences
            wins = None
    if wins is None:
        wins = host_windows(trace, [r.window for r in order])
    uj = window_energies_uj(trace, wins)
    keys = [(r.mode, r.index) for r in order]
    return dict(zip(keys, map(float, uj))), dict(zip(keys, wins)), f"measured ({trace.source}, {how})"


def measure(link: DeviceLink, board, bundle, inputs: Inputs, *, retries: int = 2, max_resets: int = 3,
            monitor=None, progress: bool = False) -> MeasureRun:
    """Measures `inputs` on the device behind `link` (see the module docstring)."""
    session = DeviceSession(link, retries=retries, max_resets=max_resets)
    link.listen(0.05)  # a boot line sent on connect
    facts = session.identify()
    if facts.stages != bundle.num_stages or facts.input_bytes != bundle.input.size:
        raise DeviceError(f"the device runs a model with {facts.stages} stages and {facts.input_bytes} input bytes; "
                          f"the bundle {bundle.name!r} has {bundle.num_stages} and {bundle.input.size}",
                          "flash the firmware built from this bundle (edge-ee build, edge-ee flash)")
    link.reader.num_stages = facts.stages
    cost, what, modeled = cost_model(board, facts.counter)
    stopped = None
    early: list[Result] = []
    full: list[Result] = []
    if monitor is not None:
        monitor.start()
    try:
        run_inputs(session, inputs, early, full, progress=progress)
    except DeviceError as e:
        stopped = e.problem
    finally:
        trace = monitor.stop() if monitor is not None else None
    if stopped is not None:  # what did not run is lost, and said so
        done = {(r.mode, r.index) for r in early + full}
        for i in range(len(inputs.labels)):
            for mode in (MODE_EARLY, MODE_FULL):
                if (mode, i) not in done:
                    session.lost_inferences.append({"index": i, "mode": MODES[mode], "attempts": 0})
    run = MeasureRun(board.name, bundle.name, inputs, facts, early, full, link.stats.to_dict(), session.resets,
                     link.disconnects, session.retried, session.lost_inferences, what, modeled, cost,
                     stopped=stopped, trace=trace)
    if trace is not None:
        try:
            run.measured_uj, run.windows_s, run.power_source = measured_energies(trace, early, full)
        except DataError as e:  # keep the run's results; say why there is no measured energy
            run.power_source = f"not measured: {e.problem} ({e.fix})"
    return run


# ---------------------------------------------------------------------- reports


def format_report(rep: dict) -> str:
    """Markdown."""
    e = rep["energy"]
    unit = rep["counter_unit"]
    label = "modeled" if e["modeled"] else "measured"
    lines = [f"# edge_ee measure: {rep['bundle']} on {rep['board']}", "",
             f"Inputs: {rep['num_inputs']} ({rep['inputs']}); device: {rep['device']['model']}, "
             f"{rep['device']['stages']} stages, counter {rep['device']['counter']} ({unit}).", ""]
    if rep["stopped"]:
        lines += [f"**The run stopped early: {rep['stopped']}**", ""]
    lines += ["| | early exit | always full |", "|---|---|---|",
              f"| accuracy | {_pct(rep['accuracy'])} | {_pct(rep['baseline_accuracy'])} |",
              f"| {unit} / inference | {_num(rep['counts']['early_exit']['mean'])} | "
              f"{_num(rep['counts']['baseline']['mean'])} |",
              f"| latency ms ({'modeled' if rep['latency_ms']['modeled'] else 'measured'}) | "
              f"{_num(rep['latency_ms']['early_exit']['mean'])} | {_num(rep['latency_ms']['baseline']['mean'])} |"]
    if e["early_exit_uj"] is not None:
        lines.append(f"| energy uJ ({label}) | {_num(e['early_exit_uj'])} {_ci(e['early_exit'])} | "
                     f"{_num(e['baseline_uj'])} {_ci(e['baseline'])} |")
    lines += ["", "Always full: the same firmware forced to full depth (`ee-mode full`: every stage and head runs, "
              "no exit test), on the same inputs.",
              "Exits taken: " + ", ".join(f"exit {k}: {_pct(f)}" for k, f in enumerate(rep["exit_fractions"])),
              f"Savings from the device's own counts: {_pct(rep['counts']['savings'])}."]
    if e["savings"] is not None:
        ci = e["savings_ci95"]
        lines.append(f"Energy savings ({label}): {_pct(e['savings'])}"
                     + (f" (95 % interval {_pct(ci[0])} .. {_pct(ci[1])})" if ci else "") + ".")
    lines += [f"Energy source: {e['source']}", "",
              f"Link: {rep['corrupt_records']} corrupt records, {rep['lost_records']} lost records, "
              f"{len(rep['lost_inferences'])} lost inferences, {rep['resets']} resets, {rep['disconnects']} "
              f"disconnects, {rep['retried']} retried steps, {rep['garbage_bytes']} garbage bytes.", ""]
    return "\n".join(lines)


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


def _num(v) -> str:
    return "n/a" if v is None else f"{v:,.4g}"


def _ci(d) -> str:
    return "" if not d or not d.get("ci95") else f"[{d['ci95'][0]:,.4g} .. {d['ci95'][1]:,.4g}]"


def write_plots(run: MeasureRun, rep: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    e = rep["energy"]
    if e["early_exit_uj"] is not None:
        by = e["by_exit_uj"]
        ks = [k for k in by if by[k].get("mean") is not None]
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.bar([f"exit {k}" for k in ks], [by[k]["mean"] for k in ks], color="tab:blue", label="early exit")
        ax.axhline(e["baseline_uj"], color="tab:red", ls="--", label="always full (mean)")
        ax.set_ylabel(f"energy per inference (uJ, {'modeled' if e['modeled'] else 'measured'})")
        ax.set_title(f"{rep['bundle']} on {rep['board']}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "energy_by_exit.png", dpi=120)
        plt.close(fig)
        files.append("energy_by_exit.png")
    if run.trace is not None and len(run.trace) and run.windows_s:
        tr = run.trace
        lo = min(a for a, _ in run.windows_s.values())
        hi = max(b for _, b in run.windows_s.values())
        pad = 0.02 * (hi - lo)
        keep = (tr.t >= lo - pad) & (tr.t <= hi + pad)  # the run, not the whole recording
        fig, ax = plt.subplots(figsize=(9, 3.2))
        ax.step(tr.t[keep], tr.power[keep] * 1e3, where="post", lw=0.6, color="0.3")
        ax.set_xlim(lo - pad, hi + pad)
        for r in run.early + run.full:
            if r.record is None or (r.mode, r.index) not in run.windows_s:
                continue
            a, b = run.windows_s[(r.mode, r.index)]
            color = "tab:green" if r.mode == MODE_EARLY else "tab:red"
            ax.axvspan(a, b, color=color, alpha=0.12, lw=0)
            # stage boundaries inside the window, placed by the device's per-stage counts
            cum = np.cumsum(r.record.counts[:r.record.exit + 1])
            for c in cum[:-1]:
                ax.axvline(a + (b - a) * c / cum[-1], color=color, lw=0.6, ls=":")
            ax.text(a, 1.0, str(r.record.exit), transform=ax.get_xaxis_transform(), fontsize=6, va="top")
        ax.set_xlabel(f"time (s) on the monitor's clock ({tr.source})")
        ax.set_ylabel("power (mW)")
        ax.set_title("inference windows (green: early exit, red: always full; number: exit taken; "
                     "dotted: stage boundaries)", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "power_timeline.png", dpi=120)
        plt.close(fig)
        files.append("power_timeline.png")
    return files


def write_reports(run: MeasureRun, out, force: bool = False) -> Path:
    """measure.json, measure.md and PNG plots in `out` (written atomically)."""
    from edge_ee.io import atomic_dir

    rep = run.report()
    with atomic_dir(Path(out), force) as tmp:
        rep["plots"] = write_plots(run, rep, tmp)
        (tmp / "measure.json").write_text(json.dumps(rep, indent=2) + "\n")
        (tmp / "measure.md").write_text(format_report(rep))
    return Path(out)


# ---------------------------------------------------------------------- the command's library entry


@dataclass
class MeasureConfig:
    board: str
    build: Path | None = None        # a firmware build folder (edge-ee build)
    bundle: Path | None = None       # a bundle: built into a temporary folder for emulated boards
    port: str | None = None          # attach to a running device instead of starting the emulator
    flash: bool = False              # real boards: flash `build` before attaching to `port`
    samples: Path | None = None
    dataset: str | None = None
    data_dir: Path | None = None
    limit: int | None = None
    power: str | None = None         # MONITOR:URL
    power_voltage: float | None = None
    power_rate: float | None = None
    retries: int = 2
    max_resets: int = 3
    line_timeout: float = 5.0
    infer_timeout: float = 30.0
    progress: bool = False


def _inputs(cfg: MeasureConfig, bundle) -> Inputs:
    from edge_ee.runtime.inputs import dataset_samples, read_samples_dir

    if (cfg.samples is None) == (cfg.dataset is None):
        raise ConfigError("give exactly one of --samples DIR and --dataset NAME", "e.g. --dataset digits")
    s = (read_samples_dir(bundle, cfg.samples, limit=cfg.limit) if cfg.samples is not None
         else dataset_samples(bundle, cfg.dataset, cfg.data_dir, cfg.limit))
    return Inputs(s.x, s.labels, list(s.names), s.source)


def run_measure(cfg: MeasureConfig) -> MeasureRun:
    """Resolves the firmware and the bundle, starts (flashes) or attaches to the device, opens the power
    monitor, measures, and stops what it started."""
    import contextlib
    import tempfile

    from edge_ee.boards import load_board
    from edge_ee.bundle import Bundle
    from edge_ee.device.build import FirmwareBuild, build_firmware
    from edge_ee.power import open_monitor
    from edge_ee.telemetry import open_transport

    board = load_board(cfg.board)
    with contextlib.ExitStack() as stack:
        build = None
        if cfg.build is not None:
            build = FirmwareBuild.load(cfg.build)
            if build.board != board.name:
                raise ConfigError(f"{cfg.build} was built for {build.board}, not {board.name}",
                                  f"pass --board {build.board}, or build for {board.name}")
            bundle_path = cfg.bundle or Path(json.loads((Path(cfg.build) / "build.json").read_text())["bundle"]["path"])
        elif cfg.bundle is not None:
            bundle_path = cfg.bundle
        else:
            raise ConfigError("measure needs the firmware build (--build DIR) or the bundle", "e.g. --build out/fw")
        bundle = Bundle.load(bundle_path)
        inputs = _inputs(cfg, bundle)
        from edge_ee.device.flash import flash

        url = cfg.port
        if not board.is_qemu:
            if url is None:
                raise ConfigError(f"{board.name} is a real board: its serial port is needed",
                                  "pass --port /dev/ttyACM0 (and --flash to flash --build first)")
            if cfg.flash:
                if build is None:
                    raise ConfigError("--flash needs the firmware build", "pass --build DIR (from edge-ee build)")
                flash(build.path, board)
        elif url is None:
            if build is None:
                tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="edge_ee-measure-"))
                build = build_firmware(bundle, board, Path(tmp) / "fw")
            url = stack.enter_context(flash(build.path, board)).url  # QEMU, stopped when the run ends
        baud = board.serial.baud if board.serial else 115200
        if build is not None and build.energy_mode and board.serial:
            baud = board.serial.energy_baud  # energy-mode firmware slows its UART (EEMBC EnergyRunner convention)
        link = DeviceLink(open_transport(url, baudrate=baud), num_stages=bundle.num_stages,
                          line_timeout=cfg.line_timeout, infer_timeout=cfg.infer_timeout)
        stack.callback(link.close)
        monitor = None
        if cfg.power:
            monitor = stack.enter_context(open_monitor(cfg.power))
            monitor.configure(voltage_v=cfg.power_voltage, rate_hz=cfg.power_rate)
        return measure(link, board, bundle, inputs, retries=cfg.retries, max_resets=cfg.max_resets,
                       monitor=monitor, progress=cfg.progress)
