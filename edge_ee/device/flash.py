"""`edge-ee flash`: puts a firmware build on its board.

Emulated boards: starts QEMU on the ELF (edge_ee.device.qemu) and returns the running device, whose `url` is
the serial link. Real boards: runs the board's own tool from its board file ([flash] command, with {elf},
{bin}, {hex} filled in), e.g. `pyocd flash --target stm32l4r5zitx firmware.elf`; `dry_run` only returns the
command. A flashing tool that does not finish within `timeout` is stopped (by its pid) and reported."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from edge_ee.device import qemu
from edge_ee.device.build import FirmwareBuild
from edge_ee.errors import ConfigError, DeviceError, ToolMissing

TOOL_HINTS = {
    "pyocd": "pip install pyocd",
    "openocd": "apt-get install openocd",
    "picotool": "build picotool from github.com/raspberrypi/picotool, or copy firmware.uf2 to the RPI-RP2 drive",
    "nrfjprog": "install nRF Command Line Tools from Nordic Semiconductor",
}


@dataclass(frozen=True)
class FlashResult:
    """What was (or, with dry_run, would be) run to flash a real board."""

    board: str
    command: list[str]
    dry_run: bool
    output: str = ""

    @property
    def command_line(self) -> str:
        return shlex.join(self.command)


def _resolve(build_dir, board):
    from edge_ee.boards import load_board

    build = FirmwareBuild.load(build_dir)
    if board is None:
        board = load_board(build.board)
    elif isinstance(board, str):
        board = load_board(board)
    if board.name != build.board:
        raise ConfigError(f"{build.path} was built for {build.board}, not {board.name}",
                          f"pass --board {build.board}, or rebuild with `edge-ee build ... --board {board.name}`")
    return build, board


def tool_command(build: FirmwareBuild, board) -> list[str]:
    files = {"elf": build.elf, "bin": build.path / "firmware.bin", "hex": build.path / "firmware.hex"}
    return [part.format(**{k: str(v) for k, v in files.items()}) for part in board.flash.command]


def emulator_command(build: FirmwareBuild, board, port: int | None) -> list[str]:
    return qemu.qemu_command(board.qemu_machine, build.elf, port)


def flash(build_dir, board=None, dry_run: bool = False, *, timeout: float = 120.0, boot_timeout: float = 10.0,
          pty: bool = False):
    """Flashes the build in `build_dir`. Emulated boards: returns a running `qemu.QemuDevice` (or, with
    dry_run, a FlashResult holding the QEMU command); `pty` puts its UART on a pseudo-terminal instead of a
    TCP socket. Real boards: returns a FlashResult."""
    build, board = _resolve(build_dir, board)
    if board.is_qemu:
        if dry_run:
            return FlashResult(board.name, emulator_command(build, board, None if pty else qemu.free_port()), True)
        return qemu.start(board.qemu_machine, build.elf, timeout=boot_timeout, pty=pty)
    cmd = tool_command(build, board)
    if dry_run:
        return FlashResult(board.name, cmd, True)
    if shutil.which(cmd[0]) is None:
        raise ToolMissing(f"{cmd[0]} (the flashing tool of {board.name}) is not installed",
                          TOOL_HINTS.get(board.flash.tool, f"install {cmd[0]}"))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise DeviceError(f"{cmd[0]} did not finish flashing {board.name} within {timeout:g} s",
                          "check the USB connection and that the board is powered, then retry") from None
    if proc.returncode != 0:
        raise DeviceError(f"{shlex.join(cmd)} failed (exit code {proc.returncode}):\n{out[-2000:]}",
                          "check the USB connection, the probe's firmware and the board's [flash] command")
    return FlashResult(board.name, cmd, False, out)

