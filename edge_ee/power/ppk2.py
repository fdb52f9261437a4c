"""Nordic Power Profiler Kit II through the maintained `ppk2-api` package (extra `ppk2`): 100 kS/s of current
in source-meter mode (the PPK2 supplies the target at the configured voltage) and 8 logic inputs, of which
`trigger_channel` carries the device's timestamp GPIO."""

from __future__ import annotations

import threading
import time

import numpy as np

from edge_ee.errors import ConfigError
from edge_ee.power.base import PowerMonitor, require
from edge_ee.power.trace import PowerTrace

RATE_HZ = 100_000


class PPK2(PowerMonitor):
    name = "ppk2"
    has_trigger = True

    def __init__(self, url: str, *, trigger_channel: int = 0):
        api = require("ppk2_api.ppk2_api", "ppk2", "Nordic PPK2")
        self.url = url
        self.trigger_channel = trigger_channel
        self.voltage_v = 3.3
        self._ppk = api.PPK2_API(url, timeout=1, write_timeout=1, exclusive=True)
        self._ppk.get_modifiers()
        self._ppk.use_source_meter()
        self._chunks: list[tuple[list, list]] = []
        self._running = False
        self._thread: threading.Thread | None = None
        self._t0: float | None = None

    def configure(self, *, voltage_v: float | None = None, rate_hz: float | None = None) -> None:
        if rate_hz is not None and rate_hz != RATE_HZ:
            raise ConfigError(f"the PPK2 samples at {RATE_HZ} Hz", "drop the rate option")
        if voltage_v is not None:
            if not 0.8 <= voltage_v <= 5.0:
                raise ConfigError(f"the PPK2 supplies 0.8 .. 5 V, not {voltage_v:g} V", "choose a voltage in range")
            self.voltage_v = voltage_v

    def start(self) -> None:
        self._ppk.set_source_voltage(int(round(self.voltage_v * 1000)))
        self._ppk.toggle_DUT_power("ON")
        self._chunks = []
        self._t0 = time.monotonic()
        self._ppk.start_measuring()
        self._running = True
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while self._running:
            data = self._ppk.get_data()
            if data:
                self._chunks.append(self._ppk.get_samples(data))
            else:
                time.sleep(0.001)

    def stop(self) -> PowerTrace:
        self._running = False
        if self._thread is not None:
            self._thread.join()
        self._ppk.stop_measuring()
        ua = np.concatenate([np.asarray(s, dtype=np.float64) for s, _ in self._chunks]) if self._chunks else np.zeros(0)
        bits = np.concatenate([np.asarray(b, dtype=np.int64) for _, b in self._chunks]) if self._chunks else np.zeros(0)
        n = min(len(ua), len(bits))
        trig = (bits[:n] >> self.trigger_channel) & 1 > 0
        trace = PowerTrace(np.arange(n) / RATE_HZ, self.voltage_v, ua[:n] * 1e-6, trig, source=f"ppk2:{self.url}")
        trace.host_t0 = self._t0
        return trace

    def close(self) -> None:
        self._ppk.toggle_DUT_power("OFF")
        self._ppk.ser.close()
