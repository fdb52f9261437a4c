"""Power samples and their integration over inference windows.

A PowerTrace holds samples of one supply rail: times `t` (seconds on the monitor's clock, increasing), voltage
`v` (V) and current `i` (A), plus optionally one digital channel `trigger` (the device's timestamp GPIO, as a
PPK2 logic input or a Joulescope GPI records it). Each sample holds until the next one (zero-order hold: what a
monitor that averages over its sample period reports), so the energy of a window [t0, t1] is exactly

    E = sum_k V_k * I_k * overlap([t_k, t_{k+1}), [t0, t1])

which for windows that span whole sample periods is the usual sum of V*I*dt. The last sample lasts one median
sample period. Windows come from the trigger channel (`trigger_windows`: the falling edges the EnergyRunner
firmware makes around the timed inferences) or from host timestamps mapped onto the monitor's clock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_ee.errors import DataError


@dataclass
class PowerTrace:
    t: np.ndarray
    v: np.ndarray
    i: np.ndarray
    trigger: np.ndarray | None = None
    source: str = ""
    host_t0: float | None = None  # host monotonic time (s) of t == 0, when the monitor was started by the host

    def __post_init__(self):
        self.t = np.asarray(self.t, dtype=np.float64)
        self.v = np.broadcast_to(np.asarray(self.v, dtype=np.float64), self.t.shape).copy()
        self.i = np.asarray(self.i, dtype=np.float64)
        if self.trigger is not None:
            self.trigger = np.asarray(self.trigger, dtype=bool)
        n = len(self.t)
        if self.i.shape != (n,) or (self.trigger is not None and self.trigger.shape != (n,)):
            raise DataError(f"power trace {self.source!r}: {n} times but {self.i.shape} currents",
                            "every sample needs a time, a voltage and a current")
        if n and np.any(np.diff(self.t) <= 0):
            raise DataError(f"power trace {self.source!r}: sample times are not increasing",
                            "sort the samples by time and drop duplicates")

    def __len__(self) -> int:
        return len(self.t)

    @property
    def power(self) -> np.ndarray:
        return self.v * self.i

    def durations(self) -> np.ndarray:
        """How long each sample holds (s)."""
        if len(self.t) == 0:
            return np.zeros(0)
        if len(self.t) == 1:
            return np.zeros(1)
        d = np.diff(self.t)
        return np.append(d, np.median(d))

    @property
    def end(self) -> float:
        return float(self.t[-1] + self.durations()[-1]) if len(self.t) else 0.0

    def energy_j(self, t0: float, t1: float) -> float:
        """Energy (J) between t0 and t1 on the trace's clock."""
        if t1 < t0:
            raise ValueError(f"window ends before it starts ({t0} > {t1})")
        if len(self.t) == 0 or t0 < self.t[0] - 1e-12 or t1 > self.end + 1e-12:
            raise DataError(f"window [{t0:.6f}, {t1:.6f}] s lies outside the power samples "
                            f"[{self.t[0] if len(self.t) else 0:.6f}, {self.end:.6f}] s of {self.source!r}",
                            "start the monitor before the run and stop it after (or record a longer CSV)")
        start = self.t
        stop = self.t + self.durations()
        overlap = np.clip(np.minimum(stop, t1) - np.maximum(start, t0), 0.0, None)
        return float(np.sum(self.power * overlap))

    def mean_power_w(self, t0: float, t1: float) -> float:
        return self.energy_j(t0, t1) / (t1 - t0) if t1 > t0 else float("nan")


def falling_edges(trace: PowerTrace) -> np.ndarray:
    """Times of the trigger channel's high -> low transitions (the time of the first low sample)."""
    if trace.trigger is None:
        raise DataError(f"power trace {trace.source!r} has no trigger channel",
                        "wire the device's timestamp GPIO to the monitor's logic input, or align by host time")
    trig = trace.trigger
    idx = np.nonzero(trig[:-1] & ~trig[1:])[0] + 1
    return trace.t[idx]


def trigger_windows(trace: PowerTrace) -> list[tuple[float, float]]:
    """Inference windows from the trigger: consecutive falling edges pair up (start, end), as the EnergyRunner
    firmware signals the start and the end of its timed inferences."""
    edges = falling_edges(trace)
    if len(edges) % 2:
        raise DataError(f"power trace {trace.source!r} has {len(edges)} trigger edges, an odd number",
                        "each inference window needs a start and an end edge; check the trigger wiring")
    return [(float(a), float(b)) for a, b in zip(edges[0::2], edges[1::2])]


def host_windows(trace: PowerTrace, windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Host monotonic windows -> the trace's clock (the monitor started at host time trace.host_t0)."""
    if trace.host_t0 is None:
        raise DataError(f"power trace {trace.source!r} was not started by this host",
                        "align with the trigger channel instead")
    return [(a - trace.host_t0, b - trace.host_t0) for a, b in windows]


def window_energies_uj(trace: PowerTrace, windows: list[tuple[float, float]]) -> np.ndarray:
    return np.array([trace.energy_j(a, b) * 1e6 for a, b in windows])
