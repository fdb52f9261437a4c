"""Emulated boards: starts QEMU on a firmware ELF with the UART on a local TCP socket.

QEMU runs with `-icount shift=0` (one instruction per virtual nanosecond, so SysTick counts instructions
exactly), semihosting for the firmware's exit code, and `-chardev socket,server=on,wait=on,nodelay=on`: QEMU
holds the machine until a host connects, and accepts a new connection after the host disconnects (the MLPerf
Tiny runner reconnects between phases). `start()` makes the first connection itself and reads the boot line,
so a returned device is known to run; then any number of clients can connect to `url`.

With `pty=True` the UART is a pseudo-terminal instead (`-serial pty`; `url` is its /dev/pts path), for tools
that open a serial device by name, as the MLPerf Tiny runner's `serial.Serial(port)` does; reopening the
device is the reconnection. The boot line is not kept then (nobody listens at reset): `start()` checks the
firmware with a `name%` command instead.

Processes are stopped by their own pid (terminate, then kill after a grace period)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge_ee.device.records import Boot
from edge_ee.errors import DeviceError, ToolMissing

QEMU = "qemu-system-arm"


def _die_with_parent() -> None:
    """In the child before exec: Linux sends QEMU SIGTERM when the process that started it dies, even by
    SIGKILL, so an emulator never outlives `edge-ee flash` or a test run."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(machine: str, elf: str | os.PathLike, port: int | None) -> list[str]:
    """The QEMU command line; `port` None puts the UART on a pseudo-terminal."""
    serial = (["-serial", "pty"] if port is None else
              ["-chardev", f"socket,id=s0,host=127.0.0.1,port={port},server=on,wait=on,nodelay=on",
               "-serial", "chardev:s0"])
    return [QEMU, "-M", machine, "-display", "none", "-monitor", "none", "-nodefaults",
            "-icount", "shift=0", "-semihosting-config", "enable=on,target=native", *serial, "-kernel", str(elf)]


@dataclass
class QemuDevice:
    """A running emulated board. `url` is its serial link for pyserial / DeviceClient."""

    machine: str
    elf: Path
    port: int | None  # None: the UART is the pseudo-terminal `pty`
    process: subprocess.Popen
    log_path: Path
    boot: Boot | None = None
    pty: str | None = None
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.pty if self.port is None else f"socket://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def stop(self, grace: float = 3.0) -> int | None:
        """Stops QEMU (this device's process only) and returns its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(grace)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        return self.process.returncode

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout)

    def __enter__(self) -> "QemuDevice":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(machine: str, elf: str | os.PathLike, *, port: int | None = None, timeout: float = 10.0,
          attempts: int = 3, pty: bool = False) -> QemuDevice:
    """Starts QEMU `machine` on `elf`, waits for the firmware's boot line (`pty`: its answer to `name%`) and
    returns the running device. Raises ToolMissing without QEMU, DeviceError when QEMU exits or the firmware
    does not answer within `timeout`."""
    if shutil.which(QEMU) is None:
        raise ToolMissing(f"{QEMU} is not installed", "run `make system` (apt-get install qemu-system-arm)")
    elf = Path(elf)
    if not elf.is_file():
        raise DeviceError(f"firmware {elf} does not exist", "build it first with `edge-ee build`")
    last_error = ""
    for _ in range(attempts):
        tmp = tempfile.TemporaryDirectory(prefix="edge_ee-qemu-")
        log_path = Path(tmp.name) / "qemu.log"
        p = None if pty else port or free_port()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(qemu_command(machine, elf, p), stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        dev = QemuDevice(machine, elf, p, proc, log_path, _tmp=tmp)
        try:
            if pty:
                dev.pty = _pty_answers(dev, timeout)
            else:
                dev.boot = _first_connection(dev, timeout)
            return dev
        except DeviceError as e:
            last_error = f"{e.problem}\n{dev.log().strip()}"
            dev.stop()
            if "Address already in use" not in last_error or port is not None or pty:
                break
    raise DeviceError(f"QEMU {machine} did not start the firmware: {last_error}",
                      "check the board's machine name and that the ELF was built for this board")


def _first_connection(dev: QemuDevice, timeout: float) -> Boot:
    from edge_ee.telemetry.link import DeviceLink
    from edge_ee.telemetry.transport import SerialTransport, TransportClosed

    deadline = time.monotonic() + timeout
    while True:
        if not dev.running():
            raise DeviceError(f"QEMU exited with code {dev.process.returncode}")
        try:  # one attempt at a time, so that a QEMU that exits is noticed at once
            transport = SerialTransport(dev.url, connect_timeout=0)
            break
        except TransportClosed:
            if time.monotonic() > deadline:
                raise DeviceError(f"QEMU did not listen on port {dev.port} within {timeout:g} s") from None
            time.sleep(0.02)
    with DeviceLink(transport) as link:
        reply = link.listen(max(0.0, deadline - time.monotonic()), until_boot=True)
    if reply.boot is not None:
        return reply.boot
    if reply.disconnected:
        raise DeviceError(f"QEMU closed the link before the boot line (exit code {dev.process.poll()})")
    if reply.lines or reply.reset:
        raise DeviceError(f"unexpected first line from the firmware: {(reply.lines or ['(a damaged boot line)'])[0]!r}")
    raise DeviceError(f"no boot line from the firmware within {timeout:g} s")


def _pty_answers(dev: QemuDevice, timeout: float) -> str:
    from edge_ee.device.protocol import DeviceClient

    deadline = time.monotonic() + timeout
    while (m := re.search(r"char device redirected to (/dev/pts/\d+)", dev.log())) is None:
        if not dev.running():
            raise DeviceError(f"QEMU exited with code {dev.process.returncode}")
        if time.monotonic() > deadline:
            raise DeviceError(f"QEMU did not open a pseudo-terminal within {timeout:g} s")
        time.sleep(0.02)
    with DeviceClient(m.group(1), timeout=max(0.5, deadline - time.monotonic())) as client:
        client.name()
    return m.group(1)
