"""ST X-NUCLEO-LPM01A (PowerShield) over its serial command protocol (ST UM2269), as MLPerf Tiny's
EnergyRunner drives it. No maintained Python library exists, so the protocol is implemented here.

Link: the board's ST-LINK virtual COM port at 3,686,400 baud, 8N1. Commands are ASCII lines; the board answers
`ack <command> [value]` or `error ...` (followed by an `Error detail: ...` line), each possibly preceded by the
prompt `PowerShield > `. A measurement:

    htc                    host takes control (leave standalone mode)
    volt 3300m             supply voltage of the target, 1800m .. 3300m
    freq 1k                sampling frequency: 100k 50k 20k 10k 5k 2k 1k 500 200 100 50 20 10 5 2 1
    acqtime 0              infinite acquisition (stopped by `stop`)
    output current         instantaneous current per sample (`energy` would integrate per sample period)
    format ascii_dec       samples as ASCII mantissa/exponent: `6409-07` = 6409e-7 A = 640.9 uA
    trigsrc sw             start on the `start` command
    eventsrc d7 fal        (optional) report falling edges on D7, the DUT's timestamp GPIO, as `event` lines
    start ... stop         data lines, `TimeStamp: 001s 250ms, buff 00%` lines once a second,
                           `Acquisition completed` after stop
    hrc                    host releases control

ASCII output is limited to 5 kHz for unlimited acquisitions (UM2269's table for 3,686,400 baud); this driver
refuses faster rates. Samples are spaced 1/freq on the board's clock; the trace's trigger channel goes low at
the sample where an `event` line was reported."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from edge_ee.errors import ConfigError, DeviceError
from edge_ee.power.base import PowerMonitor
from edge_ee.power.trace import PowerTrace

BAUD = 3_686_400
RATES = {100_000: "100k", 50_000: "50k", 20_000: "20k", 10_000: "10k", 5_000: "5k", 2_000: "2k", 1_000: "1k",
         500: "500", 200: "200", 100: "100", 50: "50", 20: "20", 10: "10", 5: "5", 2: "2", 1: "1"}
MAX_ASCII_RATE = 5_000
PROMPT = "PowerShield > "
_SAMPLE = re.compile(r"(\d{4})([+-]\d{2})")
_TIMESTAMP = re.compile(r"TimeStamp:\s*(\d+)s\s*(\d+)ms")
_EVENT = re.compile(r"^event\b")


def parse_sample(text: str) -> float:
    """`6409-07` -> 6.409e-4 (amperes)."""
    m = _SAMPLE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not an LPM01A ascii_dec sample: {text!r}")
    return int(m.group(1)) * 10.0 ** int(m.group(2))


@dataclass
class OutputParser:
    """Splits the board's output into samples (A), event sample indexes, timestamps and other messages.
    Feed it bytes in any chunking."""

    currents: list[float] = field(default_factory=list)
    events: list[int] = field(default_factory=list)  # index of the first sample after each D7 event
    timestamps: list[tuple[int, float]] = field(default_factory=list)  # (samples so far, board seconds)
    messages: list[str] = field(default_factory=list)
    garbage: int = 0
    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[str]:
        """Consumes bytes; returns the non-data lines completed by them."""
        self._buf += data
        out = []
        while (nl := self._buf.find(b"\n")) >= 0:
            line = self._buf[:nl].decode("ascii", errors="replace").replace("\r", "")
            del self._buf[:nl + 1]
            msg = self._line(line)
            if msg is not None:
                out.append(msg)
                self.messages.append(msg)
        return out

    def _line(self, line: str) -> str | None:
        line = line.replace(PROMPT, "").strip()
        if not line:
            return None
        if _EVENT.match(line):
            self.events.append(len(self.currents))
            return None
        m = _TIMESTAMP.match(line)
        if m:
            self.timestamps.append((len(self.currents), int(m.group(1)) + int(m.group(2)) / 1000))
            return None
        samples = _SAMPLE.findall(line)
        if samples and "".join(a + b for a, b in samples) == line.replace(" ", ""):
            self.currents.extend(int(a) * 10.0 ** int(b) for a, b in samples)
            return None
        return line

    def trace(self, rate_hz: float, voltage_v: float, with_trigger: bool, source: str) -> PowerTrace:
        n = len(self.currents)
        trig = None
        if with_trigger:
            trig = np.ones(n, dtype=bool)
            trig[[k for k in self.events if k < n]] = False
        return PowerTrace(np.arange(n) / rate_hz, voltage_v, np.array(self.currents), trig, source=source)


class LPM01A(PowerMonitor):
    name = "lpm01a"

    def __init__(self, url: str, *, timeout: float = 2.0):
        from edge_ee.telemetry.transport import open_transport

        self.url = url
        self.timeout = timeout
        self.voltage_v = 3.3
        self.rate_hz = 1000
        self.has_trigger = True
        self._link = open_transport(url, baudrate=BAUD)
        self._parser = OutputParser()
        self._thread: threading.Thread | None = None
        self._running = False
        self._t0: float | None = None
        self.command("htc")

    def command(self, cmd: str) -> str:
        """Sends one command; returns the value after `ack <cmd>` or raises DeviceError on `error`."""
        from edge_ee.telemetry.transport import TransportTimeout

        self._link.write(cmd.encode("ascii") + b"\n", self.timeout)
        name = cmd.split()[0]
        deadline = time.monotonic() + self.timeout
        while True:
            for msg in self._pending_messages():
                if msg.startswith("ack") and name in msg:
                    return msg.split(name, 1)[1].strip()
                if msg.startswith("error"):
                    detail = self._detail(deadline)
                    raise DeviceError(f"LPM01A refused {cmd!r}: {msg} {detail}".strip(),
                                      "see ST UM2269 for the command's arguments")
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeviceError(f"LPM01A did not acknowledge {cmd!r} within {self.timeout:g} s on {self.url}",
                                  "check the port (the LPM01A's ST-LINK COM port) and that the board is powered")
            try:
                self._parser.feed(self._link.read(4096, left))
            except TransportTimeout:
                continue

    def _pending_messages(self):
        while self._parser.messages:
            yield self._parser.messages.pop(0)

    def _detail(self, deadline: float) -> str:
        from edge_ee.telemetry.transport import TransportTimeout

        while time.monotonic() < deadline:
            for msg in self._pending_messages():
                if msg.startswith("Error detail"):
                    return msg
            try:
                self._parser.feed(self._link.read(4096, max(0.01, deadline - time.monotonic())))
            except TransportTimeout:
                break
        return ""

    def configure(self, *, voltage_v: float | None = None, rate_hz: float | None = None) -> None:
        if voltage_v is not None:
            if not 1.8 <= voltage_v <= 3.3:
                raise ConfigError(f"LPM01A supplies 1.8 .. 3.3 V, not {voltage_v:g} V", "choose a voltage in range")
            self.voltage_v = voltage_v
        if rate_hz is not None:
            if int(rate_hz) not in RATES or rate_hz > MAX_ASCII_RATE:
                ok = ", ".join(str(r) for r in sorted(RATES) if r <= MAX_ASCII_RATE)
                raise ConfigError(f"LPM01A rate {rate_hz:g} Hz is not available for continuous ascii output",
                                  f"use one of {ok} Hz")
            self.rate_hz = int(rate_hz)

    def start(self) -> None:
        for cmd in (f"volt {int(round(self.voltage_v * 1000))}m", f"freq {RATES[self.rate_hz]}", "acqtime 0",
                    "output current", "format ascii_dec", "trigsrc sw", "eventsrc d7 fal"):
            self.command(cmd)
        self._parser = OutputParser()
        self._t0 = time.monotonic()
        self.command("start")
        self._running = True
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        from edge_ee.telemetry.transport import TransportError

        while self._running:
            try:
                self._parser.feed(self._link.read(65536, 0.1))
            except TransportError:
                continue

    def stop(self) -> PowerTrace:
        self._running = False
        if self._thread is not None:
            self._thread.join()
        self.command("stop")
        trace = self._parser.trace(self.rate_hz, self.voltage_v, True, f"lpm01a:{self.url}")
        trace.host_t0 = self._t0
        return trace

    def close(self) -> None:
        try:
            self.command("hrc")
        except DeviceError:
            pass
        self._link.close()

