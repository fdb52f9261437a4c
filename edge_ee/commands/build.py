"""`edge-ee build BUNDLE --board B --out DIR`: firmware for a board (generated model + command loop + board
support), compiled with arm-none-eabi-gcc, with flash and RAM use against the board's limits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_BOARD = "qemu-mps2-an386"


@dataclass(frozen=True)
class BuildConfig:
    bundle: Path
    board: str
    out: Path
    force: bool = False
    energy_mode: bool = False
    opt: str = "-O2"
    thresholds: tuple[float, ...] | None = None
    measure: str | None = None


def register(sub) -> None:
    p = sub.add_parser("build", help="build firmware for a board from a bundle",
                       description="Generate the bundle's C, compile it with the EnergyRunner command loop and the "
                                   "board's startup, UART and counter code, and report flash and RAM use against the "
                                   "board's limits. A model that cannot fit is refused before compiling.")
    p.add_argument("bundle", type=Path, help="bundle directory (from `edge-ee convert` or `edge-ee import`)")
    p.add_argument("--board", default=DEFAULT_BOARD, help=f"board name (edge-ee boards; default {DEFAULT_BOARD})")
    p.add_argument("--out", type=Path, required=True, help="output directory (must not exist unless --force)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--energy", dest="energy_mode", action="store_true",
                   help="energy mode: timestamps as GPIO edges, UART at the board's energy baud rate")
    p.add_argument("--thresholds", type=float, nargs="+", default=None,
                   help="override the manifest's exit thresholds (one per early exit)")
    p.add_argument("--measure", default=None, help="override the exits' confidence measure")
    p.add_argument("--json", action="store_true", help="print build.json (sizes, limits, model facts) instead")
    p.add_argument("--opt", default="-O2", choices=["-O0", "-O1", "-O2", "-O3", "-Os"], help="optimization level")
    p.set_defaults(func=run)


def run(args) -> int:
    from edge_ee.device.build import build_firmware

    cfg = BuildConfig(args.bundle, args.board, args.out, args.force, args.energy_mode, args.opt,
                      tuple(args.thresholds) if args.thresholds else None, args.measure)
    fw = build_firmware(cfg.bundle, cfg.board, cfg.out, cfg.force, energy_mode=cfg.energy_mode, opt=cfg.opt,
                        thresholds=cfg.thresholds, measure=cfg.measure)
    if args.json:
        print((fw.path / "build.json").read_text(), end="")
        return 0
    s = fw.sizes
    print(f"built {fw.elf} for {fw.board} ({fw.num_stages} stages, {fw.num_classes} classes, "
          f"{'energy' if fw.energy_mode else 'performance'} mode)")
    print(f"  flash: {s.flash_bytes:>9,} of {s.flash_limit:>10,} bytes ({100 * s.flash_bytes / s.flash_limit:5.1f} %)"
          f"  weights {fw.weights_bytes:,}")
    print(f"  RAM:   {s.ram_bytes:>9,} of {s.ram_limit:>10,} bytes ({100 * s.ram_bytes / s.ram_limit:5.1f} %)"
          f"  arena {fw.arena_bytes:,}, input {fw.input_bytes:,}, stack {s.stack_bytes:,}")
    print(f"next: edge-ee flash {fw.path} --board {fw.board}")
    return 0
