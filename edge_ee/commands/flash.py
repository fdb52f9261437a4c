"""`edge-ee flash DIR --board B [--dry-run]`: runs a firmware build on its board. Emulated boards start QEMU,
print the serial URL on a line of its own and keep the device running until interrupted; real boards run the
board's flashing tool (--dry-run prints the exact command)."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FlashConfig:
    build_dir: Path
    board: str | None
    dry_run: bool = False
    timeout: float = 120.0
    pty: bool = False


def register(sub) -> None:
    p = sub.add_parser("flash", help="flash a firmware build (emulated boards: start QEMU)",
                       description="Put a firmware build (from `edge-ee build`) on its board. For an emulated board "
                                   "this starts QEMU and prints the device's serial URL (socket://127.0.0.1:PORT) on "
                                   "a line of its own; the device runs until this command is stopped (Ctrl-C).")
    p.add_argument("build_dir", type=Path, help="firmware build directory (from `edge-ee build`)")
    p.add_argument("--board", default=None, help="board name (default: the board the build was made for)")
    p.add_argument("--dry-run", action="store_true", help="print the command that would run, and stop")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds a flashing tool may take (real boards)")
    p.add_argument("--pty", action="store_true",
                   help="emulated boards: put the UART on a pseudo-terminal and print its /dev/pts path (for tools "
                        "that open serial ports by name, like the MLPerf Tiny runner) instead of a TCP socket")
    p.set_defaults(func=run)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def run(args) -> int:
    from edge_ee.device.flash import FlashResult, flash

    cfg = FlashConfig(args.build_dir, args.board, args.dry_run, args.timeout, args.pty)
    result = flash(cfg.build_dir, cfg.board, cfg.dry_run, timeout=cfg.timeout, pty=cfg.pty)
    if isinstance(result, FlashResult):
        if result.dry_run:
            print(result.command_line)
        else:
            print(f"flashed {result.board}: {result.command_line}")
        return 0
    dev = result
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        booted = f"firmware booted ({dev.boot.version}, counter {dev.boot.counter})" if dev.boot else "firmware answers"
        print(f"{dev.machine}: {booted}; QEMU pid {dev.pid}; serial link:", file=sys.stderr)
        print(dev.url, flush=True)
        print("stop with Ctrl-C", file=sys.stderr, flush=True)
        code = dev.wait()
        if code != 0:
            print(f"edge-ee flash: the device stopped with exit code {code}\n{dev.log()[-2000:]}", file=sys.stderr)
            return 1
        return 0
    finally:
        dev.stop()
        signal.signal(signal.SIGTERM, previous)
