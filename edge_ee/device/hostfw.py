"""The firmware's command loop built natively (firmware/boards/host): the same app and generated model as on a
board, with stdin/stdout as the UART and CLOCK_MONOTONIC nanoseconds as the counter ("host-ns"). It runs the
protocol in milliseconds, without an emulator, so protocol tests and debugging need no QEMU.

    exe = build_host_firmware("out/fw/model", "out/host-fw")
    with HostFirmware(exe) as fw, DeviceClient("host", transport=fw.transport) as client:
        client.name()"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from pathlib import Path

from edge_ee.device.build import FIRMWARE_DIR, FirmwareBuildError
from edge_ee.errors import ToolMissing
from edge_ee.telemetry.transport import Transport, TransportClosed, TransportTimeout


def build_host_firmware(model_dir, out_dir, *, model_name: str = "model", benchmark: str = "ic01",
                        cc: str = "cc") -> Path:
    """Compiles the command loop + the generated model in `model_dir` for this machine; returns the executable."""
    if shutil.which(cc) is None or shutil.which("make") is None:
        raise ToolMissing(f"{cc} or make is not installed", "apt-get install build-essential")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    defines = (f"-DEE_APP_MODEL_NAME='\"{model_name}\"' -DEE_APP_BENCHMARK='\"{benchmark}\"' "
               "-DEE_BOARD_NAME='\"host\"'")
    cmd = ["make", "-s", "-f", str(FIRMWARE_DIR / "Makefile"), "FAMILY=host", f"BUILD={out_dir}",
           f"MODEL_DIR={model_dir}", f"DEFINES={defines}", f"CC={cc}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise FirmwareBuildError(f"the host-native firmware build failed:\n{(r.stdout + r.stderr)[-3000:]}",
                                 "a compiler error here is a bug in edge_ee")
    return out_dir / "firmware"


class PipeTransport(Transport):
    """A child process's stdin/stdout as a Transport (timeouts as in edge_ee.telemetry.transport)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.url = f"host-native firmware (pid {proc.pid})"
        self._out = proc.stdout.fileno()

    def _exited(self) -> TransportClosed:
        return TransportClosed(f"the host-native firmware exited (code {self.proc.wait()})",
                               "it crashed or its input was closed; start it again")

    def read(self, n: int, timeout: float | None) -> bytes:
        ready, _, _ = select.select([self._out], [], [], timeout)
        if not ready:
            if timeout == 0:
                return b""
            raise TransportTimeout(f"no data from {self.url} within {timeout:g} s",
                                   "the firmware hangs: stop it and start it again")
        data = os.read(self._out, n)
        if not data:
            raise self._exited()
        return data

    def write(self, data: bytes, timeout: float | None = None) -> None:
        # A pipe write blocks only while the firmware does not read, which the protocol never asks of it.
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._exited() from None

    def reopen(self, timeout: float = 5.0) -> None:
        raise TransportClosed(f"the pipes of {self.url} cannot be reopened", "start the firmware again")

    def close(self) -> None:
        """The pipes belong to the process: HostFirmware.stop() closes them."""


class HostFirmware:
    """A running host-native firmware; stop() ends it (closing its input ends the command loop)."""

    def __init__(self, exe):
        self.proc = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.transport = PipeTransport(self.proc)

    def stop(self, grace: float = 3.0) -> int:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> "HostFirmware":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
