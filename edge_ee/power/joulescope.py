"""Joulescope JS110/JS220 through the maintained `joulescope` package (extra `joulescope`): current and
voltage at up to 1-2 MS/s; the general-purpose input GPI0 (sampled as `current_lsb`) carries the device's
timestamp GPIO. The URL is the device's serial number, or empty for the only one connected."""

from __future__ import annotations

import time

import numpy as np

from edge_ee.errors import DeviceError
from edge_ee.power.base import PowerMonitor, require
from edge_ee.power.trace import PowerTrace


class Joulescope(PowerMonitor):
    name = "joulescope"
    has_trigger = True

    def __init__(self, url: str, *, max_duration_s: float = 600.0):
        js = require("joulescope", "joulescope", "Joulescope")
        devices = js.scan(config="auto")
        if url:
            devices = [d for d in devices if url in str(d)]
        if len(devices) != 1:
            raise DeviceError(f"found {len(devices)} Joulescopes matching {url!r}",
                              "connect exactly one, or give its serial number: --power joulescope:SERIAL")
        self._dev = devices[0]
        self._dev.open()
        self.url = str(self._dev)
        self.rate_hz: float | None = None
        self.max_duration_s = max_duration_s
        self._t0: float | None = None

    def configure(self, *, voltage_v: float | None = None, rate_hz: float | None = None) -> None:
        if rate_hz is not None:
            self._dev.parameter_set("sampling_frequency", int(rate_hz))
            self.rate_hz = rate_hz
        # voltage: a Joulescope measures the rail; it does not supply it, so voltage_v is not used

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._dev.start(duration=self.max_duration_s)

    def stop(self) -> PowerTrace:
        self._dev.stop()
        buf = self._dev.stream_buffer
        start, end = buf.sample_id_range
        data = buf.samples_get(start, end, fields=["current", "voltage", "current_lsb"])
        sig = data["signals"]
        i = np.asarray(sig["current"]["value"], dtype=np.float64)
        v = np.asarray(sig["voltage"]["value"], dtype=np.float64)
        trig = np.asarray(sig["current_lsb"]["value"]) > 0
        rate = self._dev.output_sampling_frequency
        ok = np.isfinite(i) & np.isfinite(v)  # the first samples after start can be missing (NaN)
        trace = PowerTrace(np.arange(len(i))[ok] / rate, v[ok], i[ok], trig[ok], source=f"joulescope:{self.url}")
        trace.host_t0 = self._t0
        return trace

    def close(self) -> None:
        self._dev.close()
