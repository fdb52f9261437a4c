"""Compiling generated C: the host-native shared library (the twin) and cross-compiled objects for Cortex-M
(for size reports and to prove the code builds cleanly for devices)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from edge_ee.errors import EdgeEEError, ToolMissing

WARN = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
# Cortex-M targets: flags as in DESIGN.md section 4.
CORTEX_M = {
    "cortex-m4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m7": ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
    "cortex-m55": ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"],
}


class BuildError(EdgeEEError):
    """The generated C did not compile (a generator bug or a compiler that is not C99)."""


def sources(src_dir: Path) -> list[Path]:
    src_dir = Path(src_dir)
    return [src_dir / "ee_model.c", src_dir / "ee_weights.c"] + sorted((src_dir / "nn").glob("*.c"))


def _run(cmd: list[str], what: str) -> None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolMissing(f"{cmd[0]} not found (needed to {what})",
                          "install gcc (host twin) or gcc-arm-none-eabi (Cortex-M builds); see `make setup`") from None
    if r.returncode != 0:
        raise BuildError(f"compiling failed ({what}): {' '.join(cmd[:6])} ...\n{r.stderr[-4000:]}",
                         "this is a bug in the generator or kernels; please report it with the bundle")


def build_shared(src_dir, build_dir=None, *, cc: str = "gcc", opt: str = "-O2", sanitize: bool = False,
                 extra: list[str] | None = None) -> Path:
    """Builds `libee_model.so` from a generated directory; reuses a previous build of identical sources."""
    src_dir = Path(src_dir)
    srcs = sources(src_dir)
    flags = WARN + [opt, "-fPIC", "-shared"] + (SANITIZE if sanitize else []) + list(extra or [])
    h = hashlib.sha256(" ".join([cc] + flags).encode())
    for p in srcs + [src_dir / "ee_model.h", src_dir / "ee_weights.h"] + sorted((src_dir / "nn").glob("*.h")):
        h.update(p.read_bytes())
    build_dir = Path(build_dir) if build_dir else src_dir / "build"
    build_dir.mkdir(parents=True, exist_ok=True)
    out = build_dir / f"libee_model-{h.hexdigest()[:16]}.so"
    if not out.exists():
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")  # unique per process: builds may race
        _run([cc, *flags, "-o", str(tmp), *map(str, srcs)], "build the host twin")
        tmp.replace(out)
    return out


def build_host_exe(src_dir, build_dir=None, *, cc: str = "gcc", opt: str = "-O2", sanitize: bool = False,
                   extra: list[str] | None = None) -> Path:
    """Builds the host driver (firmware/host/ee_host_main.c) against a generated model: a plain executable for
    sanitizer runs and valgrind, independent of Python."""
    from edge_ee.codegen.generator import FIRMWARE

    src_dir = Path(src_dir)
    main = FIRMWARE / "host" / "ee_host_main.c"
    flags = WARN + [opt] + (SANITIZE if sanitize else []) + list(extra or [])
    h = hashlib.sha256(" ".join([cc] + flags).encode())
    for p in sources(src_dir) + [main, src_dir / "ee_model.h", src_dir / "ee_weights.h"]:
        h.update(p.read_bytes())
    build_dir = Path(build_dir) if build_dir else src_dir / "build"
    build_dir.mkdir(parents=True, exist_ok=True)
    out = build_dir / f"ee_host-{h.hexdigest()[:16]}"
    if not out.exists():
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        _run([cc, *flags, f"-I{src_dir}", "-o", str(tmp), str(main), *map(str, sources(src_dir))], "build the host driver")
        tmp.replace(out)
    return out


@dataclass
class CrossSize:
    target: str
    text: int  # code + const data (flash)
    data: int
    bss: int  # arena and statics (RAM)
    weights: int  # of which ee_weights.o (const weights and constants)
    code: int  # text - weights
    stack_bytes: int | None  # deepest static stack use of the inference path (-fstack-usage), if known


def cross_compile(src_dir, target: str = "cortex-m4", build_dir=None, *, opt: str = "-O2",
                  reference: bool = False) -> CrossSize:
    """Compiles every generated file for a Cortex-M target with arm-none-eabi-gcc (-Werror) and measures sizes."""
    if target not in CORTEX_M:
        from edge_ee.errors import UnknownName

        raise UnknownName("Cortex-M target", target, CORTEX_M)
    gcc = shutil.which("arm-none-eabi-gcc")
    size = shutil.which("arm-none-eabi-size")
    if not gcc or not size:
        raise ToolMissing("arm-none-eabi-gcc is not installed", "apt-get install gcc-arm-none-eabi (or `make setup`)")
    src_dir = Path(src_dir)
    build_dir = Path(build_dir) if build_dir else src_dir / "build" / (target + ("-ref" if reference else ""))
    build_dir.mkdir(parents=True, exist_ok=True)
    objs = []
    for src in sources(src_dir):
        obj = build_dir / (src.stem + ".o")
        flags = WARN + CORTEX_M[target] + [opt, "-ffunction-sections", "-fdata-sections", "-fstack-usage"]
        if reference:
            flags.append("-DEE_FORCE_REFERENCE")
        _run([gcc, *flags, "-c", "-o", str(obj), str(src)], f"cross-compile for {target}")
        objs.append(obj)
    r = subprocess.run([size, "-t", *map(str, objs)], capture_output=True, text=True, check=True)
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 6:
            rows[Path(parts[5]).name if parts[5] != "(TOTALS)" else "TOTAL"] = tuple(int(p) for p in parts[:3])
    text, data, bss = rows["TOTAL"]
    weights = rows.get("ee_weights.o", (0, 0, 0))[0]
    return CrossSize(target, text, data, bss, weights, text - weights, _stack_estimate(build_dir))


def _stack_estimate(build_dir: Path) -> int | None:
    """Largest frame of a kernel plus the scheduler's frames: the inference path is ee_infer -> ee_stage_k ->
    kernel -> inline helpers, with no recursion, so the sum of the three largest levels bounds it."""
    frames: dict[str, int] = {}
    for su in Path(build_dir).glob("*.su"):
        for line in su.read_text().splitlines():
            m = re.match(r".*:(\w+)\s+(\d+)\s+(\w+)", line)
            if m:
                frames[m.group(1)] = max(frames.get(m.group(1), 0), int(m.group(2)))
    if not frames:
        return None
    kernel = max((v for k, v in frames.items() if k.startswith("ee_") and k.endswith("_s8")), default=0)
    helpers = max((v for k, v in frames.items() if k in ("exp_on_negative_values", "one_over_one_plus_x",
                                                           "exp_quarter", "sat_mul_pot")), default=0)
    stage = max((v for k, v in frames.items() if k.startswith("ee_stage_")), default=0)
    return frames.get("ee_infer", 0) + max(stage, frames.get("ee_run_stage", 0)) + kernel + helpers
