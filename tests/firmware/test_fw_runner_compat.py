"""What the public MLPerf Tiny runner (mlcommons/tiny benchmark/runner: serial_device.py, device_under_test.py)
does to a device, done here the same way against the firmware on QEMU: `<cmd>%` with no line ending and no
echo expected, replies split on \\n with \\r dropped and ended by the first line containing `m-ready`, the name
and profile regular expressions, `db` uploads in 31-byte lowercase-hex chunks, and a new connection per phase.
Over the TCP socket (pyserial URL) and over a pseudo-terminal opened by name with `serial.Serial(port)`, as the
runner opens its ports."""

from __future__ import annotations

import re
import time

import pytest
import serial

from edge_ee.boards import load_board
from edge_ee.device import qemu


class RunnerLikePort:
    """serial_device.SerialDevice's reading and writing, over pyserial."""

    def __init__(self, url: str):
        self.port = serial.Serial(url, 115200, timeout=0.1) if url.startswith("/dev/") else \
            serial.serial_for_url(url, timeout=0.1)

    def send_command(self, command: str, timeout: float = 5.0) -> list[str]:
        self.port.write((command + "%").encode())
        lines, msg, deadline = [], "", time.monotonic() + timeout
        while True:
            char = self.port.read(1).decode()
            if char and char not in "\n\r\0":
                msg += char
            elif char == "\n":
                if msg:
                    lines.append(msg)
                if "m-ready" in msg:
                    return lines
                msg, deadline = "", time.monotonic() + timeout
            if time.monotonic() > deadline:
                raise RuntimeError(f"No response to command {command}")

    def close(self):
        self.port.close()


@pytest.fixture(scope="module", params=["socket", "pty"])
def device(request, builds, ic_bundle):
    build = builds.get(ic_bundle, "qemu-mps2-an386")
    with qemu.start(load_board(build.board).qemu_machine, build.elf, pty=request.param == "pty") as dev:
        assert dev.url.startswith("/dev/pts/" if request.param == "pty" else "socket://")
        yield dev


def test_identification_phase(device):
    port = RunnerLikePort(device.url)
    name = [m.group(2) for ln in port.send_command("name") if (m := re.match(r"^m-(name)-dut-\[([^]]+)]$", ln))]
    profile = dict(m.groups() for ln in port.send_command("profile")
                   if (m := re.match(r"^m-(model|profile)-\[([^]]+)]$", ln)))
    port.close()
    assert name == ["edge_ee-qemu-mps2-an386"] and profile["model"] == "ic01"


def test_performance_and_accuracy_phases_on_new_connections(device, ic_samples):
    for x in ic_samples.x[:2]:
        port = RunnerLikePort(device.url)
        data = x.tobytes()
        port.send_command(f"db load {len(data)}")
        for i in range(0, len(data), 31):
            result = port.send_command(f"db {''.join(f'{d:02x}' for d in data[i:i + 31])}")
        assert result == ["m-load-done", "m-ready"]
        lines = port.send_command("infer 1 0", timeout=30)
        port.close()
        laps = [int(ln[len("m-lap-us-"):]) for ln in lines if ln.startswith("m-lap-us-")]
        assert len(laps) == 2 and laps[1] > laps[0]
        (results,) = [ln for ln in lines if ln.startswith("m-results-[")]
        scores = [float(v) for v in results[len("m-results-["):-1].split(",")]
        assert len(scores) == 10 and min(scores) >= 0 and sum(scores) > 0
        assert lines[-1] == "m-ready" and sum("m-ready" in ln for ln in lines) == 1
