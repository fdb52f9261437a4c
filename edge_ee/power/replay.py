"""Replay of a recorded power trace from CSV: for measurements made with another tool (nRF Connect's Power
Profiler export, Joulescope UI export, a scope) and for testing the alignment and integration.

The CSV has a header row naming its columns; units are part of the names:
    time:     time_s | time_ms | time_us
    current:  current_a | current_ma | current_ua       (with voltage_v, or a constant voltage given to
    voltage:  voltage_v                                  configure(voltage_v=...) / --power-voltage)
    or power: power_w | power_mw
    trigger:  trigger (optional; 0/1, the device's timestamp GPIO)
nRF Connect Power Profiler's export is read as is: `Timestamp(ms),Current(uA)` and optionally the logic inputs
as an 8-digit binary string (`Bits` or `D0-D7`, written as the byte in binary, D7 first), of which D0 is taken
as the trigger; give the supply voltage, which that export does not record.
`start()` treats the recording as if it began at that moment (host time), `stop()` returns it whole."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from edge_ee.errors import ConfigError, DataError
from edge_ee.power.base import PowerMonitor
from edge_ee.power.trace import PowerTrace

_TIME = {"time_s": 1.0, "time_ms": 1e-3, "time_us": 1e-6, "timestamp(ms)": 1e-3}
_CURRENT = {"current_a": 1.0, "current_ma": 1e-3, "current_ua": 1e-6, "current(ua)": 1e-6}
_BITS = ("bits", "d0-d7")  # nRF Connect Power Profiler: logic inputs as binary digits, D7 first
_POWER = {"power_w": 1.0, "power_mw": 1e-3}


def read_trace_csv(path, voltage_v: float | None = None) -> PowerTrace:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"power trace {path} does not exist", "give the path of a recorded CSV")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise DataError(f"power trace {path} is empty", "record a trace first")
    header = [h.strip().lower() for h in rows[0]]
    col = {h: j for j, h in enumerate(header)}

    def pick(options: dict) -> tuple[int, float] | None:
        for name, scale in options.items():
            if name in col:
                return col[name], scale
        return None

    t_col, i_col, p_col = pick(_TIME), pick(_CURRENT), pick(_POWER)
    fix = ("the first row must name the columns: time_s|time_ms|time_us, then current_a|current_ma|current_ua "
           "with voltage_v (or a fixed voltage), or power_w|power_mw; optionally trigger")
    if t_col is None or (i_col is None and p_col is None):
        raise DataError(f"power trace {path}: header {rows[0]} lacks a time or a current/power column", fix)
    bits_col = next((col[b] for b in _BITS if b in col), None)

    def value(j: int, x: str) -> float:
        return float(int(x.strip(), 2) & 1) if j == bits_col else float(x)  # D0: the last binary digit

    try:
        data = np.array([[value(j, x) for j, x in enumerate(r)] for r in rows[1:] if r and "".join(r).strip()],
                        dtype=np.float64)
    except ValueError as e:
        raise DataError(f"power trace {path}: a value is not a number ({e})", "remove non-numeric rows") from None
    if data.size == 0:
        raise DataError(f"power trace {path} has a header but no samples", "record a trace first")
    t = data[:, t_col[0]] * t_col[1]
    if i_col is not None:
        i = data[:, i_col[0]] * i_col[1]
        if "voltage_v" in col:
            v = data[:, col["voltage_v"]]
        elif voltage_v is not None:
            v = np.full_like(t, voltage_v)
        else:
            raise DataError(f"power trace {path} has currents but no voltage_v column",
                            "add a voltage_v column or give the supply voltage (--power-voltage)")
    else:
        v = np.ones_like(t)  # power given directly: P = 1 V x P A
        i = data[:, p_col[0]] * p_col[1]
    trig_col = col.get("trigger", bits_col)
    trig = data[:, trig_col] > 0.5 if trig_col is not None else None
    return PowerTrace(t - t[0], v, i, trig, source=str(path))


class CsvReplay(PowerMonitor):
    name = "csv"

    def __init__(self, url: str):
        self.path = Path(url)
        if not self.path.is_file():
            raise DataError(f"power trace {self.path} does not exist", "give the path of a recorded CSV")
        with open(self.path, newline="") as f:
            header = [h.strip().lower() for h in next(csv.reader(f), [])]
        self.has_trigger = "trigger" in header or any(b in header for b in _BITS)
        self.voltage_v: float | None = None
        self._t0: float | None = None

    def configure(self, *, voltage_v: float | None = None, rate_hz: float | None = None) -> None:
        if rate_hz is not None:
            raise ConfigError("a recorded trace has a fixed sample rate", "drop the rate option for csv replay")
        self.voltage_v = voltage_v

    def start(self) -> None:
        self._t0 = time.monotonic()

    def stop(self) -> PowerTrace:
        trace = read_trace_csv(self.path, self.voltage_v)
        trace.host_t0 = self._t0
        return trace
