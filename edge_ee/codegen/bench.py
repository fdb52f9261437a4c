"""Instruction counts of generated code, and the device-side bit-exactness check of the Cortex-M paths.

- `qemu_run`: builds the generated library with the tiny harness in firmware/bench for QEMU's mps2-an386
  (Cortex-M4F), mps2-an500 (Cortex-M7) or mps3-an547 (Cortex-M55), with the DSP path (default) or the reference path
  (-DEE_FORCE_REFERENCE), runs it with `-icount shift=0`, and returns per input the retired instructions of
  ee_infer (SysTick ticks x 40: exact to one tick), the exit logits and the whole arena.
- `callgrind_instructions`: instructions of ee_infer in the host build (valgrind --tool=callgrind).
These are instruction counts, not cycles: cycles on a real core differ (wait states, pipeline, caches)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_ee.codegen.build import CORTEX_M, WARN, _run, build_host_exe, sources
from edge_ee.codegen.generator import FIRMWARE
from edge_ee.errors import DeviceError, ToolMissing

MACHINES = {"cortex-m4": "mps2-an386", "cortex-m7": "mps2-an500", "cortex-m55": "mps3-an547"}
LINKER = {"cortex-m4": "ee_bench_mps2.ld", "cortex-m7": "ee_bench_mps2.ld", "cortex-m55": "ee_bench_an547.ld"}
# QEMU -icount shift=0: 1 ns per instruction; SysTick counts the CPU clock (MPS2 25 MHz, AN547 32 MHz).
CPU_HZ = {"mps2-an386": 25_000_000, "mps2-an500": 25_000_000, "mps3-an547": 32_000_000}


@dataclass
class QemuRun:
    instructions: list[int]
    stack_bytes: list[int]  # measured high-water mark of main's stack during ee_infer (includes main's frame)
    exit_logits: list[np.ndarray]  # (num_stages, num_classes) per input
    arenas: list[np.ndarray]


def _header_value(src_dir: Path, name: str) -> int:
    m = re.search(rf"#define {name} (\d+)", (Path(src_dir) / "ee_model.h").read_text())
    return int(m.group(1))


def qemu_run(src_dir, inputs: np.ndarray, *, target: str = "cortex-m4", reference: bool = False,
             opt: str = "-O2", timeout: float = 300.0) -> QemuRun:
    gcc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if not gcc or not qemu:
        raise ToolMissing("arm-none-eabi-gcc and qemu-system-arm are needed", "apt-get install gcc-arm-none-eabi "
                          "libnewlib-arm-none-eabi qemu-system-arm (or `make setup`)")
    src_dir = Path(src_dir)
    n_stages, n_classes = _header_value(src_dir, "EE_NUM_STAGES"), _header_value(src_dir, "EE_NUM_CLASSES")
    arena, in_size = _header_value(src_dir, "EE_ARENA_SIZE"), _header_value(src_dir, "EE_INPUT_SIZE")
    inputs = np.ascontiguousarray(inputs, dtype=np.int8).reshape(len(inputs), in_size)
    with tempfile.TemporaryDirectory(prefix="edge_ee_qemu_") as tmp:
        tmp = Path(tmp)
        rows = ",\n".join("{" + ",".join(str(int(v)) for v in x) + "}" for x in inputs)
        (tmp / "ee_bench_inputs.h").write_text(
            f"#define EE_BENCH_NUM_INPUTS {len(inputs)}\nstatic const int8_t ee_bench_inputs[{len(inputs)}]"
            f"[{in_size}] = {{\n{rows}\n}};\n")
        out = tmp / "out.bin"
        elf = tmp / "bench.elf"
        flags = WARN + CORTEX_M[target] + [opt, "-ffunction-sections", "-fdata-sections", "-nostartfiles",
                                           "--specs=nano.specs", f"-I{src_dir}", f"-I{tmp}",
                                           f'-DEE_BENCH_OUT="{out}"', "-Wl,--gc-sections",
                                           f"-T{FIRMWARE / 'bench' / LINKER[target]}"]
        if reference:
            flags.append("-DEE_FORCE_REFERENCE")
        _run([gcc, *flags, "-o", str(elf), str(FIRMWARE / "bench" / "ee_bench_qemu.c"),
              *map(str, sources(src_dir)), "-lc", "-lnosys", "-lgcc"], f"build the QEMU benchmark for {target}")
        cmd = [qemu, "-M", MACHINES[target], "-nographic", "-monitor", "none", "-serial", "null", "-icount", "shift=0",
               "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise DeviceError(f"QEMU did not finish within {timeout:.0f} s", "raise the timeout") from None
        if r.returncode != 0 or not out.exists():
            raise DeviceError(f"the QEMU benchmark failed (exit code {r.returncode}): {r.stderr.decode()[-500:]}",
                              "a fault (exit 3) or an ee_status error (exit 1) in the generated code")
        data = np.frombuffer(out.read_bytes(), np.uint8)
    rec = 8 + n_stages * n_classes + arena
    if data.size != rec * len(inputs):
        raise DeviceError(f"QEMU wrote {data.size} bytes, expected {rec * len(inputs)}", "re-run")
    res = QemuRun([], [], [], [])
    for i in range(len(inputs)):
        r0 = data[i * rec:(i + 1) * rec]
        ticks = int(r0[:4].view(np.uint32)[0])
        res.instructions.append(round(ticks * 1_000_000_000 / CPU_HZ[MACHINES[target]]))
        res.stack_bytes.append(int(r0[4:8].view(np.uint32)[0]))
        res.exit_logits.append(r0[8:8 + n_stages * n_classes].view(np.int8).reshape(n_stages, n_classes).copy())
        res.arenas.append(r0[8 + n_stages * n_classes:].view(np.int8).copy())
    return res


def callgrind_instructions(src_dir, inputs: np.ndarray, build_dir=None) -> int:
    """Instructions executed inside ee_infer (inclusive) for all `inputs`, full depth, host reference build
    (-O2, whatever the host's compiler makes of the pure-C path)."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        raise ToolMissing("valgrind is not installed", "apt-get install valgrind")
    exe = build_host_exe(src_dir, build_dir, extra=["-g"])
    with tempfile.TemporaryDirectory(prefix="edge_ee_cg_") as tmp:
        cg = Path(tmp) / "cg.out"
        r = subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={cg}", "--toggle-collect=ee_infer",
                            str(exe), "infer", "--full"], input=np.ascontiguousarray(inputs, np.int8).tobytes(),
                           capture_output=True, env={**os.environ, "LC_ALL": "C"})
        if r.returncode != 0:
            raise DeviceError(f"callgrind run failed: {r.stderr.decode()[-500:]}", "check valgrind")
        for line in cg.read_text().splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise DeviceError("callgrind wrote no totals", "check valgrind")
