"""The firmware's command loop built natively (firmware/boards/host): the same app and generated model as on a
board, with stdin/stdout as the UART and CLOCK_MONOTONIC nanoseconds as the counter ("host-ns"). It runs the
protocol in milliseconds, without an emulator, so protocol tests and debugging need no QEMU.

    exe = build_host_firmware("out/fw/model", "out/host-fw")
    with HostFirmware(exe) as fw, DeviceClient("host", transport=fw.transport) as client:
        client.name()"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import subprocess
import termios
from pathlib import Path

from edge_ee.device.build import FIRMWARE_DIR, FirmwareBuildError
from edge_ee.errors import DeviceError, ToolMissing


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


class PipeTransport:
    """The pyserial subset DeviceClient uses, over a child process's stdin/stdout."""

    def __init__(self, proc: subprocess.Popen, poll: float = 0.05):
        self.proc, self.poll = proc, poll
        self._out = proc.stdout.fileno()

    @property
    def in_waiting(self) -> int:
        buf = bytearray(4)
        fcntl.ioctl(self._out, termios.FIONREAD, buf)
        return int.from_bytes(buf, "little")

    def read(self, n: int = 1) -> bytes:
        ready, _, _ = select.select([self._out], [], [], self.poll)
        if not ready:
            return b""
        data = os.read(self._out, n)
        if not data:
            raise DeviceError(f"the host-native firmware exited (code {self.proc.wait()})")
        return data

    def write(self, data: bytes) -> int:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return len(data)

    def close(self) -> None:
        pass


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
