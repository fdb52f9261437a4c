"""Power traces and monitors: integration over windows on synthetic waveforms with known integrals, CSV replay,
the LPM01A protocol (against byte streams and an emulated PowerShield built from ST UM2269's documented
format: no recorded LPM01A output was found in public repositories), INA219/INA226 register decoding from the
TI datasheets, and the monitor registry's errors."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_ee.errors import ConfigError, DataError, ToolMissing, UnknownName
from edge_ee.power import open_monitor
from edge_ee.power.ina2xx import ina219_bus_v, ina219_shunt_v, ina226_bus_v, ina226_shunt_v, parse_url, swap16
from edge_ee.power.lpm01a import LPM01A, OutputParser, parse_sample
from edge_ee.power.replay import read_trace_csv
from edge_ee.power.trace import PowerTrace, trigger_windows, window_energies_uj


def write_csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(f"{v:.12g}" for v in r) for r in rows) + "\n")
    return path


def test_sine_current_integrates_to_its_analytic_energy(tmp_path):
    # i(t) = I0 + A sin(2 pi f t); each sample is the exact average over its period (what an averaging
    # monitor reports), so the window energy must equal V * integral(i) to rounding.
    rate, f, i0, a, v = 10_000, 50.0, 5e-3, 2e-3, 3.3
    t = np.arange(0, 1.0, 1 / rate)
    w = 2 * np.pi * f
    avg = i0 + a * (np.cos(w * t) - np.cos(w * (t + 1 / rate))) / (w / rate)
    trace = read_trace_csv(write_csv(tmp_path / "sine.csv", ["time_s", "voltage_v", "current_a"],
                                     np.column_stack([t, np.full_like(t, v), avg])))

    def exact(t0, t1):
        return v * (i0 * (t1 - t0) + a * (np.cos(w * t0) - np.cos(w * t1)) / w)

    for t0, t1 in [(0.0, 1.0), (0.1, 0.1125), (0.2003, 0.71337)]:
        if t0 == 0.2003:  # not on sample boundaries: exact only up to one sample's curvature
            assert trace.energy_j(t0, t1) == pytest.approx(exact(t0, t1), rel=1e-5)
        else:
            assert trace.energy_j(t0, t1) == pytest.approx(exact(t0, t1), rel=1e-9)


def test_trigger_windows_pick_out_each_inference(tmp_path):
    # 1 kHz, 1 mA idle, 10 mA while "inferring"; the timestamp GPIO falls at each window's start and end.
    rate, v = 1000, 1.8
    t = np.arange(0, 2.0, 1 / rate)
    wins = [(0.100, 0.150), (0.400, 0.412), (1.000, 1.300)]
    i = np.full_like(t, 1e-3)
    trig = np.ones_like(t)
    for a, b in wins:
        i[(t >= a - 1e-9) & (t < b - 1e-9)] = 10e-3
        for edge in (a, b):
            k = int(round(edge * rate))
            trig[k - 1] = 1
            trig[k:k + 2] = 0  # low for 2 ms, then high again
            trig[k + 2] = 1
    trace = read_trace_csv(write_csv(tmp_path / "pulses.csv", ["time_ms", "current_ma", "trigger"],
                                     np.column_stack([t * 1e3, i * 1e3, trig])), voltage_v=v)
    got = trigger_windows(trace)
    assert np.allclose(got, wins)
    assert window_energies_uj(trace, got) == pytest.approx([v * 10e-3 * (b - a) * 1e6 for a, b in wins])


def test_csv_layouts_and_their_errors(tmp_path):
    p = write_csv(tmp_path / "p.csv", ["time_us", "power_mw"], [[0, 2.0], [500, 4.0], [1000, 2.0]])
    trace = read_trace_csv(p)
    assert trace.energy_j(0, 1.5e-3) == pytest.approx((2.0 + 4.0 + 2.0) * 1e-3 * 0.5e-3)
    with pytest.raises(DataError, match="no voltage_v column") as e:
        read_trace_csv(write_csv(tmp_path / "i.csv", ["time_s", "current_a"], [[0, 1], [1, 1]]))
    assert "--power-voltage" in e.value.fix
    with pytest.raises(DataError, match="not increasing"):
        read_trace_csv(write_csv(tmp_path / "t.csv", ["time_s", "power_w"], [[0, 1], [0, 1]]))
    with pytest.raises(DataError, match="lacks a time"):
        read_trace_csv(write_csv(tmp_path / "h.csv", ["t", "p"], [[0, 1]]))
    with pytest.raises(DataError, match="outside the power samples"):
        trace.energy_j(0, 1.0)


def test_trace_rejects_mismatched_channels():
    with pytest.raises(DataError):
        PowerTrace(np.arange(3), 3.3, np.zeros(4))


# ---------------------------------------------------------------------- LPM01A

def lpm_stream(currents, events_at=(), every=4):
    """Output as UM2269 documents it: one ascii_dec sample per line, `TimeStamp` lines, D7 `event` lines."""
    out = []
    for k, c in enumerate(currents):
        if k in events_at:
            out.append("event 1 fal")
        if k and k % every == 0:
            out.append(f"TimeStamp: {k // 1000:03d}s {k % 1000:03d}ms, buff 00%")
        exp = int(np.floor(np.log10(c))) - 3
        out.append(f"{int(round(c / 10.0 ** exp)):04d}{exp:+03d}")
    return ("\r\n".join(out) + "\r\n").encode()


def test_ascii_samples_decode_as_documented():
    assert parse_sample("6409-07") == pytest.approx(640.9e-6)
    assert parse_sample("1000-03") == pytest.approx(1.0)
    with pytest.raises(ValueError):
        parse_sample("64a9-07")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(1e-6, 0.05), min_size=1, max_size=60), st.data())
def test_lpm01a_output_parses_in_any_chunking(currents, data):
    events = data.draw(st.sets(st.integers(0, len(currents) - 1), max_size=4))
    raw = b"PowerShield > ack start\r\n" + lpm_stream(currents, events) + b"PowerShield > ack stop\r\n"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=20)))
    p = OutputParser()
    msgs = []
    for a, b in zip([0] + cuts, cuts + [len(raw)]):
        msgs += p.feed(raw[a:b])
    assert msgs == ["ack start", "ack stop"]
    assert p.currents == pytest.approx(currents, rel=1e-3)  # 4 significant digits
    assert p.events == sorted(events)
    trace = p.trace(1000, 3.3, True, "test")
    assert [int(round(t * 1000)) for t in trace.t[~trace.trigger]] == sorted(events)


class FakePowerShield:
    """The documented PowerShield command protocol on a TCP port (for LPM01A's driver): acknowledges commands,
    refuses unknown ones with an `Error detail`, streams samples after `start` until `stop`."""

    def __init__(self, current_a: float = 2.5e-3, rate_hz: int = 1000):
        self.current_a, self.rate_hz = current_a, rate_hz
        self.commands: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self.sock.accept()
        streaming = threading.Event()
        lock = threading.Lock()

        def send(text):
            with lock:
                conn.sendall(text.encode())

        def stream():
            k = 0
            while streaming.is_set():
                send("2500-06\r\n")
                k += 1
                if k == 20:
                    send("event 1 fal\r\n")
                time.sleep(1 / self.rate_hz)

        buf = b""
        while True:
            data = conn.recv(1024)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                cmd = line.decode().strip()
                self.commands.append(cmd)
                if cmd.split()[0] not in {"htc", "hrc", "volt", "freq", "acqtime", "output", "format", "trigsrc",
                                          "eventsrc", "start", "stop"}:
                    send(f"PowerShield > error {cmd}\r\nError detail: unknown command\r\n")
                    continue
                send(f"PowerShield > ack {cmd}\r\n")
                if cmd == "start":
                    streaming.set()
                    threading.Thread(target=stream, daemon=True).start()
                elif cmd == "stop":
                    streaming.clear()
                    send("PowerShield > Acquisition completed\r\n")


def test_lpm01a_driver_against_an_emulated_powershield():
    fake = FakePowerShield()
    with LPM01A(f"socket://127.0.0.1:{fake.port}") as m:
        m.configure(voltage_v=1.8, rate_hz=1000)
        with pytest.raises(ConfigError):
            m.configure(rate_hz=100_000)  # ascii output cannot stream that fast
        m.start()
        time.sleep(0.15)
        trace = m.stop()
        with pytest.raises(Exception, match="refused 'bogus'"):
            m.command("bogus")
    assert fake.commands[:8] == ["htc", "volt 1800m", "freq 1k", "acqtime 0", "output current", "format ascii_dec",
                                 "trigsrc sw", "eventsrc d7 fal"]
    assert fake.commands[8:10] == ["start", "stop"] and fake.commands[-1] == "hrc"
    assert len(trace) >= 20 and np.all(trace.i == pytest.approx(2.5e-3)) and np.all(trace.v == 1.8)
    assert list(np.nonzero(~trace.trigger)[0]) == [20]
    assert trace.host_t0 is not None


# ---------------------------------------------------------------------- INA219 / INA226

def test_ina_registers_decode_as_the_datasheets_say():
    assert swap16(0x3412) == 0x1234
    assert ina219_shunt_v(0x7D00) == pytest.approx(0.320)       # +320 mV full scale, LSB 10 uV
    assert ina219_shunt_v(0x8300) == pytest.approx(-0.320)      # two's complement
    assert ina219_bus_v(0x5DC0 | 0b10) == pytest.approx(12.0)   # bits 15..3, LSB 4 mV; CNVR bit ignored
    assert ina226_shunt_v(0x7FFF) == pytest.approx(81.9175e-3)  # LSB 2.5 uV
    assert ina226_shunt_v(0xFFFF) == pytest.approx(-2.5e-6)
    assert ina226_bus_v(0x2580) == pytest.approx(12.0)          # LSB 1.25 mV
    assert parse_url("1@0x40,shunt=0.05") == (1, 0x40, 0.05)
    with pytest.raises(ConfigError):
        parse_url("0x40")


# ---------------------------------------------------------------------- registry

def test_monitor_names_and_missing_drivers_are_clear_errors(tmp_path):
    with pytest.raises(UnknownName) as e:
        open_monitor("lpm02:/dev/x")
    assert "lpm01a" in e.value.fix
    with pytest.raises(ConfigError):
        open_monitor("lpm01a")
    for spec, extra in (("ppk2:/dev/ttyACM9", "ppk2"), ("ina226:1@0x40", "ina"), ("joulescope:", "joulescope")):
        try:
            __import__({"ppk2": "ppk2_api", "ina": "smbus2", "joulescope": "joulescope"}[extra])
            continue
        except ImportError:
            pass
        with pytest.raises(ToolMissing) as e:
            open_monitor(spec)
        assert f"edge_ee[{extra}]" in e.value.fix


def test_nrf_power_profiler_export_is_read_with_its_logic_inputs(tmp_path):
    # The export's layout as nRF Connect's Power Profiler app writes it (pc-nrfconnect-ppk exportChart):
    # `Timestamp(ms),Current(uA),Bits`, current with 3 decimals, the logic byte in binary (D7 first).
    rows = ["Timestamp(ms),Current(uA),Bits"]
    for k in range(1000):  # 100 kS/s, 10 ms; 3000 uA during [2 ms, 6 ms), D0 low at both edges
        ua = 3000.0 if 200 <= k < 600 else 150.0
        d0 = 0 if k in (200, 600) else 1
        rows.append(f"{k * 0.01:.2f},{ua:.3f},{'0010000' + str(d0)}")
    p = tmp_path / "ppk-export.csv"
    p.write_text("\n".join(rows) + "\n")
    trace = read_trace_csv(p, voltage_v=3.0)
    assert np.allclose(trigger_windows(trace), [(0.002, 0.006)])
    assert trace.energy_j(0.002, 0.006) == pytest.approx(3.0 * 3000e-6 * 0.004)
