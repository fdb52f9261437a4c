"""`edge-ee build`: a bundle + a board -> firmware (ELF, BIN, HEX) for that board, with a size report.

    out/
      model/          the generated C library (edge_ee.codegen)
      build.mk        the board's flags and limits; `make -f firmware/Makefile CONFIG=out/build.mk` rebuilds
      obj/            objects
      firmware.elf    (.bin, .hex, .map)
      build.json      what was built: board, bundle, model facts, flash and RAM use against the board's limits

The model is checked against the board twice: before compiling (weights and arena from the generator against
flash and RAM), so that a model that cannot fit is refused with the numbers, and after linking
(arm-none-eabi-size: flash = text + data, RAM = data + bss, the stack included)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from edge_ee import __version__
from edge_ee.errors import ConfigError, EdgeEEError, FitError, ToolMissing

FIRMWARE_DIR = Path(__file__).resolve().parents[2] / "firmware"
SCHEMA = "edge_ee.firmware/1"
STACK_BYTES = 8192
# RAM the app needs beside the model's arena: its copy of the input (added separately), the telemetry record
# buffer, the UART ring and C runtime statics.
APP_RAM_BYTES = 4096
# MLPerf Tiny benchmark names the EnergyRunner expects in `m-model-[...]`, by model family.
BENCHMARKS = (("resnet", "ic01"), ("ic", "ic01"), ("dscnn", "kws01"), ("kws", "kws01"), ("mobilenet", "vww01"),
              ("vww", "vww01"))


class FirmwareBuildError(EdgeEEError):
    """The firmware did not compile or link."""


@dataclass(frozen=True)
class Sizes:
    text: int
    data: int
    bss: int
    flash_bytes: int   # text + data: what the board's flash holds
    ram_bytes: int     # data + bss (arena, input copy, stack): what the board's RAM holds
    flash_limit: int
    ram_limit: int
    stack_bytes: int


@dataclass(frozen=True)
class FirmwareBuild:
    """A built firmware folder (read back with FirmwareBuild.load)."""

    path: Path
    board: str
    family: str
    elf: Path
    bundle_name: str
    num_stages: int
    num_classes: int
    input_bytes: int
    arena_bytes: int
    weights_bytes: int
    energy_mode: bool
    sizes: Sizes

    @classmethod
    def load(cls, path) -> "FirmwareBuild":
        path = Path(path)
        try:
            d = json.loads((path / "build.json").read_text())
            if d.get("schema") != SCHEMA:
                raise ValueError(f"schema {d.get('schema')!r}")
            m = d["model"]
            return cls(path, d["board"], d["family"], path / d["files"]["elf"], d["bundle"]["name"], m["stages"],
                       m["classes"], m["input_bytes"], m["arena_bytes"], m["weights_bytes"], d["energy_mode"],
                       Sizes(**d["sizes"]))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"{path} is not a firmware build folder ({e})",
                              "build one with `edge-ee build BUNDLE --board B --out DIR`") from None


def benchmark_id(model_name: str) -> str:
    low = model_name.lower()
    for key, bench in BENCHMARKS:
        if key in low:
            return bench
    return re.sub(r"[^A-Za-z0-9_.-]", "-", model_name)[:24] or "model"


def family_dir(family: str) -> Path:
    return FIRMWARE_DIR / "boards" / family


def check_firmware_board(board) -> None:
    """Raises ConfigError for a board that does not run firmware (a Linux board)."""
    if board.kind not in ("emulated", "mcu") or board.build is None:
        raise ConfigError(f"board {board.name} is a {board.kind} board: it runs bundles with `edge-ee run`, "
                          "it has no firmware", "pick an MCU or emulated board (edge-ee boards)")


def check_buildable(board) -> None:
    """Raises ConfigError for a board without firmware support in this version."""
    check_firmware_board(board)
    if not (family_dir(board.build.family) / "family.mk").is_file():
        supported = sorted(p.parent.name for p in (FIRMWARE_DIR / "boards").glob("*/family.mk") if p.parent.name != "host")
        raise ConfigError(f"board {board.name}: firmware for the {board.build.family} family is not written yet",
                          f"use a board of a supported family ({', '.join(supported)})")


def check_tools() -> None:
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-size", "make"):
        if shutil.which(tool) is None:
            raise ToolMissing(f"{tool} is not installed",
                              "run `make system` (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi make)")


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


def check_fit(board, weights_bytes: int, arena_bytes: int, input_bytes: int, stack_bytes: int = STACK_BYTES) -> None:
    """Refuses a model that cannot fit the board: weights against flash, arena + input + stack against RAM."""
    flash, ram = board.memory.flash_bytes, board.memory.ram_bytes
    need_ram = arena_bytes + input_bytes + stack_bytes + APP_RAM_BYTES
    problems = []
    if weights_bytes > flash:
        problems.append(f"its weights take {_kib(weights_bytes)} but {board.name} has {_kib(flash)} of flash")
    if need_ram > ram:
        problems.append(f"it needs {_kib(need_ram)} of RAM (arena {_kib(arena_bytes)} + input {_kib(input_bytes)} "
                        f"+ stack and firmware {_kib(stack_bytes + APP_RAM_BYTES)}) but {board.name} has {_kib(ram)}")
    if problems:
        raise FitError("the model does not fit: " + "; ".join(problems),
                       "choose a board with more memory (edge-ee boards) or a smaller model / fewer channels")


def _define(name: str, value, string: bool = False) -> str:
    return f"-D{name}='\"{value}\"'" if string else f"-D{name}={value}"


def _write_config(out: Path, board, model_name: str, energy_mode: bool, opt: str) -> None:
    serial = board.serial
    baud = (serial.energy_baud if energy_mode else serial.baud) if serial else 115200
    defines = [_define("EE_BOARD_NAME", board.name, string=True), _define("EE_CLOCK_HZ", f"{board.core.clock_hz}u"),
               _define("EE_UART_BAUD", f"{baud}u"), _define("EE_APP_MODEL_NAME", model_name, string=True),
               _define("EE_APP_BENCHMARK", benchmark_id(model_name), string=True),
               _define("EE_ENERGY_MODE", int(energy_mode)), _define("EE_FW_VERSION", f"edge_ee-{__version__}", string=True)]
    if serial and serial.uart_base is not None:
        defines.append(_define("EE_UART_BASE", f"0x{serial.uart_base:08x}u"))
    lines = [
        f"# Generated by edge-ee build for board {board.name}. Rebuild with",
        "#   make -f <edge_ee>/firmware/Makefile CONFIG=<this file>",
        "BUILD := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))",
        f"FAMILY := {board.build.family}",
        "MODEL_DIR := $(BUILD)/model",
        f"CPU_FLAGS := {' '.join(board.build.cflags)}",
        f"DEFINES := {' '.join(defines)}",
        f"FLASH_BYTES := {board.memory.flash_bytes}",
        f"RAM_BYTES := {board.memory.ram_bytes}",
        f"STACK_BYTES := {STACK_BYTES}",
        f"OPT := {opt}",
    ]
    (out / "build.mk").write_text("\n".join(lines) + "\n")


def _make(out: Path, jobs: int) -> str:
    cmd = ["make", "-f", str(FIRMWARE_DIR / "Makefile"), f"CONFIG={out / 'build.mk'}", f"-j{jobs}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    log = r.stdout + r.stderr
    (out / "build.log").write_text(log)
    if r.returncode != 0:
        m = re.search(r"region `(\w+)' overflowed by (\d+) bytes", log)
        if m:
            raise FitError(f"the firmware does not fit: {m.group(1)} overflowed by {m.group(2)} bytes at link time",
                           "choose a board with more memory (edge-ee boards) or a smaller model")
        raise FirmwareBuildError(f"the firmware build failed:\n{log[-3000:]}",
                                 "see build.log; a compiler error in generated code is a bug in edge_ee")
    return log


def _sizes(elf: Path, board) -> Sizes:
    r = subprocess.run(["arm-none-eabi-size", "-B", str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in r.stdout.splitlines()[1].split()[:3])
    return Sizes(text, data, bss, text + data, data + bss, board.memory.flash_bytes, board.memory.ram_bytes,
                 STACK_BYTES)


def build_firmware(bundle, board, out, force: bool = False, *, energy_mode: bool = False, opt: str = "-O2",
                   jobs: int = 2, thresholds=None, measure: str | None = None) -> FirmwareBuild:
    """Generates the model's C, compiles the firmware for `board` into `out` (atomically) and returns the build.
    `bundle`: a Bundle or its folder; `board`: a Board or its name; `thresholds` / `measure` override the
    manifest's exits (as for `edge-ee codegen`). Raises FitError before compiling when the model cannot fit,
    ConfigError for boards without firmware, ToolMissing without the cross compiler."""
    from edge_ee.boards import load_board
    from edge_ee.bundle import Bundle
    from edge_ee.codegen import generate_bundle
    from edge_ee.io import atomic_dir, check_writable

    bundle = bundle if isinstance(bundle, Bundle) else Bundle.load(bundle)
    board = board if not isinstance(board, str) else load_board(board)
    check_firmware_board(board)
    check_writable(out, force)
    model_name = re.sub(r"[^A-Za-z0-9_.-]", "-", bundle.name) or "model"
    with atomic_dir(out, force) as tmp:
        gen = generate_bundle(bundle, tmp / "model", thresholds=thresholds, measure=measure)
        input_bytes = bundle.input.size
        check_fit(board, gen.weights_bytes, gen.arena_size, input_bytes)
        check_buildable(board)
        check_tools()
        _write_config(tmp, board, model_name, energy_mode, opt)
        _make(tmp, jobs)
        sizes = _sizes(tmp / "firmware.elf", board)
        report = {
            "schema": SCHEMA, "board": board.name, "family": board.build.family, "kind": board.kind,
            "counter": board.counter, "clock_hz": board.core.clock_hz, "energy_mode": energy_mode,
            "bundle": {"name": bundle.name, "path": str(Path(bundle.path).resolve()),
                       "manifest_sha256": _sha256(Path(bundle.path) / "manifest.json")},
            "exits": [t.to_manifest() if t is not None else None for t in bundle.exit_tests(thresholds, measure)],
            "model": {"stages": bundle.num_stages, "classes": len(bundle.class_names) or bundle.stages[0].logits.size,
                      "input_bytes": input_bytes, "arena_bytes": gen.arena_size, "weights_bytes": gen.weights_bytes,
                      "benchmark": benchmark_id(model_name)},
            "sizes": asdict(sizes),
            "files": {"elf": "firmware.elf", "bin": "firmware.bin", "hex": "firmware.hex", "map": "firmware.map"},
            "toolchain": {"edge_ee": __version__, "gcc": _gcc_version()},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / "build.json").write_text(json.dumps(report, indent=2) + "\n")
    return FirmwareBuild.load(out)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _gcc_version() -> str:
    r = subprocess.run(["arm-none-eabi-gcc", "-dumpversion"], capture_output=True, text=True)
    return r.stdout.strip()
