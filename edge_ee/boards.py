"""Boards as data: one TOML file per board in `boards/` (repository root, or $EDGE_EE_BOARDS_DIR).

Schema (every board):
  name, kind ("emulated" | "mcu" | "linux"), description
  [core]    arch ("cortex-m4", "cortex-a72", ...), clock_hz, fpu ("fpv4-sp-d16", ..., "none"), dsp, mve (bools)
  [memory]  ram_bytes, flash_bytes (flash_bytes 0 where storage is not a firmware flash, e.g. a Linux board)
  [power]   model ("mcu-cycles" | "throughput"), source (citation), derived / estimates (which numbers are
            derived from published figures and which are estimates), and the model's numbers:
              mcu-cycles:  clock_hz (of the modeled part; default [core] clock_hz), active_power_mw, sleep_power_mw, voltage_v, cycles_per_mac_reference,
                           cycles_per_mac_optimized, cycles_per_instruction
                           (emulated boards: the numbers of the real part in `represents`)
              throughput:  macs_per_second, active_power_mw, idle_power_mw (Linux boards, accelerators)
Firmware targets (emulated, mcu) also have:
  [build]   cflags (list), family ("mps2", "mps3", "stm32l4", ...)
  [flash]   tool ("qemu" | "pyocd" | "openocd" | "picotool" | "nrfjprog"), command (list; {elf} {bin} {hex})
  [qemu]    machine (emulated only)
  [serial]  baud, energy_baud, uart_base (emulated only)
  [counter] kind ("dwt" on hardware; "systick-icount" on QEMU: retired instructions, not cycles)"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_ee.errors import ConfigError, UnknownName

KINDS = ("emulated", "mcu", "linux")
POWER_MODELS = ("mcu-cycles", "throughput")


def boards_dir() -> Path:
    env = os.environ.get("EDGE_EE_BOARDS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "boards"


@dataclass(frozen=True)
class Core:
    arch: str
    clock_hz: int
    fpu: str
    dsp: bool
    mve: bool


@dataclass(frozen=True)
class Memory:
    ram_bytes: int
    flash_bytes: int


@dataclass(frozen=True)
class Build:
    cflags: tuple[str, ...]
    family: str


@dataclass(frozen=True)
class Flash:
    tool: str
    command: tuple[str, ...]


@dataclass(frozen=True)
class Serial:
    baud: int
    energy_baud: int
    uart_base: int | None = None


@dataclass(frozen=True)
class Power:
    model: str
    source: str
    active_power_mw: float
    represents: str = ""  # emulated boards: the real part whose numbers these are
    clock_hz: int | None = None  # clock of the part the numbers describe (default: [core] clock_hz)
    sleep_power_mw: float | None = None
    idle_power_mw: float | None = None
    voltage_v: float | None = None
    cycles_per_mac_reference: float | None = None
    cycles_per_mac_optimized: float | None = None
    cycles_per_instruction: float | None = None
    macs_per_second: float | None = None
    derived: tuple[str, ...] = ()
    estimates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Board:
    name: str
    kind: str
    description: str
    core: Core
    memory: Memory
    power: Power
    build: Build | None = None
    flash: Flash | None = None
    qemu_machine: str | None = None
    serial: Serial | None = None
    counter: str | None = None
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_qemu(self) -> bool:
        return self.kind == "emulated"

    def summary(self) -> dict:
        """The key facts, as `edge-ee boards` lists them."""
        p = self.power
        return {"name": self.name, "kind": self.kind, "description": self.description, "arch": self.core.arch,
                "clock_mhz": self.core.clock_hz / 1e6, "ram_kib": self.memory.ram_bytes // 1024,
                "flash_kib": self.memory.flash_bytes // 1024, "qemu_machine": self.qemu_machine,
                "flash_tool": self.flash.tool if self.flash else None, "counter": self.counter,
                "power_model": p.model, "active_power_mw": p.active_power_mw,
                "represents": p.represents or None, "power_source": p.source}


def _section(d: dict, key: str, where: Path, required: bool = True) -> dict | None:
    v = d.get(key)
    if v is None and required:
        raise ConfigError(f"board file {where} has no [{key}] section", "add it (see edge_ee/boards.py for the schema)")
    if v is not None and not isinstance(v, dict):
        raise ConfigError(f"board file {where}: {key} must be a table", "write it as [" + key + "]")
    return v


def _parse(path: Path) -> Board:
    try:
        d = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"board file {path} is not valid TOML ({e})", "fix the file") from None
    try:
        kind = d["kind"]
        if kind not in KINDS:
            raise ConfigError(f"board file {path}: kind {kind!r}", f"use one of {', '.join(KINDS)}")
        c, m = _section(d, "core", path), _section(d, "memory", path)
        p = dict(_section(d, "power", path))
        if p.get("model") not in POWER_MODELS:
            raise ConfigError(f"board file {path}: power model {p.get('model')!r}",
                              f"use one of {', '.join(POWER_MODELS)}")
        for key in ("derived", "estimates"):
            p[key] = tuple(p.get(key, ()))
        power = Power(**p)
        needed = {"mcu-cycles": ("cycles_per_mac_reference", "cycles_per_mac_optimized", "cycles_per_instruction"),
                  "throughput": ("macs_per_second",)}[power.model]
        missing = [k for k in needed if getattr(power, k) is None]
        if missing:
            raise ConfigError(f"board file {path}: [power] lacks {', '.join(missing)}", "add them with their source")
        board = Board(
            name=str(d["name"]), kind=kind, description=str(d.get("description", "")),
            core=Core(str(c["arch"]), int(c["clock_hz"]), str(c.get("fpu", "none")), bool(c.get("dsp", False)),
                      bool(c.get("mve", False))),
            memory=Memory(int(m["ram_bytes"]), int(m.get("flash_bytes", 0))), power=power, path=path, raw=d)
        if kind != "linux":
            b, f, s = (_section(d, "build", path), _section(d, "flash", path), _section(d, "serial", path))
            ctr = _section(d, "counter", path)
            q = _section(d, "qemu", path, required=kind == "emulated")
            board = Board(**{**board.__dict__,
                             "build": Build(tuple(b["cflags"]), str(b["family"])),
                             "flash": Flash(str(f["tool"]), tuple(f["command"])),
                             "qemu_machine": q["machine"] if q else None,
                             "serial": Serial(int(s["baud"]), int(s["energy_baud"]),
                                              int(s["uart_base"]) if "uart_base" in s else None),
                             "counter": str(ctr["kind"])})
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(f"board file {path} is missing or has a malformed field ({e!r})",
                          "compare it with the schema in edge_ee/boards.py") from None
    if board.name != path.stem:
        raise ConfigError(f"board file {path} names itself {board.name!r}", f"set name = {path.stem!r}")
    return board


def list_boards() -> list[Board]:
    return [_parse(p) for p in sorted(boards_dir().glob("*.toml"))]


def board_names() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.toml"))


def load_board(name: str) -> Board:
    path = boards_dir() / f"{name}.toml"
    if not path.is_file():
        raise UnknownName("board", name, board_names())
    return _parse(path)
